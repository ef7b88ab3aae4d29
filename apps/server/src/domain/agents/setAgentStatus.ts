import type { AgentPresence, AgentStatus } from '@servicesystem/protocol';
import type { AccountActor, DomainContext } from '../context.js';
import type { DomainEvent, Outcome } from '../events.js';
import { accountPolicy, authorize } from '../policies.js';
import { announceQueuePositions, drainQueue, agentStatusChanged, presenceOf } from '../routing.js';

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
  return applyAgentStatus(ctx, actor.accountId, status, undefined, true);
}

/**
 * Also used by presence: when an agent's last connection has been gone for the grace period
 * (offline, not remembered), and when their console connects (the status they last chose).
 * `remember`: the agent chose it, so it is applied again at their next login.
 */
export async function applyAgentStatus(
  ctx: DomainContext,
  agentId: string,
  status: AgentStatus,
  onlyIf?: { currentIn: AgentStatus[] },
  remember = false,
): Promise<Outcome<AgentPresence>> {
  return ctx.transaction(
    async (trx) => {
      let update = trx
        .updateTable('accounts')
        .set(remember ? { status, chosen_status: status } : { status })
        .where('id', '=', agentId);
      if (onlyIf) update = update.where('status', 'in', onlyIf.currentIn);
      const changed = Number((await update.executeTakeFirst()).numUpdatedRows) > 0;
      const events: DomainEvent[] = [];
      if (changed) {
        events.push(await agentStatusChanged(trx, agentId));
        if (status === 'online') await drainQueue(trx, ctx, events);
        // Whoever still waits may wait for another reason now (somebody came or went).
        await announceQueuePositions(trx, events);
      }
      return { value: await presenceOf(trx, agentId), events };
    },
    { lock: 'routing' },
  );
}

/**
 * An agent's console connected: an agent who is offline gets the status they last chose (a new
 * agent: online), so nobody has to switch themselves on at every login. Nothing when they chose
 * offline, or are online or away already.
 */
export async function resumeChosenStatus(
  ctx: DomainContext,
  agentId: string,
): Promise<Outcome<AgentPresence | null>> {
  const row = await ctx.db
    .selectFrom('accounts')
    .select(['status', 'chosen_status', 'role', 'disabled_at'])
    .where('id', '=', agentId)
    .executeTakeFirst();
  if (
    !row ||
    row.role !== 'agent' ||
    row.disabled_at !== null ||
    row.status !== 'offline' ||
    row.chosen_status === 'offline'
  ) {
    return { value: null, events: [] };
  }
  return applyAgentStatus(ctx, agentId, row.chosen_status, { currentIn: ['offline'] });
}
