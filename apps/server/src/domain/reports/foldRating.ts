import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { DomainContext } from '../context.js';
import { foldsNow, rollupKeyOf } from './conversationFigures.js';
import { RollupDelta } from './rollups.js';

type Score = 1 | 2 | 3 | 4 | 5;

/**
 * Adds a visitor's rating (1–5) of a conversation to the roll-ups, in the transaction that
 * stores it (rateConversation): the conversation's start day and its agent. A rating is given
 * once, so it is only ever added.
 */
export async function foldRating(
  ctx: DomainContext,
  trx: Kysely<Database>,
  rating: { conversationId: string; score: Score },
): Promise<void> {
  const state = await ctx.reports.readState(trx, 'share');
  if (!foldsNow(state, rating.conversationId)) return;
  const conversation = await trx
    .selectFrom('conversations')
    .select(['channel_id', 'agent_id', 'created_at'])
    .where('id', '=', rating.conversationId)
    .executeTakeFirstOrThrow();
  const delta = new RollupDelta();
  delta.add(rollupKeyOf(conversation, state.zone), {
    rating_count: 1,
    rating_sum: rating.score,
    [`rating_${rating.score}`]: 1,
  });
  await delta.writeTo(trx);
}
