import type { Kysely } from 'kysely';

/**
 * Reports (domain/reports): what happened per local day, channel and agent, added up as it
 * happens instead of re-read from every conversation on each view.
 * `report_daily`: one row per (day, channel_id, agent_id) with counters and sums. `day` is
 * `YYYY-MM-DD` in the reporting time zone (REPORT_TIME_ZONE); `agent_id` is '' when no agent
 * (a left message, a conversation that ended in the queue). No foreign keys: an account's
 * figures outlive it, and deleting a channel deletes its rows itself (deleteChannel.ts).
 * `first_response_buckets` and `resolution_buckets`: how many times fell into each of a fixed
 * set of logarithmic buckets (domain/reports/timeBuckets.ts), written `bucket:count` separated
 * by spaces, so a median or p90 over any range and filter is a sum of counts. They live in the
 * day's row rather than a row per bucket: a year's report then reads 7,000 rows, not 160,000.
 * Counters are added with upserts (`x = x + excluded.x`), the buckets are merged under the
 * row's lock, both in the transaction of the change. Which zone the rows were computed in, and
 * a rebuild under way, live in `settings` (key `report_rollups`).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('report_daily')
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('channel_id', 'text', (c) => c.notNull())
    .addColumn('agent_id', 'text', (c) => c.notNull())
    .addColumn('conversations', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('left_messages', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('visitor_messages', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('agent_messages', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('first_response_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('first_response_sum_ms', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('resolution_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('resolution_sum_ms', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('rating_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('rating_sum', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('rating_1', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('rating_2', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('rating_3', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('rating_4', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('rating_5', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('first_response_buckets', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('resolution_buckets', 'text', (c) => c.notNull().defaultTo(''))
    .addPrimaryKeyConstraint('report_daily_pk', ['day', 'channel_id', 'agent_id'])
    .execute();
  // A report filtered by agent reads that agent's days only.
  await db.schema
    .createIndex('report_daily_agent_day')
    .on('report_daily')
    .columns(['agent_id', 'day'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('report_daily').execute();
}
