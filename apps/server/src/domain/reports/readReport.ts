import {
  HandoffReason,
  type Report,
  type ReportDurations,
  type ReportFigures,
  type ReportQuery,
} from '@servicesystem/protocol';
import type { AccountActor, DomainContext } from '../context.js';
import { authorize } from '../policies.js';
import { daysBetween } from './reportDays.js';
import { counterNames, handoffColumnOf } from './rollups.js';
import { decodeBuckets, denseHistogram, percentileOf, percentileOfPairs } from './timeBuckets.js';

type StoredRow = Record<(typeof counterNames)[number], number | string>;
/** A stored row's two histograms, read once. */
interface RowBuckets {
  firstResponse: number[];
  resolution: number[];
}

/** Durations: a count, a sum, and the stored rows' buckets to add up when asked. */
class Durations {
  count = 0;
  sum = 0;
  private buckets: number[][] = [];

  add(count: number | string, sum: number | string, buckets: number[]): void {
    this.count += Number(count);
    this.sum += Number(sum);
    if (buckets.length) this.buckets.push(buckets);
  }

  figures(scratch: Float64Array): ReportDurations {
    // One stored row (an agent's day on one channel, the usual case): read its pairs as they are.
    if (this.buckets.length === 1) {
      const pairs = this.buckets[0]!;
      return {
        count: this.count,
        averageMs: this.count ? Math.round(this.sum / this.count) : null,
        medianMs: percentileOfPairs(pairs, 0.5),
        p90Ms: percentileOfPairs(pairs, 0.9),
      };
    }
    scratch.fill(0);
    for (const pairs of this.buckets) {
      for (let i = 0; i + 1 < pairs.length; i += 2) scratch[pairs[i]!]! += pairs[i + 1]!;
    }
    return {
      count: this.count,
      averageMs: this.count ? Math.round(this.sum / this.count) : null,
      medianMs: percentileOf(scratch, 0.5),
      p90Ms: percentileOf(scratch, 0.9),
    };
  }
}

/** Sums of one group of roll-up rows (one agent's day, a day, an agent, the range). */
class Tally {
  conversations = 0;
  visitorMessages = 0;
  agentMessages = 0;
  leftMessages = 0;
  firstResponse = new Durations();
  resolution = new Durations();
  robotResolved = 0;
  handoffs = Object.fromEntries(HandoffReason.options.map((r) => [r, 0])) as Record<
    HandoffReason,
    number
  >;
  rating = { count: 0, sum: 0, scores: [0, 0, 0, 0, 0] };

  add(row: StoredRow, buckets: RowBuckets): void {
    this.conversations += Number(row.conversations);
    this.visitorMessages += Number(row.visitor_messages);
    this.agentMessages += Number(row.agent_messages);
    this.leftMessages += Number(row.left_messages);
    this.firstResponse.add(
      row.first_response_count,
      row.first_response_sum_ms,
      buckets.firstResponse,
    );
    this.resolution.add(row.resolution_count, row.resolution_sum_ms, buckets.resolution);
    this.rating.count += Number(row.rating_count);
    this.rating.sum += Number(row.rating_sum);
    this.rating.scores[0]! += Number(row.rating_1);
    this.rating.scores[1]! += Number(row.rating_2);
    this.rating.scores[2]! += Number(row.rating_3);
    this.rating.scores[3]! += Number(row.rating_4);
    this.rating.scores[4]! += Number(row.rating_5);
    this.robotResolved += Number(row.robot_resolved);
    for (const reason of HandoffReason.options) {
      this.handoffs[reason] += Number(row[handoffColumnOf[reason]]);
    }
  }

  figures(scratch: Float64Array): ReportFigures {
    return {
      conversations: this.conversations,
      visitorMessages: this.visitorMessages,
      agentMessages: this.agentMessages,
      leftMessages: this.leftMessages,
      firstResponse: this.firstResponse.figures(scratch),
      resolution: this.resolution.figures(scratch),
      rating: {
        count: this.rating.count,
        average: this.rating.count
          ? Math.round((this.rating.sum / this.rating.count) * 100) / 100
          : null,
        scores: [...this.rating.scores],
      },
      robot: {
        resolved: this.robotResolved,
        handedOver: Object.values(this.handoffs).reduce((a, b) => a + b, 0),
        reasons: { ...this.handoffs },
      },
    };
  }
}

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
  query: Required<Pick<ReportQuery, 'from' | 'to'>> &
    Pick<ReportQuery, 'agentId' | 'channelId' | 'rows'>,
): Promise<Report> {
  authorize(actor.role === 'admin', 'Only administrators can see reports');
  const { from, to, agentId, channelId } = query;
  const withRows = query.rows !== 'none';
  const state = await ctx.reports.readState(ctx.db, 'none');

  // One read of the range's rows, whatever the number of conversations (a year of 20 agents
  // on two channels: about 15,000 rows); channels, days and agents are added up here.
  let select = ctx.db
    .selectFrom('report_daily')
    .select(['day', 'agent_id', ...counterNames, 'first_response_buckets', 'resolution_buckets'])
    .where('day', '>=', from)
    .where('day', '<=', to);
  if (agentId !== undefined) select = select.where('agent_id', '=', agentId);
  if (channelId !== undefined) select = select.where('channel_id', '=', channelId);
  const stored = await select.execute();

  const perRow = new Map<string, Tally>();
  const perDay = new Map<string, Tally>();
  const perAgent = new Map<string, Tally>();
  const total = new Tally();
  for (const row of stored) {
    const buckets = {
      firstResponse: decodeBuckets(row.first_response_buckets),
      resolution: decodeBuckets(row.resolution_buckets),
    };
    if (withRows) tallyOf(perRow, `${row.day} ${row.agent_id}`).add(row, buckets);
    tallyOf(perDay, row.day).add(row, buckets);
    tallyOf(perAgent, row.agent_id).add(row, buckets);
    total.add(row, buckets);
  }
  const scratch = denseHistogram();

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
  // Agents by name (nobody last), ranked once: a year's rows are sorted by day and this rank.
  const collator = new Intl.Collator();
  const rank = new Map(
    [...perAgent.keys()]
      .sort(
        (a, b) =>
          (a === '' ? 1 : 0) - (b === '' ? 1 : 0) ||
          collator.compare(names.get(a) ?? a, names.get(b) ?? b),
      )
      .map((id, i) => [id, i]),
  );
  const byName = (a: string, b: string) => rank.get(a)! - rank.get(b)!;

  // Sorted by a number: the day's place in the range, then the agent's rank.
  const dayIndex = new Map(daysBetween(from, to).map((day, i) => [day, i]));
  const rows = [...perRow.entries()]
    .map(([key, tally]) => {
      const [day, agent] = [key.slice(0, 10), key.slice(11)];
      return { day, agent, tally, order: dayIndex.get(day)! * (rank.size + 1) + rank.get(agent)! };
    })
    .sort((a, b) => a.order - b.order)
    .map(({ day, agent, tally }) => ({ day, ...agentRef(agent), ...tally.figures(scratch) }));

  return {
    from,
    to,
    timeZone: state?.zone ?? ctx.reports.timeZone,
    rebuilding: state?.status !== 'ready',
    rows,
    days: daysBetween(from, to).map((day) => ({
      day,
      ...(perDay.get(day) ?? new Tally()).figures(scratch),
    })),
    agents: [...perAgent.entries()]
      .sort(
        ([a, x], [b, y]) =>
          y.conversations + y.leftMessages - (x.conversations + x.leftMessages) || byName(a, b),
      )
      .map(([id, tally]) => ({ ...agentRef(id), ...tally.figures(scratch) })),
    total: total.figures(scratch),
  };
}
