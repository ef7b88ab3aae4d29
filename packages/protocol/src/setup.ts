import { z } from 'zod';

// ---- GET /api/v1/setup (admins): the first-run checklist, worked out from real state
export const SetupSteps = z.object({
  /** Some enabled agent account exists. */
  agentCreated: z.boolean(),
  /** Some channel allows a website (or the visitor page link is used instead: a conversation). */
  siteAllowed: z.boolean(),
  /** The bubble has loaded on an allowed website. */
  snippetLoaded: z.boolean(),
  /** Some agent is online now. */
  agentOnline: z.boolean(),
  /** Some conversation has been started. */
  firstConversation: z.boolean(),
});
export type SetupSteps = z.infer<typeof SetupSteps>;

export const SetupStatus = z.object({
  steps: SetupSteps,
  /** Every step is done. */
  complete: z.boolean(),
  /** The oldest channel: where the checklist's links point (null when none exists). */
  channelId: z.string().nullable(),
});
export type SetupStatus = z.infer<typeof SetupStatus>;
