import { sql, type Kysely } from 'kysely';

/**
 * Saved replies (canned responses) for the console's composer. `owner_id` null: a shared reply
 * (every console user sees it, administrators manage it); otherwise a personal one, seen and
 * managed by that account only. A shortcut is unique among the shared replies and among one
 * account's personal ones (stored in lower case): two partial unique indexes, which both engines
 * have. A personal reply goes with its account.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('saved_replies')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner_id', 'text', (c) => c.references('accounts.id').onDelete('cascade'))
    .addColumn('shortcut', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('saved_replies_shared_shortcut')
    .on('saved_replies')
    .unique()
    .column('shortcut')
    .where(sql.ref('owner_id'), 'is', null)
    .execute();
  await db.schema
    .createIndex('saved_replies_personal_shortcut')
    .on('saved_replies')
    .unique()
    .columns(['owner_id', 'shortcut'])
    .where(sql.ref('owner_id'), 'is not', null)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('saved_replies').execute();
}
