import { sql } from 'kysely';
import type { DomainContext } from '../context.js';
import type { DomainEvent, Outcome } from '../events.js';
import { closeConversation } from './closeConversation.js';
import { recordWebhookEvents } from '../webhooks/recordWebhookEvents.js';

/** How many idle conversations one round ends (a round that fills it asks for another). */
const batch = 50;

const minuteMs = 60_000;

/**
 * The `idleEnd` background job's round: in each channel with `idle_end_minutes` set, active
 * conversations and those with the robot, with no message (of anyone, notices included) for that long end, through the
 * same path as an agent's end, with an `idleEnded` notice to the visitor. Queued conversations
 * never end so: they wait for a person. Hidden (snoozed) ones neither: their agent put them
 * aside on purpose. Each conversation is read again under the routing lock and ended only if it
 * still qualifies, so a repeated round, a second node, or a message that just arrived never ends
 * one twice or one that came back to life. Answers whether more may be due.
 */
export async function endIdleConversations(ctx: DomainContext): Promise<Outcome<boolean>> {
  const now = ctx.now();
  const due = await ctx.db
    .selectFrom('conversations as c')
    .innerJoin('channels as ch', 'ch.id', 'c.channel_id')
    .select('c.id')
    .where('c.state', 'in', ['active', 'robot'])
    .where('c.snoozed_at', 'is', null)
    .where('ch.idle_end_minutes', 'is not', null)
    .where(sql<boolean>`c.last_activity_at + ch.idle_end_minutes * ${minuteMs} <= ${now}`)
    .orderBy('c.last_activity_at')
    .limit(batch)
    .execute();
  if (due.length === 0) return { value: false, events: [] };
  return ctx.transaction(
    async (trx) => {
      const events: DomainEvent[] = [];
      const rows = await trx
        .selectFrom('conversations as c')
        .innerJoin('channels as ch', 'ch.id', 'c.channel_id')
        .selectAll('c')
        .select('ch.idle_end_minutes')
        .where(
          'c.id',
          'in',
          due.map((row) => row.id),
        )
        .where('c.state', 'in', ['active', 'robot'])
        .where('c.snoozed_at', 'is', null)
        .where('ch.idle_end_minutes', 'is not', null)
        .where(sql<boolean>`c.last_activity_at + ch.idle_end_minutes * ${minuteMs} <= ${now}`)
        .orderBy('c.last_activity_at')
        .execute();
      for (const { idle_end_minutes: minutes, ...conversation } of rows) {
        await closeConversation(
          ctx,
          trx,
          conversation,
          { endedBy: null, notice: { kind: 'idleEnded', minutes: Number(minutes) } },
          events,
        );
      }
      await recordWebhookEvents(ctx, trx, events);
      return { value: due.length === batch, events };
    },
    { lock: 'routing' },
  );
}
