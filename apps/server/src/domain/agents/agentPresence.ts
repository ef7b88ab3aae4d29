import type { AgentPresence } from '@servicesystem/protocol';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';

/** Status and load of enabled agents (one, when `agentId` is given), by display name. */
export async function queryPresence(
  db: Kysely<Database>,
  agentId?: string,
): Promise<AgentPresence[]> {
  let query = db
    .selectFrom('accounts as a')
    .leftJoin('conversations as c', (join) =>
      join.onRef('c.agent_id', '=', 'a.id').on('c.state', '=', 'active'),
    )
    .select((eb) => [
      'a.id',
      'a.display_name',
      'a.avatar_url',
      'a.status',
      'a.max_concurrent',
      eb.fn.count<number>('c.id').as('active'),
    ])
    .where('a.role', '=', 'agent')
    .groupBy(['a.id', 'a.display_name', 'a.avatar_url', 'a.status', 'a.max_concurrent'])
    .orderBy('a.display_name');
  query =
    agentId === undefined
      ? query.where('a.disabled_at', 'is', null)
      : query.where('a.id', '=', agentId);
  const rows = await query.execute();
  return rows.map((row) => ({
    id: row.id,
    displayName: row.display_name,
    avatarUrl: row.avatar_url,
    status: row.status,
    activeConversations: Number(row.active),
    maxConcurrent: row.max_concurrent,
  }));
}

/** Agents whose status is not offline: those a crashed process may have left online. */
export async function agentsNotOffline(db: Kysely<Database>): Promise<string[]> {
  const rows = await db
    .selectFrom('accounts')
    .select('id')
    .where('role', '=', 'agent')
    .where('status', '!=', 'offline')
    .execute();
  return rows.map((row) => row.id);
}

/** True when some enabled agent is online now. */
export async function anyAgentOnline(db: Kysely<Database>): Promise<boolean> {
  const row = await db
    .selectFrom('accounts')
    .select('id')
    .where('role', '=', 'agent')
    .where('status', '=', 'online')
    .where('disabled_at', 'is', null)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
