import { z } from 'zod';

/** Query of GET /api/v1/stats: `tz` (an IANA time zone) is checked and otherwise ignored: days
 * are local days in the deployment's REPORT_TIME_ZONE, the reports' (answered as `tz`). */
export const StatsQuery = z
  .object({
    tz: z
      .string()
      .max(64)
      .refine((tz) => {
        try {
          new Intl.DateTimeFormat('en-US', { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, 'must be an IANA time zone such as Asia/Shanghai')
      .default('UTC'),
  })
  .strict();
export type StatsQuery = z.input<typeof StatsQuery>;

export const DailyCount = z.object({
  /** `YYYY-MM-DD` in the asked time zone. */
  day: z.string(),
  count: z.number().int(),
});
export type DailyCount = z.infer<typeof DailyCount>;

export const AgentWorkload = z.object({
  agentId: z.string(),
  displayName: z.string(),
  /** Conversations assigned to the agent today (in `tz`), and over the last 7 days including today. */
  today: z.number().int(),
  last7Days: z.number().int(),
});
export type AgentWorkload = z.infer<typeof AgentWorkload>;

/** GET /api/v1/stats (admins): the dashboard's numbers. */
export const DashboardStats = z.object({
  tz: z.string(),
  /** Conversations created per day, the last 30 days oldest first (today included, zeros too). */
  conversationsPerDay: z.array(DailyCount),
  /** Every agent (not admins), busiest over 7 days first. */
  perAgent: z.array(AgentWorkload),
  /** Over conversations that started in the last 30 days and have ended: first agent reply −
   * creation (within 5%, from the report roll-ups). */
  firstResponseMedianMs: z.number().nullable(),
  /** The same conversations: end − creation. */
  resolutionMedianMs: z.number().nullable(),
  queue: z.object({ length: z.number().int(), longestWaitMs: z.number().nullable() }),
  activeConversations: z.number().int(),
});
export type DashboardStats = z.infer<typeof DashboardStats>;
