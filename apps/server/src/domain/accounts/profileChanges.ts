import type { Kysely, Updateable } from 'kysely';
import type { AccountsTable, Database } from '../../db/schema.js';
import type { Actor } from '../context.js';
import { useAsAvatar } from '../files/useAsAvatar.js';

/** The display-name and avatar part of an account edit, by its owner or by an admin. An
 * uploaded avatar must be the actor's own upload. */
export async function profileChanges(
  trx: Kysely<Database>,
  actor: Actor,
  input: {
    displayName?: string | undefined;
    avatarUrl?: string | null | undefined;
    avatarFileId?: string | undefined;
  },
  now: number,
): Promise<Updateable<AccountsTable>> {
  const changes: Updateable<AccountsTable> = { updated_at: now };
  if (input.displayName !== undefined) changes.display_name = input.displayName;
  if (input.avatarUrl !== undefined) changes.avatar_url = input.avatarUrl;
  if (input.avatarFileId !== undefined) {
    changes.avatar_url = await useAsAvatar(trx, actor, input.avatarFileId, now);
  }
  return changes;
}
