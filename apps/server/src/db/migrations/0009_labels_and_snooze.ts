import { sql, type Kysely } from 'kysely';

/**
 * Labels and hiding (snooze):
 * - `labels`: what administrators define (a name, unique regardless of case, and a colour);
 *   `conversation_labels`: which conversation carries which (both sides cascade).
 * - `conversations.snoozed_at`: set while the agent serving it has hidden it;
 *   `snoozed_until`: when it comes back by itself (null: when the visitor writes). A visitor's
 *   message clears both in the statement that appends it, and records its seq in
 *   `woken_seq`, so the append can tell it woke the conversation without another query.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('labels')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('color', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('labels_name')
    .on('labels')
    .expression(sql`lower(name)`)
    .unique()
    .execute();
  await db.schema
    .createTable('conversation_labels')
    .addColumn('conversation_id', 'text', (c) =>
      c.notNull().references('conversations.id').onDelete('cascade'),
    )
    .addColumn('label_id', 'text', (c) => c.notNull().references('labels.id').onDelete('cascade'))
    .addColumn('added_by', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('conversation_labels_pk', ['conversation_id', 'label_id'])
    .execute();
  // The list's label filter: the conversations with one label.
  await db.schema
    .createIndex('conversation_labels_label')
    .on('conversation_labels')
    .columns(['label_id', 'conversation_id'])
    .execute();

  await db.schema.alterTable('conversations').addColumn('snoozed_at', 'bigint').execute();
  await db.schema.alterTable('conversations').addColumn('snoozed_until', 'bigint').execute();
  await db.schema
    .alterTable('conversations')
    .addColumn('woken_seq', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  // The wake-up job's candidates: small, only snoozed conversations with a time.
  await db.schema
    .createIndex('conversations_snoozed_until')
    .on('conversations')
    .column('snoozed_until')
    .where(sql.ref('snoozed_until'), 'is not', null)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('conversations_snoozed_until').execute();
  await db.schema.alterTable('conversations').dropColumn('woken_seq').execute();
  await db.schema.alterTable('conversations').dropColumn('snoozed_until').execute();
  await db.schema.alterTable('conversations').dropColumn('snoozed_at').execute();
  await db.schema.dropTable('conversation_labels').execute();
  await db.schema.dropTable('labels').execute();
}
