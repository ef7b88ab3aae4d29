import type { Kysely } from 'kysely';
import type { Database, ReportDailyTable } from '../../db/schema.js';
import { bucketOf } from './timeBuckets.js';

type Counters = Omit<ReportDailyTable, 'day' | 'channel_id' | 'agent_id'>;
export type Metric = 'first_response' | 'resolution';

const counterNames: (keyof Counters)[] = [
  'conversations',
  'left_messages',
  'visitor_messages',
  'agent_messages',
  'first_response_count',
  'first_response_sum_ms',
  'resolution_count',
  'resolution_sum_ms',
  'rating_count',
  'rating_sum',
  'rating_1',
  'rating_2',
  'rating_3',
  'rating_4',
  'rating_5',
];

const zero = (): Counters =>
  Object.fromEntries(counterNames.map((name) => [name, 0])) as unknown as Counters;

/** Where a change counts: a local day, a channel and an agent ('' none). */
export interface RollupKey {
  day: string;
  channelId: string;
  agentId: string;
}

/**
 * What one change or one rebuild batch adds to the roll-ups, gathered first so that each row is
 * written once, by one upsert per table, in key order (two writers then never wait on each
 * other in opposite orders).
 */
export class RollupDelta {
  private daily = new Map<string, { key: RollupKey; counters: Counters }>();
  private histogram = new Map<
    string,
    { key: RollupKey; metric: Metric; bucket: number; count: number }
  >();

  add(key: RollupKey, counters: Partial<Counters>): void {
    const id = `${key.day}\u0000${key.channelId}\u0000${key.agentId}`;
    let row = this.daily.get(id);
    if (!row) this.daily.set(id, (row = { key, counters: zero() }));
    for (const [name, value] of Object.entries(counters) as [keyof Counters, number][]) {
      row.counters[name] += value;
    }
  }

  /** One duration of `metric` into its bucket. */
  addTime(key: RollupKey, metric: Metric, ms: number): void {
    const bucket = bucketOf(Math.max(0, ms));
    const id = `${key.day}\u0000${key.channelId}\u0000${key.agentId}\u0000${metric}\u0000${bucket}`;
    const row = this.histogram.get(id);
    if (row) row.count++;
    else this.histogram.set(id, { key, metric, bucket, count: 1 });
  }

  get empty(): boolean {
    return this.daily.size === 0 && this.histogram.size === 0;
  }

  /** Adds everything to the stored rows (`x = x + excluded.x`), in the caller's transaction. */
  async writeTo(trx: Kysely<Database>, rowsPerStatement = 500): Promise<void> {
    const daily = [...this.daily.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, { key, counters }]) => ({
        day: key.day,
        channel_id: key.channelId,
        agent_id: key.agentId,
        ...counters,
      }));
    for (let i = 0; i < daily.length; i += rowsPerStatement) {
      await trx
        .insertInto('report_daily')
        .values(daily.slice(i, i + rowsPerStatement))
        .onConflict((oc) =>
          oc
            .columns(['day', 'channel_id', 'agent_id'])
            .doUpdateSet((eb) =>
              Object.fromEntries(
                counterNames.map((name) => [
                  name,
                  eb(eb.ref(`report_daily.${name}`), '+', eb.ref(`excluded.${name}`)),
                ]),
              ),
            ),
        )
        .execute();
    }
    const histogram = [...this.histogram.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, { key, metric, bucket, count }]) => ({
        day: key.day,
        channel_id: key.channelId,
        agent_id: key.agentId,
        metric,
        bucket,
        count,
      }));
    for (let i = 0; i < histogram.length; i += rowsPerStatement) {
      await trx
        .insertInto('report_histogram')
        .values(histogram.slice(i, i + rowsPerStatement))
        .onConflict((oc) =>
          oc.columns(['day', 'channel_id', 'agent_id', 'metric', 'bucket']).doUpdateSet((eb) => ({
            count: eb(eb.ref('report_histogram.count'), '+', eb.ref('excluded.count')),
          })),
        )
        .execute();
    }
  }
}
