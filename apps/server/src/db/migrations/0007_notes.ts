import type { Kysely } from 'kysely';

/**
 * Internal notes: console users write them inside a conversation. A table of their own, apart
 * from messages: they take no seq (the visitor's messages stay numbered without gaps) and no
 * query a visitor can reach ever reads this table. `after_seq` is the conversation's last seq
 * when the note was written, which places it in the timeline.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('notes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('conversation_id', 'text', (c) =>
      c.notNull().references('conversations.id').onDelete('cascade'),
    )
    .addColumn('author_id', 'text', (c) => c.references('accounts.id').onDelete('set null'))
    .addColumn('author_name', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('after_seq', 'integer', (c) => c.notNull())
    .addColumn('client_note_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('notes_conversation')
    .on('notes')
    .columns(['conversation_id', 'created_at'])
    .execute();
  // A retried write is stored once (per author; a deleted author's notes keep theirs apart).
  await db.schema
    .createIndex('notes_author_client_id')
    .on('notes')
    .columns(['author_id', 'client_note_id'])
    .unique()
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('notes').execute();
}
