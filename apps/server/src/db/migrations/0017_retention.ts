import { sql, type Kysely } from 'kysely';

/**
 * Retention and privacy (domain/privacy):
 * - `channels.retention_days`: ended conversations of the channel, with their files, are deleted
 *   this many days after they ended (null: kept, the default).
 * - `visitors.erased_at`: an administrator erased the visitor; the row stays as an anonymous
 *   shell (conversations keep their foreign key) and its tokens no longer resolve.
 * - `messages.redacted_at`: the message's text and file were removed by an erase.
 * - An index for the retention job: ended conversations by when they ended.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('channels').addColumn('retention_days', 'integer').execute();
  await db.schema.alterTable('visitors').addColumn('erased_at', 'bigint').execute();
  await db.schema.alterTable('messages').addColumn('redacted_at', 'bigint').execute();
  await db.schema
    .createIndex('conversations_ended_at')
    .on('conversations')
    .columns(['channel_id', 'ended_at'])
    .where(sql.ref('state'), '=', 'ended')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('conversations_ended_at').execute();
  await db.schema.alterTable('messages').dropColumn('redacted_at').execute();
  await db.schema.alterTable('visitors').dropColumn('erased_at').execute();
  await db.schema.alterTable('channels').dropColumn('retention_days').execute();
}
