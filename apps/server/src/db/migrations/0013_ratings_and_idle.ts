import { sql, type Kysely } from 'kysely';

/**
 * Satisfaction ratings, idle conversations ending, and absent agents handing conversations back:
 * - `conversation_ratings`: one row per rated conversation (its key), written once by its
 *   visitor after it ended; goes with the conversation.
 * - `channels.rating_enabled` (1: the visitor page asks for a rating, the default),
 *   `idle_end_minutes` (active conversations with no message for that long end; null: never),
 *   `absent_agent_minutes` (an agent offline that long hands the channel's conversations back;
 *   null: never). Both jobs are off until an administrator sets a value.
 * - `accounts.offline_since`: when the agent last went offline, set by the statement that marks
 *   them offline and cleared by the one that brings them back. Agents offline already are
 *   counted from now.
 * - An index for the idle job: active conversations by their last activity.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('conversation_ratings')
    .addColumn('conversation_id', 'text', (c) =>
      c.primaryKey().references('conversations.id').onDelete('cascade'),
    )
    .addColumn('score', 'integer', (c) => c.notNull())
    .addColumn('comment', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .alterTable('channels')
    .addColumn('rating_enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
  await db.schema.alterTable('channels').addColumn('idle_end_minutes', 'integer').execute();
  await db.schema.alterTable('channels').addColumn('absent_agent_minutes', 'integer').execute();
  await db.schema.alterTable('accounts').addColumn('offline_since', 'bigint').execute();
  await sql`update accounts set offline_since = ${Date.now()} where status = 'offline'`.execute(db);
  await db.schema
    .createIndex('conversations_active_activity')
    .on('conversations')
    .columns(['last_activity_at'])
    .where(sql.ref('state'), '=', 'active')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('conversations_active_activity').execute();
  await db.schema.alterTable('accounts').dropColumn('offline_since').execute();
  await db.schema.alterTable('channels').dropColumn('absent_agent_minutes').execute();
  await db.schema.alterTable('channels').dropColumn('idle_end_minutes').execute();
  await db.schema.alterTable('channels').dropColumn('rating_enabled').execute();
  await db.schema.dropTable('conversation_ratings').execute();
}
