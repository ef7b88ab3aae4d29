import { randomUUID } from 'node:crypto';
import type { Message, VisitorConversation } from '@servicesystem/protocol';
import type { z } from 'zod';
import type { LeaveMessageRequest as LeaveMessageSchema } from '@servicesystem/protocol';
import type { DomainContext, VisitorActor } from '../context.js';
import { notFound, rateLimited } from '../errors.js';
import type { Outcome } from '../events.js';
import { presentConversationForVisitor } from '../presenters/conversation.js';
import { presentMessageForVisitor } from '../presenters/message.js';
import { startConversation } from '../conversations/startConversation.js';

/** The request as its schema leaves it (trimmed, blanks dropped). */
export type LeaveMessageInput = z.output<typeof LeaveMessageSchema>;

export interface LeftMessage {
  message: Message;
  conversation: VisitorConversation;
}

/**
 * A visitor leaves a message when nobody can answer: a `message` conversation with their name,
 * email and/or phone, queued and routed like any other (first in, first out), within the limits
 * of sends per visitor and new conversations per address. Refused while the visitor has a
 * conversation open (they write there). Replies go by mail too when the visitor left an email
 * address and mail is configured (queueReplyMail.ts).
 */
export async function leaveMessage(
  ctx: DomainContext,
  actor: VisitorActor,
  input: LeaveMessageInput,
  origin: { ip: string },
): Promise<Outcome<LeftMessage>> {
  const waitMs = ctx.visitorSendLimit.take(actor.visitorId);
  if (waitMs > 0) {
    throw rateLimited(waitMs, (s) => `You are sending messages too fast. Try again in ${s} s.`);
  }
  const visitor = await ctx.db
    .selectFrom('visitors')
    .selectAll()
    .where('id', '=', actor.visitorId)
    .executeTakeFirst();
  if (!visitor) throw notFound('The visitor');
  const addressWaitMs = await ctx.conversationLimit.take(origin.ip);
  if (addressWaitMs > 0) {
    throw rateLimited(
      addressWaitMs,
      (s) => `Too many new conversations from this address. Try again in ${s} s.`,
    );
  }
  const email = input.email ?? null;
  const started = await startConversation(
    ctx,
    visitor,
    { type: 'text', body: input.message, clientMsgId: `left-${randomUUID()}` },
    {
      name: input.name,
      email,
      phone: input.phone ?? null,
      locale: input.locale ?? 'en',
      timeZone: input.timeZone ?? 'UTC',
      emailReplies: email !== null && ctx.mail.enabled,
    },
  );
  return {
    value: {
      message: presentMessageForVisitor(started.message, ctx.fileUrls),
      conversation: presentConversationForVisitor(started.view, ctx.fileUrls),
    },
    events: started.events,
  };
}
