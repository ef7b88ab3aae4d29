import { z } from 'zod';
import { HandoffReason } from './messages.js';
import { Id } from './common.js';

/** The longest range a report covers, in days (both ends included). */
export const maxReportDays = 366;

const dayPattern = /^\d{4}-\d{2}-\d{2}$/;

/** `YYYY-MM-DD`, a real calendar day. */
export const ReportDay = z
  .string()
  .regex(dayPattern, 'must be a day written YYYY-MM-DD')
  .refine((day) => {
    const t = Date.parse(`${day}T00:00:00Z`);
    return Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === day;
  }, 'is not a day of the calendar');

const dayNumber = (day: string) => Date.parse(`${day}T00:00:00Z`) / 86_400_000;

/**
 * Query of GET /api/v1/reports and /api/v1/reports.csv (admins): local days in the
 * deployment's reporting time zone (REPORT_TIME_ZONE), `from` ≤ `to`, at most 366 days; an
 * agent and a channel narrow it.
 */
export const ReportQuery = z
  .object({
    from: ReportDay,
    to: ReportDay,
    agentId: Id.optional(),
    channelId: Id.optional(),
    /** `none`: leave the per-agent-per-day `rows` out (the totals stay): what the console asks
     * for a long range, whose chart shows the days' totals. The CSV always has every row. */
    rows: z.enum(['all', 'none']).optional(),
  })
  .strict()
  .superRefine((q, ctx) => {
    const span = dayNumber(q.to) - dayNumber(q.from) + 1;
    if (span < 1) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'must not be before "from"' });
    } else if (span > maxReportDays) {
      ctx.addIssue({
        code: 'custom',
        path: ['to'],
        message: `the range may cover at most ${maxReportDays} days (it covers ${span})`,
      });
    }
  });
export type ReportQuery = z.input<typeof ReportQuery>;

/** Durations (ms) over the conversations that had one; percentiles within 5% (or 0.5 s). */
export const ReportDurations = z.object({
  count: z.number().int(),
  averageMs: z.number().nullable(),
  medianMs: z.number().nullable(),
  p90Ms: z.number().nullable(),
});
export type ReportDurations = z.infer<typeof ReportDurations>;

/** What a report counts, for one agent on one day or added up. */
export const ReportFigures = z.object({
  /** Conversations that have ended, counted on the local day they started. */
  conversations: z.number().int(),
  visitorMessages: z.number().int(),
  agentMessages: z.number().int(),
  /** Messages visitors left when nobody could serve them (no agent). */
  leftMessages: z.number().int(),
  /** From the visitor's first message to the first agent reply. */
  firstResponse: ReportDurations,
  /** From the visitor's first message to the end. */
  resolution: ReportDurations,
  rating: z.object({
    count: z.number().int(),
    average: z.number().nullable(),
    /** How many ratings gave 1, 2, 3, 4 and 5. */
    scores: z.array(z.number().int()).length(5),
  }),
  /** The robot first line, over ended conversations: ended with the robot alone after it
   * answered (`resolved`), handed to people (`handedOver`), and why, per HandoffReason. */
  robot: z.object({
    resolved: z.number().int(),
    handedOver: z.number().int(),
    reasons: z.record(HandoffReason, z.number().int()),
  }),
});
export type ReportFigures = z.infer<typeof ReportFigures>;

/** `agentId` null: nobody (conversations that ended in the queue, left messages). `agentName`
 * null: no agent, or an account that no longer exists. */
const AgentRef = z.object({ agentId: z.string().nullable(), agentName: z.string().nullable() });

export const ReportRow = ReportFigures.extend({ day: z.string() }).extend(AgentRef.shape);
export type ReportRow = z.infer<typeof ReportRow>;

/** GET /api/v1/reports. */
export const Report = z.object({
  from: z.string(),
  to: z.string(),
  /** The zone whose local days these are. */
  timeZone: z.string(),
  /** The roll-ups are being recomputed (first start, a new zone): figures are incomplete. */
  rebuilding: z.boolean(),
  /** One per agent per day that has anything, by day then agent name. */
  rows: z.array(ReportRow),
  /** Every day of the range (zeros too), all agents together. */
  days: z.array(ReportFigures.extend({ day: z.string() })),
  /** One per agent with anything in the range, the busiest first. */
  agents: z.array(ReportFigures.extend(AgentRef.shape)),
  total: ReportFigures,
});
export type Report = z.infer<typeof Report>;
