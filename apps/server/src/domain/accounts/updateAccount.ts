import type { Account, UpdateAgentRequest } from '@servicesystem/protocol';
import type { Updateable } from 'kysely';
import type { AccountsTable } from '../../db/schema.js';
import type { Actor, DomainContext } from '../context.js';
import { AppError } from '../errors.js';
import { accountPolicy, authorize } from '../policies.js';
import { presentAccount } from '../presenters/account.js';
import { countOtherEnabledAdmins, findAccountOrThrow, revokeSessionsOf } from './accountRows.js';

/**
 * An admin edits an account: profile, cap, role, enabled. Disabling ends the account's sessions
 * at once. The last enabled admin can be neither disabled nor demoted.
 */
export async function updateAccount(
  ctx: DomainContext,
  actor: Actor,
  accountId: string,
  input: UpdateAgentRequest,
): Promise<Account> {
  authorize(accountPolicy.manage(actor), 'Only administrators can edit accounts');
  return ctx.db.transaction().execute(async (trx) => {
    const current = await findAccountOrThrow(trx, accountId);
    const disabling = input.enabled === false && current.disabled_at === null;
    const demoting = input.role === 'agent' && current.role === 'admin';
    if (current.role === 'admin' && current.disabled_at === null && (disabling || demoting)) {
      const others = await countOtherEnabledAdmins(trx, accountId, ctx.engine === 'postgres');
      if (others === 0) {
        throw new AppError(
          'LAST_ADMIN',
          'This is the last enabled administrator: it cannot be disabled or made an agent',
        );
      }
    }

    const now = ctx.now();
    const changes: Updateable<AccountsTable> = { updated_at: now };
    if (input.displayName !== undefined) changes.display_name = input.displayName;
    if (input.avatarUrl !== undefined) changes.avatar_url = input.avatarUrl;
    if (input.maxConcurrent !== undefined) changes.max_concurrent = input.maxConcurrent;
    if (input.role !== undefined) changes.role = input.role;
    if (input.enabled !== undefined) {
      changes.disabled_at = input.enabled ? null : (current.disabled_at ?? now);
    }
    await trx.updateTable('accounts').set(changes).where('id', '=', accountId).execute();
    if (disabling) await revokeSessionsOf(trx, accountId);
    return presentAccount(await findAccountOrThrow(trx, accountId));
  });
}
