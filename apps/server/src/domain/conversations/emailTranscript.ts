import type { TranscriptRequest } from '@servicesystem/protocol';
import type { z } from 'zod';
import { composeTranscriptMail } from '../../mail/composeMail.js';
import type { DomainContext, VisitorActor } from '../context.js';
import { AppError, notFound } from '../errors.js';
import { conversationPolicy } from '../policies.js';
import { enqueue } from '../outbox/outboxRows.js';
import { mailMessageOf, messagesAfter } from '../outbox/messagesForMail.js';
import { findConversationOrThrow } from './conversationViews.js';

export type TranscriptInput = z.output<typeof TranscriptRequest>;

/**
 * The visitor of an ended conversation has its transcript mailed to `email`: composed now (every
 * visitor and agent message, with names and times) and written to the outbox, which sends it
 * within seconds. Refused without mail (MAIL_NOT_CONFIGURED), before the end (INVALID_STATE),
 * and past 3 an hour per visitor or per address (TOO_MANY_TRANSCRIPTS).
 */
export async function emailTranscript(
  ctx: DomainContext,
  actor: VisitorActor,
  conversationId: string,
  input: TranscriptInput,
): Promise<void> {
  const conversation = await findConversationOrThrow(ctx.db, conversationId);
  // Another visitor's conversation is as good as absent.
  if (!conversationPolicy.mailTranscript(actor, conversation)) throw notFound('The conversation');
  if (!ctx.mail.enabled) {
    throw new AppError('MAIL_NOT_CONFIGURED', 'This server does not send email');
  }
  if (conversation.state !== 'ended' || conversation.ended_at === null) {
    throw new AppError('INVALID_STATE', 'A transcript is sent once the conversation has ended');
  }
  const waitMs = await ctx.transcriptLimit.take(actor.visitorId, input.email);
  if (waitMs > 0) {
    const seconds = Math.ceil(waitMs / 1000);
    throw new AppError(
      'TOO_MANY_TRANSCRIPTS',
      `Too many transcripts asked for this hour. Try again in ${Math.ceil(seconds / 60)} min.`,
      { retryAfterSeconds: seconds },
    );
  }
  const channel = await ctx.db
    .selectFrom('channels')
    .select('name')
    .where('id', '=', conversation.channel_id)
    .executeTakeFirstOrThrow();
  const messages = (await messagesAfter(ctx, ctx.db, conversationId, 0)).flatMap(
    (m) => mailMessageOf(m) ?? [],
  );
  const mail = composeTranscriptMail({
    locale: input.locale ?? 'en',
    timeZone: input.timeZone ?? 'UTC',
    channelName: channel.name,
    startedAt: Number(conversation.created_at),
    endedAt: Number(conversation.ended_at),
    messages,
  });
  const now = ctx.now();
  await ctx.transaction((trx) =>
    enqueue(
      trx,
      ctx.mail,
      { kind: 'mail', payload: { to: input.email, ...mail } },
      { now, dueAt: now },
    ),
  );
}
