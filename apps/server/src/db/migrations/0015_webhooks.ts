import { sql, type Kysely } from 'kysely';

/**
 * Webhooks (domain/webhooks):
 * - `webhooks`: the endpoints administrators registered: URL, the event types it wants (JSON
 *   array), whether internal notes go too, the signing secret, enabled.
 * - `webhook_deliveries`: one row per (event, endpoint), written in the same transaction as the
 *   change the event reports, so a crash can neither lose nor invent one. `event_id` is the same
 *   for every endpoint and every attempt; `payload` is the JSON body. A worker claims due rows
 *   (`claimed_until`, with `FOR UPDATE SKIP LOCKED` on PostgreSQL) and records each attempt.
 *   Finished rows are deleted 30 days later. Deleting an endpoint deletes its deliveries.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('webhooks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('events', 'text', (c) => c.notNull())
    .addColumn('include_notes', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('webhook_id', 'text', (c) =>
      c.notNull().references('webhooks.id').onDelete('cascade'),
    )
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    // The conversation the event is about (null: a ping). Its deletion (retention) takes the
    // deliveries with it; an erased visitor's are deleted by the erase.
    .addColumn('conversation_id', 'text', (c) =>
      c.references('conversations.id').onDelete('cascade'),
    )
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('claimed_until', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('last_attempt_at', 'bigint')
    .addColumn('last_duration_ms', 'integer')
    .addColumn('last_status', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .execute();
  // The workers' candidates: an endpoint's rows still to do, by when they are due (the claim's
  // filter and order, so a claim reads only the rows it takes, however many wait behind them).
  await db.schema
    .createIndex('webhook_deliveries_due')
    .on('webhook_deliveries')
    .columns(['webhook_id', 'next_attempt_at'])
    .where(sql.ref('state'), '=', sql.lit('pending'))
    .execute();
  // An endpoint's deliveries, newest first (the console's log, the list's last status).
  await db.schema
    .createIndex('webhook_deliveries_webhook')
    .on('webhook_deliveries')
    .columns(['webhook_id', 'id'])
    .execute();
  // A conversation's deliveries (its deletion, a visitor's erase).
  await db.schema
    .createIndex('webhook_deliveries_conversation')
    .on('webhook_deliveries')
    .column('conversation_id')
    .execute();
  // The purge: finished rows by when they finished.
  await db.schema
    .createIndex('webhook_deliveries_finished')
    .on('webhook_deliveries')
    .column('finished_at')
    .where(sql.ref('state'), '!=', sql.lit('pending'))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('webhook_deliveries').execute();
  await db.schema.dropTable('webhooks').execute();
}
