import type { DashboardStats } from '@servicesystem/protocol';
import type { AccountActor, DomainContext } from '../context.js';
import { authorize } from '../policies.js';

const dayMs = 86_400_000;

/** `YYYY-MM-DD` of an instant in a time zone. */
function dayOf(ms: number, tz: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: tz,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(ms);
}

function median(values: number[]): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The admin dashboard: conversations per day over 30 days, per agent today and over 7 days,
 * median first response and resolution times, the queue and active counts. Rows are read with
 * plain portable queries (the same on SQLite and PostgreSQL); days and medians are computed here.
 */
export async function dashboardStats(
  ctx: DomainContext,
  actor: AccountActor,
  tz: string,
): Promise<DashboardStats> {
  authorize(actor.role === 'admin', 'only admins see statistics');
  const now = ctx.now();
  // 31 days back covers the 30 local days for any offset; rows outside are dropped by day key.
  const since = now - 31 * dayMs;
  const days: string[] = [];
  for (let i = 29; i >= 0; i--) {
    const d = dayOf(now - i * dayMs, tz);
    if (days[days.length - 1] !== d) days.push(d);
  }
  while (days.length < 30) days.unshift(dayOf(Date.parse(days[0]! + 'T12:00:00Z') - dayMs, 'UTC'));
  const today = days[days.length - 1]!;
  const week = new Set(days.slice(-7));

  const [recent, ended, assigned, agents, live] = await Promise.all([
    ctx.db
      .selectFrom('conversations')
      .select(['created_at', 'first_response_at'])
      .where('created_at', '>=', since)
      .execute(),
    ctx.db
      .selectFrom('conversations')
      .select(['created_at', 'ended_at'])
      .where('ended_at', '>=', since)
      .execute(),
    ctx.db
      .selectFrom('conversations')
      .select(['agent_id', 'assigned_at'])
      .where('assigned_at', '>=', now - 8 * dayMs)
      .where('agent_id', 'is not', null)
      .execute(),
    ctx.db
      .selectFrom('accounts')
      .select(['id', 'display_name'])
      .where('role', '=', 'agent')
      .orderBy('display_name')
      .execute(),
    ctx.db
      .selectFrom('conversations')
      .select(['state', 'created_at'])
      .where('state', 'in', ['queued', 'active'])
      .execute(),
  ]);

  const perDay = new Map(days.map((d) => [d, 0]));
  for (const c of recent) {
    const d = dayOf(Number(c.created_at), tz);
    if (perDay.has(d)) perDay.set(d, perDay.get(d)! + 1);
  }

  const workload = new Map(
    agents.map((a) => [
      a.id,
      { agentId: a.id, displayName: a.display_name, today: 0, last7Days: 0 },
    ]),
  );
  for (const c of assigned) {
    const row = c.agent_id ? workload.get(c.agent_id) : undefined;
    if (!row || c.assigned_at === null) continue;
    const d = dayOf(Number(c.assigned_at), tz);
    if (d === today) row.today++;
    if (week.has(d)) row.last7Days++;
  }

  const queued = live.filter((c) => c.state === 'queued');
  const oldest = queued.length ? Math.min(...queued.map((c) => Number(c.created_at))) : null;

  return {
    tz,
    conversationsPerDay: days.map((day) => ({ day, count: perDay.get(day)! })),
    perAgent: [...workload.values()].sort((a, b) => b.last7Days - a.last7Days || b.today - a.today),
    firstResponseMedianMs: median(
      recent
        .filter((c) => c.first_response_at !== null)
        .map((c) => Number(c.first_response_at) - Number(c.created_at)),
    ),
    resolutionMedianMs: median(
      ended
        .filter((c) => c.ended_at !== null)
        .map((c) => Number(c.ended_at) - Number(c.created_at)),
    ),
    queue: { length: queued.length, longestWaitMs: oldest === null ? null : now - oldest },
    activeConversations: live.length - queued.length,
  };
}
