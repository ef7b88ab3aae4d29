import { sql } from 'kysely';
import type { DomainContext } from '../context.js';
import { closeConversation } from '../conversations/closeConversation.js';
import type { DomainEvent, Outcome } from '../events.js';
import { recordWebhookEvents } from '../webhooks/recordWebhookEvents.js';
import { handOff } from './handOff.js';

/** How many conversations one round looks after of each kind. */
const batch = 50;

/** A conversation with the robot that nobody wrote in for this long ends by itself, even on a
 * channel without idle end: the visitor got what they came for, or left. */
export const robotQuietMinutes = 30;

/**
 * The `robot` background job's round, for what a turn cannot do itself:
 * - A visitor's message the robot never answered, because the node that stored it stopped
 *   before its turn (turns run in memory, after commit), is handed to people once
 *   `stalledAfterMs` passed (longer than a language model may take), as `unanswered`: the
 *   visitor is not left talking to nobody.
 * - A conversation with the robot quiet for `robotQuietMinutes` ends with the idle notice, so it
 *   is counted: resolved by the robot when it answered.
 * Answers whether more may be due.
 */
export async function tendRobotConversations(
  ctx: DomainContext,
  stalledAfterMs: number,
): Promise<Outcome<boolean>> {
  const now = ctx.now();
  const events: DomainEvent[] = [];
  const stalled = await ctx.db
    .selectFrom('conversations as c')
    .innerJoin('messages as m', (join) =>
      join.onRef('m.conversation_id', '=', 'c.id').onRef('m.seq', '=', 'c.last_seq'),
    )
    .select('c.id')
    .where('c.state', '=', sql.lit('robot'))
    .where('m.sender_type', '=', 'visitor')
    .where('c.last_activity_at', '<=', now - stalledAfterMs)
    .orderBy('c.last_activity_at')
    .limit(batch)
    .execute();
  // handOff re-reads each under the routing lock: one answered or taken meanwhile is left be.
  for (const { id } of stalled) events.push(...(await handOff(ctx, id, 'unanswered')).events);

  const quietBefore = now - robotQuietMinutes * 60_000;
  const quiet = await ctx.db
    .selectFrom('conversations')
    .select('id')
    .where('state', '=', sql.lit('robot'))
    .where('last_activity_at', '<=', quietBefore)
    .orderBy('last_activity_at')
    .limit(batch)
    .execute();
  if (quiet.length > 0) {
    await ctx.transaction(
      async (trx) => {
        const rows = await trx
          .selectFrom('conversations')
          .selectAll()
          .where(
            'id',
            'in',
            quiet.map((q) => q.id),
          )
          .where('state', '=', sql.lit('robot'))
          .where('last_activity_at', '<=', quietBefore)
          .execute();
        const ended: DomainEvent[] = [];
        for (const conversation of rows) {
          await closeConversation(
            ctx,
            trx,
            conversation,
            { endedBy: null, notice: { kind: 'idleEnded', minutes: robotQuietMinutes } },
            ended,
          );
        }
        await recordWebhookEvents(ctx, trx, ended);
        events.push(...ended);
      },
      { lock: 'routing' },
    );
  }
  return { value: stalled.length === batch || quiet.length === batch, events };
}
