import type { AgentPresence, AgentStatus } from '@servicesystem/protocol';
import type { AccountActor, DomainContext } from '../context.js';
import type { DomainEvent, Outcome } from '../events.js';
import { accountPolicy, authorize } from '../policies.js';
import { drainQueue, agentStatusChanged, presenceOf } from '../routing.js';

/**
 * An agent sets their status. `away` keeps current conversations and takes no new ones;
 * `online` drains the queue toward them. Admins are never routed, so they have no status.
 */
export async function setAgentStatus(
  ctx: DomainContext,
  actor: AccountActor,
  status: AgentStatus,
): Promise<Outcome<AgentPresence>> {
  authorize(accountPolicy.setOwnStatus(actor), 'Only agents have an online status');
  return applyAgentStatus(ctx, actor.accountId, status);
}

/** Also used by presence when an agent's last connection has been gone for the grace period. */
export async function applyAgentStatus(
  ctx: DomainContext,
  agentId: string,
  status: AgentStatus,
  onlyIf?: { currentIn: AgentStatus[] },
): Promise<Outcome<AgentPresence>> {
  return ctx.transaction(
    async (trx) => {
      let update = trx.updateTable('accounts').set({ status }).where('id', '=', agentId);
      if (onlyIf) update = update.where('status', 'in', onlyIf.currentIn);
      const changed = Number((await update.executeTakeFirst()).numUpdatedRows) > 0;
      const events: DomainEvent[] = [];
      if (changed) {
        events.push(await agentStatusChanged(trx, agentId));
        if (status === 'online') await drainQueue(trx, ctx, events);
      }
      return { value: await presenceOf(trx, agentId), events };
    },
    { lock: 'routing' },
  );
}
