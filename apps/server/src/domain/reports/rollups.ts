import type { HandoffReason } from '@servicesystem/protocol';
import type { Kysely } from 'kysely';
import type { Database, ReportDailyTable } from '../../db/schema.js';
import { addEncoded, bucketOf, encodeBuckets, type Histogram } from './timeBuckets.js';

type Counters = Omit<
  ReportDailyTable,
  'day' | 'channel_id' | 'agent_id' | 'first_response_buckets' | 'resolution_buckets'
>;
export type Metric = 'first_response' | 'resolution';

/** The roll-up column counting handoffs for each reason. */
export const handoffColumnOf = {
  requested: 'handoff_requested',
  unanswered: 'handoff_unanswered',
  followUp: 'handoff_follow_up',
  media: 'handoff_media',
  modelUnsure: 'handoff_model_unsure',
  modelFailed: 'handoff_model_failed',
  agent: 'handoff_agent',
} as const satisfies Record<HandoffReason, keyof Counters>;
const handoffColumns = Object.values(handoffColumnOf);

export const counterNames = [
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
  'robot_resolved',
  ...handoffColumns,
] as const satisfies readonly (keyof Counters)[];

const zero = (): Counters =>
  Object.fromEntries(counterNames.map((name) => [name, 0])) as unknown as Counters;

/** Where a change counts: a local day, a channel and an agent ('' none). */
export interface RollupKey {
  day: string;
  channelId: string;
  agentId: string;
}

interface Pending {
  key: RollupKey;
  counters: Counters;
  first_response: Histogram;
  resolution: Histogram;
}

const idOf = (key: RollupKey) => `${key.day}\u0000${key.channelId}\u0000${key.agentId}`;

/**
 * What one change or one rebuild batch adds to the roll-ups, gathered first so that each row is
 * written once, in key order (two writers then never wait on each other in opposite orders).
 */
export class RollupDelta {
  private rows = new Map<string, Pending>();

  private rowOf(key: RollupKey): Pending {
    const id = idOf(key);
    let row = this.rows.get(id);
    if (!row) {
      row = { key, counters: zero(), first_response: new Map(), resolution: new Map() };
      this.rows.set(id, row);
    }
    return row;
  }

  add(key: RollupKey, counters: Partial<Counters>): void {
    const row = this.rowOf(key);
    for (const [name, value] of Object.entries(counters) as [keyof Counters, number][]) {
      row.counters[name] += value;
    }
  }

  /** One duration of `metric` into its bucket. */
  addTime(key: RollupKey, metric: Metric, ms: number): void {
    const histogram = this.rowOf(key)[metric];
    const bucket = bucketOf(Math.max(0, ms));
    histogram.set(bucket, (histogram.get(bucket) ?? 0) + 1);
  }

  /**
   * Adds everything to the stored rows, in the caller's transaction: the counters with one
   * upsert per 500 rows (`x = x + excluded.x`, which also locks each row on PostgreSQL), then
   * the buckets of the rows that got times, read and written back under that lock.
   */
  async writeTo(trx: Kysely<Database>, rowsPerStatement = 500): Promise<void> {
    const rows = [...this.rows.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, row]) => row);
    for (let i = 0; i < rows.length; i += rowsPerStatement) {
      await trx
        .insertInto('report_daily')
        .values(
          rows.slice(i, i + rowsPerStatement).map(({ key, counters }) => ({
            day: key.day,
            channel_id: key.channelId,
            agent_id: key.agentId,
            ...counters,
            // Merged below, under the row's lock.
            first_response_buckets: '',
            resolution_buckets: '',
          })),
        )
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
    const timed = rows.filter((r) => r.first_response.size > 0 || r.resolution.size > 0);
    if (!timed.length) return;
    // The stored buckets of those rows: by their days, the keys picked out here.
    const wanted = new Map(timed.map((r) => [idOf(r.key), r]));
    const days = [...new Set(timed.map((r) => r.key.day))];
    for (let i = 0; i < days.length; i += rowsPerStatement) {
      let query = trx
        .selectFrom('report_daily')
        .select(['day', 'channel_id', 'agent_id', 'first_response_buckets', 'resolution_buckets'])
        .where('day', 'in', days.slice(i, i + rowsPerStatement));
      if (timed.length === 1) {
        query = query
          .where('channel_id', '=', timed[0]!.key.channelId)
          .where('agent_id', '=', timed[0]!.key.agentId);
      }
      for (const stored of await query.execute()) {
        const row = wanted.get(
          idOf({ day: stored.day, channelId: stored.channel_id, agentId: stored.agent_id }),
        );
        if (row) {
          addEncoded(row.first_response, stored.first_response_buckets);
          addEncoded(row.resolution, stored.resolution_buckets);
        }
      }
    }
    for (const row of timed) {
      await trx
        .updateTable('report_daily')
        .set({
          first_response_buckets: encodeBuckets(row.first_response),
          resolution_buckets: encodeBuckets(row.resolution),
        })
        .where('day', '=', row.key.day)
        .where('channel_id', '=', row.key.channelId)
        .where('agent_id', '=', row.key.agentId)
        .execute();
    }
  }
}
