import type { Kysely } from 'kysely';
import type { AccountsTable, Database } from '../../db/schema.js';
import { notFound } from '../errors.js';

export async function findAccountOrThrow(db: Kysely<Database>, id: string): Promise<AccountsTable> {
  const row = await db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('The account');
  return row;
}

/** Ends every console session of an account, optionally keeping one (the caller's). */
export async function revokeSessionsOf(
  db: Kysely<Database>,
  accountId: string,
  keepSessionId?: string,
): Promise<void> {
  let query = db.deleteFrom('sessions').where('account_id', '=', accountId);
  if (keepSessionId !== undefined) query = query.where('id', '!=', keepSessionId);
  await query.execute();
}

/** Number of enabled admins other than `exceptId`. Callers hold the routing lock, which orders
 * every disable and demotion. */
export async function countOtherEnabledAdmins(
  db: Kysely<Database>,
  exceptId: string,
): Promise<number> {
  const query = db
    .selectFrom('accounts')
    .select('id')
    .where('role', '=', 'admin')
    .where('disabled_at', 'is', null)
    .where('id', '!=', exceptId);
  const rows = await query.execute();
  return rows.length;
}
