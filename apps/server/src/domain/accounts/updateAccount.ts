import type { Account, UpdateAgentRequest } from '@servicesystem/protocol';
import type { Kysely } from 'kysely';
import type { AccountsTable, Database } from '../../db/schema.js';
import { changedField, fieldChange, recordAudit } from '../audit/recordAudit.js';
import type { Actor, DomainContext } from '../context.js';
import { AppError } from '../errors.js';
import { accountPolicy, authorize } from '../policies.js';
import type { DomainEvent, Outcome } from '../events.js';
import { presentAccount } from '../presenters/account.js';
import { agentStatusChanged, drainQueue, rerouteFrom } from '../routing.js';
import { countOtherEnabledAdmins, findAccountOrThrow, revokeSessionsOf } from './accountRows.js';
import { profileChanges } from './profileChanges.js';
import { recordWebhookEvents } from '../webhooks/recordWebhookEvents.js';

/**
 * An admin edits an account: profile, cap, role, enabled. Disabling ends the account's sessions
 * at once; disabling an agent or making them an admin hands their conversations on at once. The last enabled admin can be neither disabled nor demoted. A change that can free
 * routing capacity (a higher cap, enabling, becoming an agent) drains the queue.
 */
export async function updateAccount(
  ctx: DomainContext,
  actor: Actor,
  accountId: string,
  input: UpdateAgentRequest,
): Promise<Outcome<Account>> {
  authorize(accountPolicy.manage(actor), 'Only administrators can edit accounts');
  const routingChange =
    input.maxConcurrent !== undefined || input.enabled !== undefined || input.role !== undefined;
  const work = async (trx: Kysely<Database>): Promise<Outcome<Account>> => {
    const current = await findAccountOrThrow(trx, accountId);
    const disabling = input.enabled === false && current.disabled_at === null;
    const demoting = input.role === 'agent' && current.role === 'admin';
    if (current.role === 'admin' && current.disabled_at === null && (disabling || demoting)) {
      const others = await countOtherEnabledAdmins(trx, accountId);
      if (others === 0) {
        throw new AppError(
          'LAST_ADMIN',
          'This is the last enabled administrator: it cannot be disabled or made an agent',
        );
      }
    }

    const now = ctx.now();
    // An uploaded avatar is the admin's own upload, set on the agent.
    const changes = await profileChanges(trx, actor, input, now);
    if (input.maxConcurrent !== undefined) changes.max_concurrent = input.maxConcurrent;
    if (input.role !== undefined) changes.role = input.role;
    // Admins are never routed: a promoted agent leaves routing at once.
    if (input.role === 'admin' && current.role === 'agent') {
      changes.status = 'offline';
      changes.offline_since = current.offline_since ?? now;
    }
    if (input.enabled !== undefined) {
      changes.disabled_at = input.enabled ? null : (current.disabled_at ?? now);
    }
    await trx.updateTable('accounts').set(changes).where('id', '=', accountId).execute();
    const events: DomainEvent[] = [];
    if (disabling) {
      await revokeSessionsOf(trx, accountId);
      events.push({ type: 'account.sessionsEnded', accountId });
    } else if (input.role !== undefined && input.role !== current.role) {
      // A socket holds the rooms and powers of the role it connected with.
      events.push({ type: 'account.roleChanged', accountId });
    }
    const updated = await findAccountOrThrow(trx, accountId);
    await auditAccountUpdate(trx, actor, current, updated, now);
    // An agent who leaves takes nothing with them: their visitors are served or queued at once.
    if (current.role === 'agent' && (disabling || updated.role === 'admin')) {
      await rerouteFrom(trx, ctx, accountId, events);
    }
    if (routingChange) {
      if (updated.role === 'agent') {
        events.push(await agentStatusChanged(trx, accountId));
      }
      await drainQueue(trx, ctx, events);
    }
    await recordWebhookEvents(ctx, trx, events);
    return { value: presentAccount(updated), events };
  };
  // The routing lock also orders every disable and demotion (each changes `enabled` or `role`),
  // so two of them cannot both leave the other as the last administrator.
  return ctx.transaction(work, routingChange ? { lock: 'routing' } : {});
}

/** The audit entry of an edit: only what changed; nothing at all for an edit that changed nothing. */
async function auditAccountUpdate(
  trx: Kysely<Database>,
  actor: Actor,
  before: AccountsTable,
  after: AccountsTable,
  now: number,
): Promise<void> {
  const wasEnabled = before.disabled_at === null;
  const isEnabled = after.disabled_at === null;
  const changes = [
    ...fieldChange('displayName', before.display_name, after.display_name),
    ...(before.avatar_url !== after.avatar_url ? [changedField('avatarUrl')] : []),
    ...fieldChange('role', before.role, after.role),
    ...fieldChange('maxConcurrent', before.max_concurrent, after.max_concurrent),
    ...fieldChange('enabled', wasEnabled, isEnabled),
  ];
  if (changes.length === 0) return;
  await recordAudit(
    trx,
    actor,
    {
      action:
        wasEnabled && !isEnabled
          ? 'account.disable'
          : !wasEnabled && isEnabled
            ? 'account.enable'
            : 'account.update',
      target: { type: 'account', id: after.id, label: after.username },
      changes,
    },
    now,
  );
}
