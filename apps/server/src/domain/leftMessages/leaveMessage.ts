import { randomUUID } from 'node:crypto';
import type {
  LeaveMessageRequest as LeaveMessageSchema,
  Message,
  VisitorConversation,
} from '@servicesystem/protocol';
import type { z } from 'zod';
import type { DomainContext, VisitorActor } from '../context.js';
import { notFound } from '../errors.js';
import type { Outcome } from '../events.js';
import { presentConversationForVisitor } from '../presenters/conversation.js';
import { presentMessageForVisitor } from '../presenters/message.js';
import { startConversation } from '../conversations/startConversation.js';
import { refuseFlood, refuseNewConversationFlood } from '../conversations/sendMessage.js';

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
  refuseFlood(ctx, actor.visitorId);
  const visitor = await ctx.db
    .selectFrom('visitors')
    .selectAll()
    .where('id', '=', actor.visitorId)
    .executeTakeFirst();
  if (!visitor) throw notFound('The visitor');
  await refuseNewConversationFlood(ctx, origin.ip);
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
