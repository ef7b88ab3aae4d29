import type { Kysely } from 'kysely';
import type { ConversationsTable, Database } from '../../db/schema.js';
import type { DomainContext } from '../context.js';
import { enqueue } from '../outbox/outboxRows.js';

/** Whether an agent's message in `conversation` may need a mail: a left message, with mail on.
 * (Whether the visitor left an address is checked in the write.) */
export function mayMailReplies(ctx: DomainContext, conversation: ConversationsTable): boolean {
  return ctx.mail.enabled && conversation.kind === 'message';
}

/**
 * In the transaction of an agent's message in a left-message conversation whose replies go by
 * email: one pending reply mail for the conversation, due after the reply delay. A mail already
 * pending takes this message too (it is composed when due, from every agent message since the
 * last one). Nothing when the visitor left no address or mail was off when they left it.
 */
export async function queueReplyMail(
  ctx: DomainContext,
  trx: Kysely<Database>,
  conversationId: string,
  now: number,
): Promise<void> {
  // A no-op update: it takes the contact row's lock (PostgreSQL), so this and the composing of
  // the pending mail (composeReplyMail.ts) take turns: either the mail sees this message, or
  // this write sees the mail gone and starts the next one.
  const contact = await trx
    .updateTable('left_messages')
    .set((eb) => ({ mailed_seq: eb.ref('mailed_seq') }))
    .where('conversation_id', '=', conversationId)
    .returning(['email', 'email_replies'])
    .executeTakeFirst();
  if (!contact?.email || Number(contact.email_replies) !== 1) return;
  await enqueue(
    trx,
    ctx.mail,
    { kind: 'replyMail', payload: { conversationId } },
    { now, dueAt: now + ctx.mail.replyDelayMs, dedupeKey: `reply:${conversationId}` },
  );
}
