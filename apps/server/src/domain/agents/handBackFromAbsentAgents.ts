import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { DomainContext } from '../context.js';
import type { DomainEvent, Outcome } from '../events.js';
import { agentStatusChanged, rerouteConversations } from '../routing.js';
import { recordWebhookEvents } from '../webhooks/recordWebhookEvents.js';

/** How many conversations one round hands back (a round that fills it asks for another). */
const batch = 50;

const minuteMs = 60_000;

/** Active conversations, in channels with `absent_agent_minutes` set, whose agent has been
 * offline at least that long (`ids`: only among these). */
function absentAgentsConversations(db: Kysely<Database>, now: number, ids?: string[]) {
  let query = db
    .selectFrom('conversations as c')
    .innerJoin('accounts as a', 'a.id', 'c.agent_id')
    .innerJoin('channels as ch', 'ch.id', 'c.channel_id')
    .where('c.state', '=', 'active')
    .where('a.status', '=', 'offline')
    .where('a.offline_since', 'is not', null)
    .where('ch.absent_agent_minutes', 'is not', null)
    .where(sql<boolean>`a.offline_since + ch.absent_agent_minutes * ${minuteMs} <= ${now}`);
  if (ids) query = query.where('c.id', 'in', ids);
  return query;
}

/**
 * The `handBack` background job's round: an agent offline (console closed, or status set to
 * offline) for longer than a channel's `absent_agent_minutes` hands that channel's active
 * conversations back: each goes to another online agent by the usual rules, else to the head of
 * the queue, and its visitor is told (the `assigned` or `queued` notice). Rows are read again
 * under the routing lock, so a second node, a repeated round, or the agent coming back just
 * before never moves one twice. Answers whether more may be due.
 */
export async function handBackFromAbsentAgents(ctx: DomainContext): Promise<Outcome<boolean>> {
  const now = ctx.now();
  const due = await absentAgentsConversations(ctx.db, now)
    .select('c.id')
    .orderBy('c.assigned_at')
    .limit(batch)
    .execute();
  if (due.length === 0) return { value: false, events: [] };
  return ctx.transaction(
    async (trx) => {
      const held = await absentAgentsConversations(
        trx,
        now,
        due.map((row) => row.id),
      )
        .selectAll('c')
        .execute();
      const events: DomainEvent[] = [];
      await rerouteConversations(trx, ctx, held, events);
      const absent = new Set(held.map((c) => c.agent_id).filter((id): id is string => !!id));
      for (const agentId of absent) events.push(await agentStatusChanged(trx, agentId));
      await recordWebhookEvents(ctx, trx, events);
      return { value: due.length === batch, events };
    },
    { lock: 'routing' },
  );
}
