import type { Report, ReportFigures, ReportQuery } from '@servicesystem/protocol';
import type { AccountActor, DomainContext } from '../context.js';
import { authorize } from '../policies.js';
import { daysBetween } from './reportDays.js';
import { addInto, percentileOf, type Histogram } from './timeBuckets.js';

/** Sums of one group of roll-up rows, and its two histograms. */
class Tally {
  conversations = 0;
  visitorMessages = 0;
  agentMessages = 0;
  leftMessages = 0;
  firstResponse = { count: 0, sum: 0, histogram: new Map() as Histogram };
  resolution = { count: 0, sum: 0, histogram: new Map() as Histogram };
  rating = { count: 0, sum: 0, scores: [0, 0, 0, 0, 0] };

  addCounters(row: CounterRow): void {
    this.conversations += Number(row.conversations);
    this.visitorMessages += Number(row.visitor_messages);
    this.agentMessages += Number(row.agent_messages);
    this.leftMessages += Number(row.left_messages);
    this.firstResponse.count += Number(row.first_response_count);
    this.firstResponse.sum += Number(row.first_response_sum_ms);
    this.resolution.count += Number(row.resolution_count);
    this.resolution.sum += Number(row.resolution_sum_ms);
    this.rating.count += Number(row.rating_count);
    this.rating.sum += Number(row.rating_sum);
    this.rating.scores[0]! += Number(row.rating_1);
    this.rating.scores[1]! += Number(row.rating_2);
    this.rating.scores[2]! += Number(row.rating_3);
    this.rating.scores[3]! += Number(row.rating_4);
    this.rating.scores[4]! += Number(row.rating_5);
  }

  addBucket(metric: string, bucket: number, count: number): void {
    const into = metric === 'first_response' ? this.firstResponse : this.resolution;
    addInto(into.histogram, bucket, count);
  }

  figures(): ReportFigures {
    const durations = (d: { count: number; sum: number; histogram: Histogram }) => ({
      count: d.count,
      averageMs: d.count ? Math.round(d.sum / d.count) : null,
      medianMs: percentileOf(d.histogram, 0.5),
      p90Ms: percentileOf(d.histogram, 0.9),
    });
    return {
      conversations: this.conversations,
      visitorMessages: this.visitorMessages,
      agentMessages: this.agentMessages,
      leftMessages: this.leftMessages,
      firstResponse: durations(this.firstResponse),
      resolution: durations(this.resolution),
      rating: {
        count: this.rating.count,
        average: this.rating.count
          ? Math.round((this.rating.sum / this.rating.count) * 100) / 100
          : null,
        scores: [...this.rating.scores],
      },
    };
  }
}

interface CounterRow {
  conversations: number | string;
  visitor_messages: number | string;
  agent_messages: number | string;
  left_messages: number | string;
  first_response_count: number | string;
  first_response_sum_ms: number | string;
  resolution_count: number | string;
  resolution_sum_ms: number | string;
  rating_count: number | string;
  rating_sum: number | string;
  rating_1: number | string;
  rating_2: number | string;
  rating_3: number | string;
  rating_4: number | string;
  rating_5: number | string;
}

const counterColumns = [
  'conversations',
  'visitor_messages',
  'agent_messages',
  'left_messages',
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
] as const;

function tallyOf<K>(map: Map<K, Tally>, key: K): Tally {
  let tally = map.get(key);
  if (!tally) map.set(key, (tally = new Tally()));
  return tally;
}

/**
 * A report for admins: per agent per day over a range of local days, with the totals per day,
 * per agent and for the range, read from the roll-ups (two grouped reads, whatever the number
 * of conversations). Open conversations appear once they end.
 */
export async function readReport(
  ctx: DomainContext,
  actor: AccountActor,
  query: Required<Pick<ReportQuery, 'from' | 'to'>> & Pick<ReportQuery, 'agentId' | 'channelId'>,
): Promise<Report> {
  authorize(actor.role === 'admin', 'Only administrators can see reports');
  const { from, to, agentId, channelId } = query;
  const state = await ctx.reports.readState(ctx.db, 'none');

  let daily = ctx.db
    .selectFrom('report_daily')
    .select(['day', 'agent_id'])
    .select((eb) => counterColumns.map((c) => eb.fn.sum<number | string>(c).as(c)))
    .where('day', '>=', from)
    .where('day', '<=', to);
  let buckets = ctx.db
    .selectFrom('report_histogram')
    .select(['day', 'agent_id', 'metric', 'bucket'])
    .select((eb) => eb.fn.sum<number | string>('count').as('count'))
    .where('day', '>=', from)
    .where('day', '<=', to);
  if (agentId !== undefined) {
    daily = daily.where('agent_id', '=', agentId);
    buckets = buckets.where('agent_id', '=', agentId);
  }
  if (channelId !== undefined) {
    daily = daily.where('channel_id', '=', channelId);
    buckets = buckets.where('channel_id', '=', channelId);
  }
  const [dailyRows, bucketRows] = await Promise.all([
    daily.groupBy(['day', 'agent_id']).execute(),
    buckets.groupBy(['day', 'agent_id', 'metric', 'bucket']).execute(),
  ]);

  const perRow = new Map<string, Tally>();
  const perDay = new Map<string, Tally>();
  const perAgent = new Map<string, Tally>();
  const total = new Tally();
  for (const row of dailyRows) {
    for (const tally of [
      tallyOf(perRow, `${row.day} ${row.agent_id}`),
      tallyOf(perDay, row.day),
      tallyOf(perAgent, row.agent_id),
      total,
    ]) {
      tally.addCounters(row);
    }
  }
  for (const row of bucketRows) {
    const count = Number(row.count);
    for (const tally of [
      tallyOf(perRow, `${row.day} ${row.agent_id}`),
      tallyOf(perDay, row.day),
      tallyOf(perAgent, row.agent_id),
      total,
    ]) {
      tally.addBucket(row.metric, row.bucket, count);
    }
  }

  const agentIds = [...perAgent.keys()].filter((id) => id !== '');
  const names = new Map(
    agentIds.length
      ? (
          await ctx.db
            .selectFrom('accounts')
            .select(['id', 'display_name'])
            .where('id', 'in', agentIds)
            .execute()
        ).map((a) => [a.id, a.display_name])
      : [],
  );
  const agentRef = (id: string) => ({
    agentId: id === '' ? null : id,
    agentName: id === '' ? null : (names.get(id) ?? null),
  });
  const byName = (a: string, b: string) =>
    (a === '' ? 1 : 0) - (b === '' ? 1 : 0) || (names.get(a) ?? a).localeCompare(names.get(b) ?? b);

  const rows = [...perRow.entries()]
    .map(([key, tally]) => {
      const [day, agent] = [key.slice(0, 10), key.slice(11)];
      return { day, agent, tally };
    })
    .sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : byName(a.agent, b.agent)))
    .map(({ day, agent, tally }) => ({ day, ...agentRef(agent), ...tally.figures() }));

  return {
    from,
    to,
    timeZone: state?.zone ?? ctx.reports.timeZone,
    rebuilding: state?.status !== 'ready',
    rows,
    days: daysBetween(from, to).map((day) => ({
      day,
      ...(perDay.get(day) ?? new Tally()).figures(),
    })),
    agents: [...perAgent.entries()]
      .sort(
        ([a, x], [b, y]) =>
          y.conversations + y.leftMessages - (x.conversations + x.leftMessages) || byName(a, b),
      )
      .map(([id, tally]) => ({ ...agentRef(id), ...tally.figures() })),
    total: total.figures(),
  };
}
