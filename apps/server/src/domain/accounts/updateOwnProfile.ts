import type { Account, UpdateMeRequest } from '@servicesystem/protocol';
import type { Updateable } from 'kysely';
import type { AccountsTable } from '../../db/schema.js';
import type { AccountActor, DomainContext } from '../context.js';
import { presentAccount } from '../presenters/account.js';
import { findAccountOrThrow } from './accountRows.js';

/** A console user edits their own display name and avatar (not role, cap or enabled). */
export async function updateOwnProfile(
  ctx: DomainContext,
  actor: AccountActor,
  input: UpdateMeRequest,
): Promise<Account> {
  const changes: Updateable<AccountsTable> = { updated_at: ctx.now() };
  if (input.displayName !== undefined) changes.display_name = input.displayName;
  if (input.avatarUrl !== undefined) changes.avatar_url = input.avatarUrl;
  await ctx.db.updateTable('accounts').set(changes).where('id', '=', actor.accountId).execute();
  return presentAccount(await findAccountOrThrow(ctx.db, actor.accountId));
}
