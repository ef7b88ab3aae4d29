import { z } from 'zod';
import { BusinessHours } from './businessHours.js';
import { Id, stripControlCharacters, Timestamp } from './common.js';
import { LocalizedText } from './messages.js';

/** A web origin such as `https://shop.example.com` or `http://127.0.0.2:8080` (no path). */
export const Origin = z
  .string()
  .max(255)
  .transform((v, ctx) => {
    try {
      const u = new URL(v);
      if (
        (u.protocol === 'https:' || u.protocol === 'http:') &&
        v.replace(/\/$/, '') === u.origin
      ) {
        return u.origin;
      }
    } catch {
      // fall through
    }
    ctx.addIssue({ code: 'custom', message: 'must be an origin like https://example.com' });
    return z.NEVER;
  });

export const ChannelName = z
  .string()
  .transform((v) => stripControlCharacters(v).replace(/\s+/g, ' ').trim())
  .pipe(z.string().min(1, 'must not be empty').max(64, 'must be at most 64 characters'));

export const ChannelMessageText = z
  .string()
  .transform((v) => stripControlCharacters(v).trim())
  .pipe(z.string().max(2000, 'must be at most 2000 characters'));

/**
 * A channel text in a request: one string for every language, or some languages' texts (the
 * others keep theirs; an empty string removes one).
 */
export const ChannelTextInput = z.union([
  ChannelMessageText,
  z.object({ 'zh-CN': ChannelMessageText.optional(), en: ChannelMessageText.optional() }).strict(),
]);
export type ChannelTextInput = z.input<typeof ChannelTextInput>;

/** A website the embed was seen on: how often, and when last (admins only). */
export const SeenOrigin = z.object({
  origin: z.string(),
  count: z.number().int().min(1),
  lastSeenAt: Timestamp,
});
export type SeenOrigin = z.infer<typeof SeenOrigin>;

/** Idle conversations end after this many minutes without a message (null: never). */
export const IdleEndMinutes = z.number().int().min(1).max(10_080);
/** An agent offline this many minutes hands their conversations back (null: never). */
export const AbsentAgentMinutes = z.number().int().min(1).max(1440);
/** Ended conversations and their files are deleted this many days after they end (null: kept). */
export const RetentionDays = z.number().int().min(1).max(3650);

/** When the channel's robot answers: never; first, before people (who take over on request or
 * when it cannot answer); or only outside business hours. */
export const RobotMode = z.enum(['off', 'first', 'offHours']);
export type RobotMode = z.infer<typeof RobotMode>;

export const RobotName = z
  .string()
  .transform((v) => stripControlCharacters(v).replace(/\s+/g, ' ').trim())
  .pipe(z.string().max(32, 'must be at most 32 characters'));

/** What the language model is told for this channel (tone, scope); the robot's rules come first. */
export const RobotInstruction = z
  .string()
  .transform((v) => stripControlCharacters(v).trim())
  .pipe(z.string().max(2000, 'must be at most 2000 characters'));

export const ChannelRobot = z.object({
  mode: RobotMode,
  /** As visitors see it; '' means the default ("智能助手" / "Assistant", per reader). */
  name: z.string(),
  avatarUrl: z.string().nullable(),
  /** Said when a conversation starts with the robot, per language ('' both: nothing). */
  greeting: LocalizedText,
  /** True: the robot answers each visitor message until a person takes over; false: only the
   * opening message, and the next one goes to people (`followUp`). */
  answerEveryMessage: z.boolean(),
  instruction: z.string(),
});
export type ChannelRobot = z.infer<typeof ChannelRobot>;

/** Changes to a channel's robot; absent fields stay. */
export const ChannelRobotInput = z
  .object({
    mode: RobotMode.optional(),
    name: RobotName.optional(),
    /** An uploaded image (POST /api/v1/uploads) by the caller; null: the default avatar. */
    avatarFileId: Id.nullable().optional(),
    greeting: ChannelTextInput.optional(),
    answerEveryMessage: z.boolean().optional(),
    instruction: RobotInstruction.optional(),
  })
  .strict();
export type ChannelRobotInput = z.input<typeof ChannelRobotInput>;

export const Channel = z.object({
  id: z.string(),
  name: z.string(),
  /** Per language; a visitor sees the text for their language, else the other one. */
  welcomeMessage: LocalizedText,
  /** Sent instead of the welcome message outside business hours. */
  offHoursMessage: LocalizedText,
  /** Null: always open. */
  businessHours: BusinessHours.nullable(),
  allowedOrigins: z.array(z.string()),
  /** Whether the visitor page asks for a satisfaction rating when a conversation ends. */
  ratingEnabled: z.boolean(),
  /** Active conversations with no message for this many minutes end by themselves (null: off). */
  idleEndMinutes: IdleEndMinutes.nullable(),
  /** An agent offline this many minutes hands this channel's conversations back (null: off). */
  absentAgentMinutes: AbsentAgentMinutes.nullable(),
  /** Ended conversations and their files are deleted this many days after they end (null: off). */
  retentionDays: RetentionDays.nullable(),
  /** The robot first line (domain/robot). */
  robot: ChannelRobot,
  createdAt: Timestamp,
  updatedAt: Timestamp,
  /** Only in answers to admins. */
  identitySecret: z.string().optional(),
  /** Only in answers to admins: sites that loaded embed.js without being allowed (at most 50,
   * most recent first). */
  blockedOrigins: z.array(SeenOrigin).optional(),
  /** Only in answers to admins: allowed sites where the bubble loaded, most recent first. */
  loadedOrigins: z.array(SeenOrigin).optional(),
});
export type Channel = z.infer<typeof Channel>;

export const ChannelListResponse = z.object({ channels: z.array(Channel) });
export type ChannelListResponse = z.infer<typeof ChannelListResponse>;

export const ChannelResponse = z.object({ channel: Channel });
export type ChannelResponse = z.infer<typeof ChannelResponse>;

export const CreateChannelRequest = z
  .object({
    name: ChannelName,
    welcomeMessage: ChannelTextInput.optional(),
    offHoursMessage: ChannelTextInput.optional(),
    businessHours: BusinessHours.nullable().optional(),
    allowedOrigins: z.array(Origin).max(50).optional(),
    ratingEnabled: z.boolean().optional(),
    idleEndMinutes: IdleEndMinutes.nullable().optional(),
    absentAgentMinutes: AbsentAgentMinutes.nullable().optional(),
    retentionDays: RetentionDays.nullable().optional(),
    robot: ChannelRobotInput.optional(),
  })
  .strict();
export type CreateChannelRequest = z.input<typeof CreateChannelRequest>;

export const UpdateChannelRequest = z
  .object({
    name: ChannelName.optional(),
    welcomeMessage: ChannelTextInput.optional(),
    offHoursMessage: ChannelTextInput.optional(),
    businessHours: BusinessHours.nullable().optional(),
    allowedOrigins: z.array(Origin).max(50).optional(),
    ratingEnabled: z.boolean().optional(),
    idleEndMinutes: IdleEndMinutes.nullable().optional(),
    absentAgentMinutes: AbsentAgentMinutes.nullable().optional(),
    retentionDays: RetentionDays.nullable().optional(),
    robot: ChannelRobotInput.optional(),
  })
  .strict();
export type UpdateChannelRequest = z.input<typeof UpdateChannelRequest>;

// ---- GET /api/v1/embed/check?channel=<id> (embed.js, cross-origin, no credentials)
export const EmbedCheckQuery = z.object({ channel: Id }).strict();
export type EmbedCheckQuery = z.infer<typeof EmbedCheckQuery>;

/** Whether the page asking (its Origin header) may show the channel's bubble. */
export const EmbedCheckResponse = z.object({
  allowed: z.boolean(),
  /** The page's origin as the server read it (null: the browser sent none). */
  origin: z.string().nullable(),
});
export type EmbedCheckResponse = z.infer<typeof EmbedCheckResponse>;
