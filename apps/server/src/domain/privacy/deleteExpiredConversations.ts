import { sql, type Kysely } from 'kysely';
import { removeSearchEntries } from '../../db/search/searchIndex.js';
import type { Database } from '../../db/schema.js';
import type { DomainContext } from '../context.js';

const dayMs = 24 * 60 * 60 * 1000;

/** Conversations deleted per transaction. */
export const retentionBatch = 200;

/**
 * The `retention` background job's round: in each channel with `retention_days` set,
 * conversations that ENDED more than that many days ago are deleted, oldest first, `batchSize`
 * per transaction. Open, queued and snoozed conversations are never touched (they have not
 * ended). Each batch is read again inside its transaction and deletes only what still
 * qualifies, so a round cut short (a crash, a stop) leaves whole batches done and the next round
 * goes on from there; a second node deleting the same rows deletes nothing twice.
 * Answers whether a full batch was deleted (more may be due).
 */
export async function deleteExpiredConversations(
  ctx: DomainContext,
  batchSize = retentionBatch,
): Promise<boolean> {
  const now = ctx.now();
  const due = await expired(ctx.db, now, batchSize);
  if (due.length === 0) return false;
  await ctx.transaction(async (trx) => {
    const still = await expired(trx, now, batchSize, due);
    if (still.length > 0) await deleteConversations(trx, still, now);
  });
  return due.length === batchSize;
}

/** Ended conversations past their channel's retention, oldest first (among `among`, if given). */
async function expired(
  db: Kysely<Database>,
  now: number,
  limit: number,
  among?: string[],
): Promise<string[]> {
  let query = db
    .selectFrom('conversations as c')
    .innerJoin('channels as ch', 'ch.id', 'c.channel_id')
    .select('c.id')
    .where('c.state', '=', 'ended')
    .where('ch.retention_days', 'is not', null)
    .where(sql<boolean>`c.ended_at + cast(ch.retention_days as bigint) * ${dayMs} <= ${now}`);
  if (among) query = query.where('c.id', 'in', among);
  const rows = await query.orderBy('c.ended_at').orderBy('c.id').limit(limit).execute();
  return rows.map((row) => row.id);
}

/**
 * Deletes ended conversations with everything that hangs off them: messages, internal notes,
 * label links, ratings and left-message contacts go by their foreign keys' cascade; search
 * entries and pending reply mails here. Their files (sent in them and in no conversation that
 * stays; never published avatars) are marked deleted in the same transaction, so their URLs
 * answer 404 from the commit; the stored objects go in the background (fileLifecycle.ts). The
 * report roll-ups stay: they are day totals, not conversations. The visitor rows stay too (an
 * identity without conversations; an erase removes what it holds).
 */
export async function deleteConversations(
  trx: Kysely<Database>,
  conversationIds: string[],
  now: number,
): Promise<void> {
  await trx
    .updateTable('files')
    .set({ deleted_at: now })
    .where('deleted_at', 'is', null)
    .where('published_at', 'is', null)
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('messages')
        .select('attachment_id')
        .where('conversation_id', 'in', conversationIds)
        .where('attachment_id', 'is not', null),
    )
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('messages as other')
            .select('other.id')
            .whereRef('other.attachment_id', '=', 'files.id')
            .where('other.conversation_id', 'not in', conversationIds),
        ),
      ),
    )
    .execute();
  await removeSearchEntries(trx, { conversationIds });
  await trx
    .deleteFrom('outbox')
    .where('kind', '=', 'replyMail')
    .where(
      'payload',
      'in',
      conversationIds.map((id) => JSON.stringify({ conversationId: id })),
    )
    .execute();
  await trx
    .deleteFrom('conversations')
    .where('id', 'in', conversationIds)
    .where('state', '=', 'ended')
    .execute();
}
