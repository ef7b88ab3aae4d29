import type { VisitorContextReport } from '@servicesystem/protocol';
import { recentPagesKept, VisitorContext } from '@servicesystem/protocol';
import type { Kysely } from 'kysely';
import type { z } from 'zod';
import type { Database } from '../../db/schema.js';
import type { VisitorDevice } from './deviceOfUserAgent.js';

/** A report as the protocol schema leaves it (titles cleaned). */
export type ContextReport = z.output<typeof VisitorContextReport>;

export const emptyVisitorContext = (): VisitorContext => ({
  pages: [],
  referrer: null,
  language: null,
  timeZone: null,
  browser: null,
  os: null,
  device: null,
  lastSeenAt: null,
});

/** The stored context of a visitor, or an empty one (also for a row written by a newer
 * version that this one cannot read). */
export async function readVisitorContext(
  db: Kysely<Database>,
  visitorId: string,
): Promise<VisitorContext> {
  const row = await db
    .selectFrom('visitor_contexts')
    .select('context')
    .where('visitor_id', '=', visitorId)
    .executeTakeFirst();
  if (!row) return emptyVisitorContext();
  let stored: unknown;
  try {
    stored = JSON.parse(row.context);
  } catch {
    return emptyVisitorContext();
  }
  const parsed = VisitorContext.safeParse(stored);
  return parsed.success ? parsed.data : emptyVisitorContext();
}

/**
 * The context after a report: a new URL goes first in the recent pages (the same URL again,
 * anywhere in the list, moves up rather than appearing twice); a new title for the page the
 * visitor is on replaces its title; absent fields keep what was known.
 */
export function mergeVisitorContext(
  before: VisitorContext,
  report: ContextReport,
  device: VisitorDevice | undefined,
  now: number,
): VisitorContext {
  let pages = before.pages;
  if (report.url !== undefined) {
    const current = pages[0];
    if (current?.url === report.url) {
      if (report.title !== undefined && report.title !== current.title) {
        pages = [{ ...current, title: report.title }, ...pages.slice(1)];
      }
    } else {
      pages = [
        { url: report.url, title: report.title ?? '', at: now },
        ...pages.filter((p) => p.url !== report.url),
      ].slice(0, recentPagesKept);
    }
  }
  return {
    pages,
    referrer: report.referrer ?? before.referrer,
    language: report.language ?? before.language,
    timeZone: report.timeZone ?? before.timeZone,
    browser: device ? device.browser : before.browser,
    os: device ? device.os : before.os,
    device: device ? device.device : before.device,
    lastSeenAt: before.lastSeenAt,
  };
}

/** Whether two contexts differ in what agents see, last-seen time aside. */
export function sameVisitorContext(a: VisitorContext, b: VisitorContext): boolean {
  return JSON.stringify({ ...a, lastSeenAt: 0 }) === JSON.stringify({ ...b, lastSeenAt: 0 });
}
