import type { ConversationCounts } from '@servicesystem/protocol';
import { sql } from 'kysely';
import type { AccountActor, DomainContext } from '../context.js';
import { conversationPolicy } from '../policies.js';

/**
 * The console views' counts, in one query over the open conversations: the caller's `mine`
 * (active, not hidden) and `snoozed` (active, hidden), the queue (`unassigned`), and every open
 * one (`all`, administrators; null for agents).
 */
export async function conversationCounts(
  ctx: DomainContext,
  actor: AccountActor,
): Promise<ConversationCounts> {
  const me = actor.accountId;
  const row = await ctx.db
    .selectFrom('conversations')
    .select([
      sql<number>`coalesce(sum(case when agent_id = ${me} and state = 'active' and snoozed_at is null then 1 else 0 end), 0)`.as(
        'mine',
      ),
      sql<number>`coalesce(sum(case when agent_id = ${me} and state = 'active' and snoozed_at is not null then 1 else 0 end), 0)`.as(
        'snoozed',
      ),
      sql<number>`coalesce(sum(case when state = 'queued' then 1 else 0 end), 0)`.as('unassigned'),
      sql<number>`count(*)`.as('open'),
    ])
    .where('state', '!=', sql.lit<'ended'>('ended'))
    .executeTakeFirstOrThrow();
  return {
    mine: Number(row.mine),
    snoozed: Number(row.snoozed),
    unassigned: Number(row.unassigned),
    all: conversationPolicy.listAll(actor) ? Number(row.open) : null,
  };
}
