import type { Kysely } from 'kysely';

/** Uploaded files (images and videos) and the attachment snapshot on messages. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('files')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner_type', 'text', (c) => c.notNull())
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('mime', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('width', 'integer', (c) => c.notNull())
    .addColumn('height', 'integer', (c) => c.notNull())
    .addColumn('duration_ms', 'integer')
    .addColumn('original_name', 'text', (c) => c.notNull())
    .addColumn('storage_key', 'text', (c) => c.notNull())
    .addColumn('preview_key', 'text', (c) => c.notNull())
    .addColumn('preview_mime', 'text', (c) => c.notNull())
    .addColumn('preview_size', 'bigint', (c) => c.notNull())
    .addColumn('preview_width', 'integer', (c) => c.notNull())
    .addColumn('preview_height', 'integer', (c) => c.notNull())
    // Set when the file became readable by anyone (an agent's avatar).
    .addColumn('published_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('files_owner')
    .on('files')
    .columns(['owner_id', 'created_at'])
    .execute();
  await db.schema.alterTable('messages').addColumn('attachment', 'text').execute();
  await db.schema
    .createIndex('messages_attachment')
    .on('messages')
    .column('attachment_id')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('messages_attachment').execute();
  await db.schema.alterTable('messages').dropColumn('attachment').execute();
  await db.schema.dropTable('files').execute();
}
