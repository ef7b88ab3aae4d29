import { ApiKeyScope, type ApiKey } from '@servicesystem/protocol';
import type { Kysely } from 'kysely';
import { tokenStartOf } from '../../auth/apiKeyTokens.js';
import type { AccountsTable, ApiKeysTable, Database } from '../../db/schema.js';
import { notFound } from '../errors.js';

type KeyAccount = Pick<AccountsTable, 'id' | 'username' | 'display_name' | 'role' | 'disabled_at'>;

/** The stored scopes, known ones only (a scope a later version dropped is simply gone). */
export const scopesOf = (row: Pick<ApiKeysTable, 'scopes'>): ApiKeyScope[] =>
  row.scopes.split(' ').filter((s): s is ApiKeyScope => ApiKeyScope.safeParse(s).success);

export function presentApiKey(row: ApiKeysTable, account: KeyAccount): ApiKey {
  return {
    id: row.id,
    name: row.name,
    scopes: scopesOf(row),
    account: {
      id: account.id,
      username: account.username,
      displayName: account.display_name,
      role: account.role,
      enabled: account.disabled_at === null,
    },
    tokenStart: tokenStartOf(row.id),
    rateLimitPerMinute: Number(row.rate_limit_per_minute),
    createdAt: Number(row.created_at),
    lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
  };
}

function selectKeys(db: Kysely<Database>) {
  return db
    .selectFrom('api_keys')
    .innerJoin('accounts', 'accounts.id', 'api_keys.account_id')
    .selectAll('api_keys')
    .select([
      'accounts.username',
      'accounts.display_name',
      'accounts.role',
      'accounts.disabled_at',
    ]);
}

type Joined = ApiKeysTable & Omit<KeyAccount, 'id'>;

const split = (row: Joined): [ApiKeysTable, KeyAccount] => {
  const { username, display_name, role, disabled_at, ...key } = row;
  return [key, { id: key.account_id, username, display_name, role, disabled_at }];
};

/** Every key, newest first. */
export async function allApiKeys(db: Kysely<Database>): Promise<ApiKey[]> {
  const rows = await selectKeys(db).orderBy('api_keys.created_at', 'desc').execute();
  return rows.map((row) => presentApiKey(...split(row)));
}

export async function findApiKeyOrThrow(
  db: Kysely<Database>,
  id: string,
): Promise<[ApiKeysTable, KeyAccount]> {
  const row = await selectKeys(db).where('api_keys.id', '=', id).executeTakeFirst();
  if (!row) throw notFound('This API key');
  return split(row);
}
