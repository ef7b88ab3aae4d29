import type { Kysely } from 'kysely';

/**
 * Scoped API keys (domain/apiKeys): one row per key, kept after revocation so the list and the
 * audit log can still name it.
 * - `secret_hash`: SHA-256 (hex) of the token's 256-bit random secret; the token itself is shown
 *   once and never stored.
 * - `scopes`: the scopes, space separated.
 * - `account_id`: the console account the key acts as; its keys stop working while it is
 *   disabled.
 * - `last_used_at`: written at most once a minute per key.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('rate_limit_per_minute', 'integer', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .execute();
  await db.schema.createIndex('api_keys_account').on('api_keys').column('account_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('api_keys').execute();
}
