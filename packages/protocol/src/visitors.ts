import { z } from 'zod';
import { Id, LookupText, Timestamp } from './common.js';
import { LocalizedText, RobotChoice } from './messages.js';
import { IdentityAttributes, VisitorContextReport } from './visitorContext.js';

// ---- POST /api/v1/visitor/session
export const VisitorSessionRequest = z
  .object({
    channelId: Id,
    /** A JWT (HS256) signed by the host app's backend with the channel's identity secret. */
    identity: z.string().min(1).max(8192).optional(),
    /** The visitor's page, language and time zone at the start (see `visitor.context`). */
    context: VisitorContextReport.optional(),
    /** A resume token from a reply mail's link: the session of the visitor it names. */
    resume: z.string().min(1).max(4096).optional(),
  })
  .strict();
export type VisitorSessionRequest = z.infer<typeof VisitorSessionRequest>;

/** What a visitor learns about themself. */
export const Visitor = z.object({
  id: z.string(),
  channelId: z.string(),
  name: z.string(),
  avatarUrl: z.string().nullable(),
  /** True when the host app vouched for this visitor with a signed identity. */
  identified: z.boolean(),
  createdAt: Timestamp,
});
export type Visitor = z.infer<typeof Visitor>;

export const VisitorSessionResponse = z.object({
  visitorToken: z.string(),
  /** Epoch ms after which the token stops working; ask for a new session before then. */
  expiresAt: Timestamp,
  visitor: Visitor,
  channel: z.object({
    id: z.string(),
    name: z.string(),
    /** False outside the channel's business hours: show `offHoursMessage` before the first
     * message (an agent may still answer later). */
    open: z.boolean(),
    /** True when some agent is online now (a first message may still wait if all are busy). */
    agentsOnline: z.boolean(),
    welcomeMessage: LocalizedText,
    offHoursMessage: LocalizedText,
    /** Ask for a satisfaction rating when a conversation ends (its `rating` still null). */
    ratingEnabled: z.boolean(),
    /** `open` and `agentsOnline` both, or the robot answers (`robot`): someone may answer now.
     * When false, a visitor without a conversation going is offered the leave-a-message form. */
    available: z.boolean(),
    /** The channel's robot when it takes new conversations now (its mode, and for `offHours`
     * the business hours), else null. A page may show its greeting and suggestions before the
     * first message: the same greeting opens the conversation when it starts, and a suggestion
     * is sent as a text with `choice` set to its `entryId`. Texts in `greeting` per language;
     * `suggestions` in the language the session's `context.language` names. */
    robot: z
      .object({
        name: z.string(),
        avatarUrl: z.string().nullable(),
        greeting: LocalizedText,
        suggestions: z.array(RobotChoice).max(3),
      })
      .nullable(),
    /** The server sends mail (SMTP is configured): replies to a left message and transcripts can
     * go by email. */
    mail: z.boolean(),
  }),
  /** Only when the request carried `resume`: `resumed` (this is the visitor the link named) or
   * `invalid` (expired, forged or for another channel: a session as without it). */
  resume: z.enum(['resumed', 'invalid']).optional(),
});
export type VisitorSessionResponse = z.infer<typeof VisitorSessionResponse>;

// ---- GET /api/v1/visitor/unread
export const UnreadResponse = z.object({ unread: z.number().int().min(0) });
export type UnreadResponse = z.infer<typeof UnreadResponse>;

/** Claims of an identity token, as checked by the server. */
export const IdentityClaims = z.object({
  // Stored as the visitor's external id: no control characters, as for ids.
  sub: LookupText.min(1).max(128),
  name: z.string().max(64).optional(),
  avatar: z.string().max(2048).optional(),
  exp: z.number(),
  /** Shown to agents: at most 30 keys and 2048 bytes as JSON; values may nest. */
  attributes: IdentityAttributes.optional(),
});
export type IdentityClaims = z.infer<typeof IdentityClaims>;
