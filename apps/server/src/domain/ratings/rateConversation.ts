import type { ConversationRating } from '@servicesystem/protocol';
import type { DomainContext, VisitorActor } from '../context.js';
import { AppError } from '../errors.js';
import type { Outcome } from '../events.js';
import { authorize, conversationPolicy } from '../policies.js';
import { presentRating } from '../presenters/rating.js';
import { foldRating } from '../reports/foldRating.js';
import { findChannelOrThrow } from '../channels/channelRows.js';
import { findConversationOrThrow, viewOf } from '../conversations/conversationViews.js';
import { recordWebhookEvents } from '../webhooks/recordWebhookEvents.js';

export interface RatingInput {
  score: number;
  /** Trimmed; empty: no comment. */
  comment?: string | undefined;
}

/**
 * The visitor rates a conversation that ended: a score from 1 to 5 and perhaps a comment, once.
 * The one row is the whole record (its key is the conversation, so a second answer, even one
 * racing the first, is refused by the database as well as here). The console users of the
 * conversation and the visitor's other pages hear of it as a conversation update.
 */
export async function rateConversation(
  ctx: DomainContext,
  actor: VisitorActor,
  conversationId: string,
  input: RatingInput,
): Promise<Outcome<ConversationRating>> {
  return ctx.transaction(async (trx) => {
    const conversation = await findConversationOrThrow(trx, conversationId);
    authorize(
      conversationPolicy.rate(actor, conversation),
      'Only the visitor of this conversation can rate it',
    );
    if (conversation.state !== 'ended') {
      throw new AppError('CONVERSATION_NOT_ENDED', 'A conversation is rated once it has ended');
    }
    const channel = await findChannelOrThrow(trx, conversation.channel_id);
    if (channel.rating_enabled === 0) {
      throw new AppError('RATING_OFF', 'This channel does not ask for ratings');
    }
    const row = {
      conversation_id: conversationId,
      score: input.score,
      comment: input.comment ? input.comment : null,
      created_at: ctx.now(),
    };
    const inserted = await trx
      .insertInto('conversation_ratings')
      .values(row)
      .onConflict((oc) => oc.column('conversation_id').doNothing())
      .returning('conversation_id')
      .executeTakeFirst();
    if (!inserted) {
      throw new AppError('ALREADY_RATED', 'This conversation has been rated already');
    }
    await foldRating(ctx, trx, { conversationId, score: row.score as 1 | 2 | 3 | 4 | 5 });
    const view = await viewOf(trx, conversationId);
    await recordWebhookEvents(ctx, trx, [], [{ type: 'rating.created', view, rating: row }]);
    return {
      value: presentRating(row),
      events: [{ type: 'conversation.updated', view }],
    };
  });
}
