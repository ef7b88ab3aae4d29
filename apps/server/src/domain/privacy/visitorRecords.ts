import type { VisitorRecord } from '@servicesystem/protocol';
import { sql, type Kysely } from 'kysely';
import type { Database, VisitorsTable } from '../../db/schema.js';
import { notFound } from '../errors.js';

/** The visitor `id`, erased or not, or NOT_FOUND. */
export async function findVisitorOrThrow(db: Kysely<Database>, id: string): Promise<VisitorsTable> {
  const row = await db.selectFrom('visitors').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('The visitor');
  return row;
}

/** The `email` attribute of an identity, if it is a string. */
export function emailAttribute(attributes: string): string | null {
  try {
    const parsed = JSON.parse(attributes) as Record<string, unknown>;
    return typeof parsed.email === 'string' ? parsed.email : null;
  } catch {
    return null;
  }
}

/**
 * The files sent in a visitor's conversations (by them or by agents) and their own uploads, not
 * yet deleted. Published files (agents' avatars) are never theirs.
 */
export function visitorFileIds(db: Kysely<Database>, visitorId: string) {
  return db
    .selectFrom('files')
    .select('files.id')
    .where('files.deleted_at', 'is', null)
    .where('files.published_at', 'is', null)
    .where((eb) =>
      eb.or([
        eb.and([eb('files.owner_type', '=', 'visitor'), eb('files.owner_id', '=', visitorId)]),
        eb(
          'files.id',
          'in',
          eb
            .selectFrom('messages as m')
            .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
            .select('m.attachment_id')
            .where('c.visitor_id', '=', visitorId)
            .where('m.attachment_id', 'is not', null),
        ),
      ]),
    );
}

/** What is held about each visitor, in numbers (the privacy page's rows). */
export async function visitorRecords(
  db: Kysely<Database>,
  visitors: VisitorsTable[],
): Promise<VisitorRecord[]> {
  const records: VisitorRecord[] = [];
  for (const visitor of visitors) {
    const channel = await db
      .selectFrom('channels')
      .select('name')
      .where('id', '=', visitor.channel_id)
      .executeTakeFirst();
    const conversations = await db
      .selectFrom('conversations')
      .select([
        sql<number>`count(*)`.as('count'),
        sql<number | null>`max(last_activity_at)`.as('last_activity'),
      ])
      .where('visitor_id', '=', visitor.id)
      .executeTakeFirstOrThrow();
    const files = await db
      .selectFrom(visitorFileIds(db, visitor.id).as('f'))
      .select(sql<number>`count(*)`.as('count'))
      .executeTakeFirstOrThrow();
    const leftEmail = await db
      .selectFrom('left_messages as l')
      .innerJoin('conversations as c', 'c.id', 'l.conversation_id')
      .select('l.email')
      .where('c.visitor_id', '=', visitor.id)
      .where('l.email', 'is not', null)
      .orderBy('l.created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    const lastActivity =
      conversations.last_activity === null ? 0 : Number(conversations.last_activity);
    records.push({
      id: visitor.id,
      channelId: visitor.channel_id,
      channelName: channel?.name ?? '',
      name: visitor.name,
      externalId: visitor.external_id,
      email: emailAttribute(visitor.attributes) ?? leftEmail?.email ?? null,
      conversations: Number(conversations.count),
      files: Number(files.count),
      firstSeenAt: Number(visitor.created_at),
      lastSeenAt: Math.max(lastActivity, Number(visitor.updated_at)),
      erasedAt: visitor.erased_at === null ? null : Number(visitor.erased_at),
    });
  }
  return records;
}
