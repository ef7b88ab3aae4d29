import type { Kysely } from 'kysely';
import type { StoredMessage } from '../../db/messages/messageStore.js';
import type { Database } from '../../db/schema.js';
import type { MailMessage } from '../../mail/composeMail.js';
import type { DomainContext } from '../context.js';

/** The most messages one mail lists. */
export const mailMessageLimit = 2000;

/** A conversation's messages after `afterSeq`, oldest first, at most `mailMessageLimit`. */
export async function messagesAfter(
  ctx: DomainContext,
  db: Kysely<Database>,
  conversationId: string,
  afterSeq: number,
): Promise<StoredMessage[]> {
  const out: StoredMessage[] = [];
  let seq = afterSeq;
  while (out.length < mailMessageLimit) {
    const page = await ctx.messages.page(db, {
      conversationId,
      bound: 'after',
      seq,
      limit: Math.min(200, mailMessageLimit - out.length),
    });
    out.push(...page);
    if (page.length < 200) break;
    seq = page[page.length - 1]!.seq;
  }
  return out;
}

/** What a mail shows of a visitor's or agent's message (system notices are left out). */
export function mailMessageOf(message: StoredMessage): MailMessage | undefined {
  if (message.sender_type === 'system' || message.type === 'system') return undefined;
  return {
    senderName: message.sender_name,
    senderType: message.sender_type,
    // A robot's answer reads as text in a mail (its image, if any, stays in the chat).
    type: message.type === 'robot' ? 'text' : message.type,
    body: message.body,
    createdAt: Number(message.created_at),
  };
}
