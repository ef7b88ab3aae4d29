import type { DashboardStats } from '@servicesystem/protocol';
import type { AccountActor, DomainContext } from '../context.js';
import { authorize } from '../policies.js';
import { readReport } from '../reports/readReport.js';
import { addDays, localDayOf } from '../reports/reportDays.js';

const dayMs = 86_400_000;

/**
 * The admin dashboard: conversations per day over 30 days, per agent today and over 7 days,
 * median first response and resolution times, the queue and active counts. The 30 days come from
 * the report roll-ups (ended conversations, by the local day they started, in REPORT_TIME_ZONE)
 * plus the conversations still open; only open conversations and the last 8 days' assignments
 * are read row by row.
 */
export async function dashboardStats(
  ctx: DomainContext,
  actor: AccountActor,
): Promise<DashboardStats> {
  authorize(actor.role === 'admin', 'only admins see statistics');
  const now = ctx.now();
  const state = await ctx.reports.readState(ctx.db, 'none');
  const tz = state?.zone ?? ctx.reports.timeZone;
  const today = localDayOf(now, tz);
  const from = addDays(today, -29);
  const week = new Set(Array.from({ length: 7 }, (_, i) => addDays(today, -i)));

  const [report, assigned, agents, live] = await Promise.all([
    readReport(ctx, actor, { from, to: today }),
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
      .where('state', 'in', ['queued', 'active', 'robot'])
      .execute(),
  ]);

  // Ended conversations from the roll-ups, open ones on the day they started.
  const perDay = new Map(report.days.map((d) => [d.day, d.conversations]));
  for (const c of live) {
    const d = localDayOf(Number(c.created_at), tz);
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
    const d = localDayOf(Number(c.assigned_at), tz);
    if (d === today) row.today++;
    if (week.has(d)) row.last7Days++;
  }

  const queued = live.filter((c) => c.state === 'queued');
  const oldest = queued.length ? Math.min(...queued.map((c) => Number(c.created_at))) : null;

  return {
    tz,
    conversationsPerDay: report.days.map((d) => ({ day: d.day, count: perDay.get(d.day)! })),
    perAgent: [...workload.values()].sort((a, b) => b.last7Days - a.last7Days || b.today - a.today),
    firstResponseMedianMs: report.total.firstResponse.medianMs,
    resolutionMedianMs: report.total.resolution.medianMs,
    queue: { length: queued.length, longestWaitMs: oldest === null ? null : now - oldest },
    // With an agent: the robot's conversations count per day, not as served.
    activeConversations: live.filter((c) => c.state === 'active').length,
  };
}
