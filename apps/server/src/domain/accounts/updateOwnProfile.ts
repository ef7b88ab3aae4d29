import type { Account, UpdateMeRequest } from '@servicesystem/protocol';
import type { AccountActor, DomainContext } from '../context.js';
import { presentAccount } from '../presenters/account.js';
import { profileChanges } from './profileChanges.js';
import { findAccountOrThrow } from './accountRows.js';

/** A console user edits their own display name and avatar (a URL, or an image they uploaded);
 * not role, cap or enabled. */
export async function updateOwnProfile(
  ctx: DomainContext,
  actor: AccountActor,
  input: UpdateMeRequest,
): Promise<Account> {
  return ctx.transaction(async (trx) => {
    const changes = await profileChanges(trx, actor, input, ctx.now());
    await trx.updateTable('accounts').set(changes).where('id', '=', actor.accountId).execute();
    return presentAccount(await findAccountOrThrow(trx, actor.accountId));
  });
}
