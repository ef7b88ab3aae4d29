import { z } from 'zod';
import { HttpUrl, Timestamp, stripControlCharacters } from './common.js';
import { pageTitleMaxLength } from './wire.js';

/**
 * The visitor's context: the page they are on (as embed.js sees the host page), the pages before
 * it, their language and time zone, and the browser, OS and device the server reads from their
 * User-Agent. Agents see it beside the conversation; only the visitor's own session writes it.
 */

/** How many pages the server keeps per visitor, newest first (the current page included). */
export const recentPagesKept = 10;

/** A page title: control characters removed, whitespace collapsed, at most 300 characters. */
const PageTitle = z
  .string()
  .max(pageTitleMaxLength)
  .transform((v) => stripControlCharacters(v).replace(/\s+/g, ' ').trim());

/** A BCP 47 language tag as browsers report it (`navigator.language`): `zh-CN`, `en`. */
export const LanguageTag = z
  .string()
  .max(35)
  .regex(/^[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*$/, 'must be a language tag such as zh-CN');

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** An IANA time zone name (`Asia/Shanghai`, `UTC`), one this runtime knows. */
export const TimeZoneName = z
  .string()
  .max(64)
  .regex(/^[A-Za-z0-9_+\-/]+$/, 'must be an IANA time zone name such as Asia/Shanghai')
  .refine(isTimeZone, 'is not a known time zone');

/**
 * What the visitor page reports (`visitor.context`, and `context` in POST /visitor/session):
 * the page now and what the browser says of itself. Absent fields keep what the server has.
 * Only http(s) URLs, each at most 2048 characters.
 */
export const VisitorContextReport = z
  .object({
    /** The page the visitor is on now (embed.js: the host page; standalone: `page=`). */
    url: HttpUrl.optional(),
    /** That page's title; ignored without `url`. */
    title: PageTitle.optional(),
    /** The page that led the visitor to the site (`document.referrer`). */
    referrer: HttpUrl.optional(),
    language: LanguageTag.optional(),
    timeZone: TimeZoneName.optional(),
  })
  .strict()
  .refine((report) => Object.keys(report).length > 0, 'must report at least one field');
export type VisitorContextReport = z.input<typeof VisitorContextReport>;

export const VisitedPage = z.object({
  url: z.string(),
  title: z.string(),
  /** When the visitor arrived on it. */
  at: Timestamp,
});
export type VisitedPage = z.infer<typeof VisitedPage>;

const NameAndVersion = z.object({ name: z.string(), version: z.string().nullable() });

export const DeviceType = z.enum([
  'desktop',
  'mobile',
  'tablet',
  'smarttv',
  'wearable',
  'console',
  'embedded',
]);
export type DeviceType = z.infer<typeof DeviceType>;

/** What the console shows of a visitor's context. Null: not known. */
export const VisitorContext = z.object({
  /** Newest first: the first is the page the visitor is on now. At most `recentPagesKept`. */
  pages: z.array(VisitedPage),
  referrer: z.string().nullable(),
  language: z.string().nullable(),
  timeZone: z.string().nullable(),
  /** From the User-Agent: `Chrome 120.0.0.0`, `WeChat 8.0.47`. */
  browser: NameAndVersion.nullable(),
  os: NameAndVersion.nullable(),
  device: z
    .object({ type: DeviceType, vendor: z.string().nullable(), model: z.string().nullable() })
    .nullable(),
  /** The last time the visitor's page reported in (session start or a context report). */
  lastSeenAt: Timestamp.nullable(),
});
export type VisitorContext = z.infer<typeof VisitorContext>;

/** `GET /api/v1/conversations/:id/visitor-context`: the context of the conversation's visitor. */
export const VisitorContextResponse = z.object({ visitorId: z.string(), context: VisitorContext });
export type VisitorContextResponse = z.infer<typeof VisitorContextResponse>;

/** Console: the visitor of an open conversation you can see moved to another page (or their
 * device changed). Carries the whole context; never sent to visitors. */
export const VisitorUpdatedPayload = z.object({
  visitorId: z.string(),
  conversationId: z.string(),
  context: VisitorContext,
});
export type VisitorUpdatedPayload = z.infer<typeof VisitorUpdatedPayload>;

/** The ack of `visitor.context`: whether anything changed (false: the same report again). */
export const VisitorContextAck = z.object({ changed: z.boolean() });

/** The host app's `attributes` claim: a small JSON object agents see beside the visitor. */
export const identityAttributesMaxKeys = 30;
export const identityAttributesMaxBytes = 2048;

export const IdentityAttributes = z
  .record(z.string().min(1).max(64), z.unknown())
  .refine(
    (value) => Object.keys(value).length <= identityAttributesMaxKeys,
    `must have at most ${identityAttributesMaxKeys} keys`,
  )
  .refine(
    (value) => new TextEncoder().encode(JSON.stringify(value)).length <= identityAttributesMaxBytes,
    `must be at most ${identityAttributesMaxBytes} bytes as JSON`,
  );
