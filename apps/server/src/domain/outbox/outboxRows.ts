import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { MailSettings } from '../context.js';
import type { OutgoingMail } from '../../mail/mailer.js';

/** What the outbox holds, by `kind`: a composed mail, or a reply mail still to compose when its
 * delay is over (the agent's further messages join it meanwhile). Webhooks come next. */
export type OutboxPayload =
  | { kind: 'mail'; payload: OutgoingMail }
  | { kind: 'replyMail'; payload: { conversationId: string } };

/**
 * Writes one outbox row in the caller's transaction, due at `dueAt`. With `dedupeKey`, nothing
 * is written while a row with that key is pending (answers false then). The row's Message-ID is
 * fixed now, so every attempt sends the same one.
 */
export async function enqueue(
  trx: Kysely<Database>,
  mail: Pick<MailSettings, 'messageIdDomain'>,
  item: OutboxPayload,
  options: { now: number; dueAt: number; dedupeKey?: string },
): Promise<boolean> {
  const id = randomUUID();
  const inserted = await trx
    .insertInto('outbox')
    .values({
      id,
      kind: item.kind,
      payload: JSON.stringify(item.payload),
      message_id: `<${id}@${mail.messageIdDomain}>`,
      dedupe_key: options.dedupeKey ?? null,
      state: 'pending',
      attempts: 0,
      next_attempt_at: options.dueAt,
      last_error: null,
      created_at: options.now,
      finished_at: null,
    })
    .onConflict((oc) => oc.column('dedupe_key').doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}
