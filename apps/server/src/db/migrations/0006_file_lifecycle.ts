import { sql, type Kysely } from 'kysely';

/**
 * What happens to files after upload:
 * - `attached_at`: when a message last took the file (set before the message is written). A file
 *   never attached within a day of its upload is swept.
 * - `deleted_at`: the file is gone for readers (its signed URLs answer 404 from that moment) and
 *   waits for its stored objects to be removed in the background; the row goes last. Set by the
 *   sweeper and, in the same transaction, by deleting a channel.
 * - `leases`: background work that must run on one node at a time takes a lease by name.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('files').addColumn('attached_at', 'bigint').execute();
  await db.schema.alterTable('files').addColumn('deleted_at', 'bigint').execute();
  await sql`update files set attached_at = created_at
    where exists (select 1 from messages where messages.attachment_id = files.id)`.execute(db);
  // Small partial indexes: the sweeper's candidates (never attached) and the removal queue.
  await db.schema
    .createIndex('files_unattached')
    .on('files')
    .column('created_at')
    .where(sql.ref('attached_at'), 'is', null)
    .execute();
  await db.schema
    .createIndex('files_deleted')
    .on('files')
    .column('deleted_at')
    .where(sql.ref('deleted_at'), 'is not', null)
    .execute();
  await db.schema
    .createTable('leases')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('leases').execute();
  await db.schema.dropIndex('files_deleted').execute();
  await db.schema.dropIndex('files_unattached').execute();
  await db.schema.alterTable('files').dropColumn('deleted_at').execute();
  await db.schema.alterTable('files').dropColumn('attached_at').execute();
}
