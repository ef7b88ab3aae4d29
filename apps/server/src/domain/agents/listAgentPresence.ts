import type { AgentPresence } from '@servicesystem/protocol';
import type { AccountActor, DomainContext } from '../context.js';
import { accountPolicy, authorize } from '../policies.js';
import { queryPresence } from './agentPresence.js';

/** Every enabled agent's status and load, for transfer lists and the dashboard. */
export async function listAgentPresence(
  ctx: DomainContext,
  actor: AccountActor,
): Promise<AgentPresence[]> {
  authorize(accountPolicy.listPresence(actor));
  return queryPresence(ctx.db);
}
