import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';

/** Open conversations by state, and enabled agents by status, as the database holds them now. */
export interface LiveCounts {
  conversations: { queued: number; active: number; robot: number };
  agents: { online: number; away: number; offline: number };
}

/**
 * Two grouped counts for the metrics scrape. Open conversations only: the queued, active and
 * robot ones are a range of the (state, queue_order) index, whereas counting ended ones would read
 * every conversation ever held, on every scrape. Agents: the enabled agent accounts' presence
 * status (what routing reads).
 */
export async function liveCounts(db: Kysely<Database>): Promise<LiveCounts> {
  const [conversations, agents] = await Promise.all([
    db
      .selectFrom('conversations')
      .select((eb) => ['state', eb.fn.countAll<number>().as('count')])
      .where('state', 'in', ['queued', 'active', 'robot'])
      .groupBy('state')
      .execute(),
    db
      .selectFrom('accounts')
      .select((eb) => ['status', eb.fn.countAll<number>().as('count')])
      .where('role', '=', 'agent')
      .where('disabled_at', 'is', null)
      .groupBy('status')
      .execute(),
  ]);
  const counts: LiveCounts = {
    conversations: { queued: 0, active: 0, robot: 0 },
    agents: { online: 0, away: 0, offline: 0 },
  };
  for (const row of conversations) {
    if (row.state === 'queued' || row.state === 'active' || row.state === 'robot') {
      counts.conversations[row.state] = Number(row.count);
    }
  }
  for (const row of agents) counts.agents[row.status] = Number(row.count);
  return counts;
}
