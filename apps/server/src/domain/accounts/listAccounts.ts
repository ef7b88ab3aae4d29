import type { Account } from '@servicesystem/protocol';
import type { Actor, DomainContext } from '../context.js';
import { accountPolicy, authorize } from '../policies.js';
import { presentAccount } from '../presenters/account.js';
import { findAccountOrThrow } from './accountRows.js';

/** Every account, admins first, then by display name. Admins only. */
export async function listAccounts(ctx: DomainContext, actor: Actor): Promise<Account[]> {
  authorize(accountPolicy.manage(actor), 'Only administrators can list accounts');
  const rows = await ctx.db
    .selectFrom('accounts')
    .selectAll()
    .orderBy('role')
    .orderBy('display_name')
    .orderBy('id')
    .execute();
  return rows.map(presentAccount);
}

/** One account: admins read any, a console user reads their own. */
export async function getAccount(
  ctx: DomainContext,
  actor: Actor,
  accountId: string,
): Promise<Account> {
  authorize(accountPolicy.manage(actor) || accountPolicy.editSelf(actor, accountId));
  return presentAccount(await findAccountOrThrow(ctx.db, accountId));
}
