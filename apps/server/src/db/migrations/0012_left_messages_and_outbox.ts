import { sql, type Kysely } from 'kysely';

/**
 * Left messages and the outbox:
 * - `conversations.kind`: `chat` (every conversation so far) or `message`, left with the
 *   leave-a-message form when nobody could answer. Reports count left messages by it.
 * - `left_messages`: the contact details a visitor left with such a conversation, the language
 *   and time zone its mails are written in, whether replies go by email (`email_replies`), and
 *   `mailed_seq`: the newest agent message a reply mail has covered (or found read).
 * - `outbox`: work that leaves the server (mail; webhooks have their own table, 0015), written in the same
 *   transaction as the change that causes it and carried out by the `outbox` background job.
 *   `kind` says what `payload` (JSON) is; `message_id` is stable across retries, so a mail sent
 *   again after an unknown outcome is recognisable. `dedupe_key` (unique; null once claimed)
 *   keeps one pending row per purpose, such as one reply mail per conversation.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('conversations')
    .addColumn('kind', 'text', (c) => c.notNull().defaultTo('chat'))
    .execute();

  await db.schema
    .createTable('left_messages')
    .addColumn('conversation_id', 'text', (c) =>
      c.primaryKey().references('conversations.id').onDelete('cascade'),
    )
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('email', 'text')
    .addColumn('phone', 'text')
    .addColumn('locale', 'text', (c) => c.notNull())
    .addColumn('time_zone', 'text', (c) => c.notNull())
    .addColumn('email_replies', 'integer', (c) => c.notNull())
    .addColumn('mailed_seq', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('outbox')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('dedupe_key', 'text', (c) => c.unique())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .execute();
  // The job's candidates: only rows still to do, by when they are due.
  await db.schema
    .createIndex('outbox_due')
    .on('outbox')
    .column('next_attempt_at')
    .where(sql.ref('state'), '=', sql.lit('pending'))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('outbox').execute();
  await db.schema.dropTable('left_messages').execute();
  await db.schema.alterTable('conversations').dropColumn('kind').execute();
}
