import type { Account, UpdateMeRequest } from '@servicesystem/protocol';
import type { Updateable } from 'kysely';
import type { AccountsTable } from '../../db/schema.js';
import type { AccountActor, DomainContext } from '../context.js';
import { presentAccount } from '../presenters/account.js';
import { useAsAvatar } from '../files/useAsAvatar.js';
import { findAccountOrThrow } from './accountRows.js';

/** A console user edits their own display name and avatar (a URL, or an image they uploaded);
 * not role, cap or enabled. */
export async function updateOwnProfile(
  ctx: DomainContext,
  actor: AccountActor,
  input: UpdateMeRequest,
): Promise<Account> {
  return ctx.db.transaction().execute(async (trx) => {
    const now = ctx.now();
    const changes: Updateable<AccountsTable> = { updated_at: now };
    if (input.displayName !== undefined) changes.display_name = input.displayName;
    if (input.avatarUrl !== undefined) changes.avatar_url = input.avatarUrl;
    if (input.avatarFileId !== undefined) {
      changes.avatar_url = await useAsAvatar(trx, actor, input.avatarFileId, now);
    }
    await trx.updateTable('accounts').set(changes).where('id', '=', actor.accountId).execute();
    return presentAccount(await findAccountOrThrow(trx, actor.accountId));
  });
}
