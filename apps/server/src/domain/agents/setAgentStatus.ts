import type { AgentPresence, AgentStatus } from '@servicesystem/protocol';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { AccountActor, DomainContext } from '../context.js';
import { anyAgentOnline } from './agentPresence.js';
import type { DomainEvent, Outcome } from '../events.js';
import { accountPolicy, authorize } from '../policies.js';
import { announceQueuePositions, drainQueue, agentStatusChanged, presenceOf } from '../routing.js';
import { recordWebhookEvents } from '../webhooks/recordWebhookEvents.js';

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
      const anyoneBefore = await anyAgentOnline(trx);
      // Since when the agent is offline: kept while they stay offline, cleared when they are not
      // (the absent-agent hand-back counts from it).
      const now = ctx.now();
      let update = trx
        .updateTable('accounts')
        .set((eb) => ({
          status,
          ...(remember ? { chosen_status: status } : {}),
          offline_since:
            status === 'offline' ? eb.fn.coalesce('offline_since', eb.val(now)) : eb.val(null),
        }))
        .where('id', '=', agentId);
      if (onlyIf) update = update.where('status', 'in', onlyIf.currentIn);
      const changed = Number((await update.executeTakeFirst()).numUpdatedRows) > 0;
      const events: DomainEvent[] = [];
      if (changed) {
        events.push(await agentStatusChanged(trx, agentId));
        if (status === 'online') await drainQueue(trx, ctx, events);
        await announceNewReason(trx, anyoneBefore, events);
      }
      await recordWebhookEvents(ctx, trx, events);
      return { value: await presenceOf(trx, agentId), events };
    },
    { lock: 'routing' },
  );
}

/**
 * An agent's console connected: an agent who is offline gets the status they last chose (a new
 * agent: online), so nobody has to switch themselves on at every login. Nothing when they chose
 * offline, or are online or away already. One guarded update under the routing lock, so a choice
 * made at the same moment (say "offline") is never overwritten.
 */
export async function resumeChosenStatus(
  ctx: DomainContext,
  agentId: string,
): Promise<Outcome<AgentPresence | null>> {
  return ctx.transaction(
    async (trx) => {
      const anyoneBefore = await anyAgentOnline(trx);
      const row = await trx
        .updateTable('accounts')
        .set((eb) => ({ status: eb.ref('chosen_status'), offline_since: eb.val(null) }))
        .where('id', '=', agentId)
        .where('role', '=', 'agent')
        .where('disabled_at', 'is', null)
        .where('status', '=', 'offline')
        .where('chosen_status', '!=', 'offline')
        .returning('status')
        .executeTakeFirst();
      if (!row) return { value: null, events: [] };
      const events: DomainEvent[] = [await agentStatusChanged(trx, agentId)];
      if (row.status === 'online') await drainQueue(trx, ctx, events);
      await announceNewReason(trx, anyoneBefore, events);
      await recordWebhookEvents(ctx, trx, events);
      return { value: await presenceOf(trx, agentId), events };
    },
    { lock: 'routing' },
  );
}

/**
 * Whoever waits in the queue waits for another reason once the first agent comes online or the
 * last one leaves: tell them (unless routing just told them their places).
 */
async function announceNewReason(
  trx: Kysely<Database>,
  anyoneBefore: boolean,
  events: DomainEvent[],
): Promise<void> {
  if ((await anyAgentOnline(trx)) === anyoneBefore) return;
  if (events.some((event) => event.type === 'queue.positions')) return;
  await announceQueuePositions(trx, events);
}
