import { z } from 'zod';
import { Id, stripControlCharacters, Timestamp } from './common.js';
import { FileInfo } from './files.js';

/** `robot`: the channel's robot answered (see RobotMeta); it may carry an image attachment. */
export const MessageType = z.enum(['text', 'system', 'image', 'video', 'robot']);
export type MessageType = z.infer<typeof MessageType>;

export const SenderType = z.enum(['visitor', 'agent', 'system', 'robot']);
export type SenderType = z.infer<typeof SenderType>;

/** Text of a message: control characters removed, trimmed, 1 to 5,000 characters. */
export const MessageText = z
  .string()
  .max(20_000, 'must be at most 5000 characters')
  .transform((v) => stripControlCharacters(v).trim())
  .pipe(z.string().min(1, 'must not be empty').max(5000, 'must be at most 5000 characters'));

/** Chosen by the sender, unique per sender: a retried send with the same id is stored once. */
export const ClientMsgId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, "_" or "-"');

/** A caption under an image or video: like text, but may be empty. */
export const Caption = z
  .string()
  .max(20_000, 'must be at most 5000 characters')
  .transform((v) => stripControlCharacters(v).trim())
  .pipe(z.string().max(5000, 'must be at most 5000 characters'));

/**
 * A visitor answering the robot: an entry's id from a robot message's `choices` (the body is
 * that choice's question, as shown), or `handoff` for "Talk to a person" (the body is the
 * button's words). Ignored for agents.
 */
export const RobotChoiceInput = z.union([z.literal('handoff'), Id]);

export const TextMessageInput = z
  .object({
    clientMsgId: ClientMsgId,
    type: z.literal('text'),
    body: MessageText,
    choice: RobotChoiceInput.optional(),
  })
  .strict();

/** An uploaded file (POST /api/v1/uploads) sent as a message, by its uploader only. */
export const MediaMessageInput = z
  .object({
    clientMsgId: ClientMsgId,
    type: z.enum(['image', 'video']),
    fileId: Id,
    body: Caption.default(''),
  })
  .strict();

export const SendMessageRequest = z.discriminatedUnion('type', [
  TextMessageInput,
  MediaMessageInput,
]);
export type SendMessageRequest = z.input<typeof SendMessageRequest>;

/** Seqs fit a 4-byte integer column on every engine; larger asks are clamped to it. */
export const maxSeq = 2_147_483_647;

/** Why the server wrote a system message; clients may show their own words for each kind. */
export const SystemMessageKind = z.enum([
  'welcome',
  'offHours',
  'queued',
  'assigned',
  'transferred',
  'ended',
  'idleEnded',
  'handedOff',
]);
export type SystemMessageKind = z.infer<typeof SystemMessageKind>;

/** The languages both apps speak; texts a channel gives per language are keyed by these. */
export const Locale = z.enum(['zh-CN', 'en']);
export type Locale = z.infer<typeof Locale>;

/** A text per language: an empty string means "not given" (the reader gets the other one). */
export const LocalizedText = z.object({ 'zh-CN': z.string(), en: z.string() });
export type LocalizedText = z.infer<typeof LocalizedText>;

/**
 * Why a conversation waits in the queue: every online agent is at their cap (`busy`), no agent
 * is online (`nobodyOnline`), or the channel is outside its business hours and nobody is online
 * (`offHours`).
 */
export const QueueReason = z.enum(['busy', 'nobodyOnline', 'offHours']);
export type QueueReason = z.infer<typeof QueueReason>;

/**
 * Why the robot handed a conversation to people: the visitor asked (`requested`); nothing in
 * the channel's knowledge came close (`unanswered`); the channel answers only the opening
 * message and the visitor wrote again (`followUp`); the visitor sent an image or video
 * (`media`); the language model was unsure (`modelUnsure`), failed, timed out or was busy
 * (`modelFailed`); an agent or administrator took it over (`agent`).
 */
export const HandoffReason = z.enum([
  'requested',
  'unanswered',
  'followUp',
  'media',
  'modelUnsure',
  'modelFailed',
  'agent',
]);
export type HandoffReason = z.infer<typeof HandoffReason>;

/**
 * What a system message is about, one shape per kind. `body` carries the server's words in the
 * channel's first language; clients render the notice from `meta` in the reader's language.
 */
export const SystemMeta = z.discriminatedUnion('kind', [
  /** The channel's welcome text opened the conversation; `texts` per language (absent on
   * messages stored before texts had languages: show `body`). */
  z.object({ kind: z.literal(SystemMessageKind.enum.welcome), texts: LocalizedText.optional() }),
  /** The channel is outside its business hours: its off-hours text opened the conversation. */
  z.object({ kind: z.literal(SystemMessageKind.enum.offHours), texts: LocalizedText.optional() }),
  /** Nobody could take the conversation: it waits at `position` in the queue, for `reason`
   * (absent on older messages: `busy`). */
  z.object({
    kind: z.literal(SystemMessageKind.enum.queued),
    position: z.number().int().min(1),
    reason: QueueReason.optional(),
  }),
  /** An agent took the conversation. */
  z.object({ kind: z.literal(SystemMessageKind.enum.assigned), agentName: z.string() }),
  /** The conversation moved to another agent (`fromName` null: it was queued). */
  z.object({
    kind: z.literal(SystemMessageKind.enum.transferred),
    fromName: z.string().nullable(),
    toName: z.string(),
  }),
  /** The conversation ended. */
  z.object({ kind: z.literal(SystemMessageKind.enum.ended) }),
  /** The conversation ended by itself: nobody wrote for the channel's `minutes`. */
  z.object({
    kind: z.literal(SystemMessageKind.enum.idleEnded),
    minutes: z.number().int().min(1),
  }),
  /** The robot handed the conversation to people (a queued or assigned notice follows). */
  z.object({ kind: z.literal(SystemMessageKind.enum.handedOff), reason: HandoffReason }),
]);
export type SystemMeta = z.infer<typeof SystemMeta>;
export type SystemMetaOf<K extends SystemMessageKind> = Extract<SystemMeta, { kind: K }>;

/** Where a robot answer came from: an FAQ entry, a saved reply marked for the robot, or the
 * language model (drawing on those). */
export const RobotSource = z.enum(['faq', 'savedReply', 'model']);
export type RobotSource = z.infer<typeof RobotSource>;

/** A "did you mean" choice: the entry (FAQ entry or saved reply) and the question to show. */
export const RobotChoice = z.object({ entryId: z.string(), question: z.string() });
export type RobotChoice = z.infer<typeof RobotChoice>;

/**
 * What a robot message is. `greeting`: the channel's robot greeting, with suggested questions
 * as `choices`; `answer`: an answer (`source`, `entryId` say from what); `choices`: the robot
 * is unsure and offers up to three questions. While the conversation is with the robot, clients
 * also offer "Talk to a person" (send `choice: "handoff"`).
 */
export const RobotMeta = z.object({
  kind: z.literal('robot'),
  reply: z.enum(['greeting', 'answer', 'choices']),
  source: RobotSource.nullable(),
  /** The FAQ entry or saved reply answered from (null: greeting, choices, or model). */
  entryId: z.string().nullable(),
  choices: z.array(RobotChoice).max(3),
  /** Set when the answer was streamed (robot.stream previews carry the same id). */
  streamId: z.string().nullable(),
});
export type RobotMeta = z.infer<typeof RobotMeta>;

export const Message = z.object({
  id: z.string(),
  conversationId: z.string(),
  seq: z.number().int().min(1),
  sender: z.object({
    type: SenderType,
    /** The visitor's or agent's id; absent for system and robot messages, and for agents when a
     * visitor reads. A robot's name and avatar are its channel's. */
    id: z.string().optional(),
    name: z.string(),
    avatarUrl: z.string().nullable(),
  }),
  type: MessageType,
  /** Text, or an image's or video's caption (may be empty). */
  body: z.string(),
  /** Images and videos: the file. */
  attachment: FileInfo.nullable(),
  /** System messages: what happened (SystemMeta); robot messages: RobotMeta; else null. */
  meta: z.union([SystemMeta, RobotMeta]).nullable(),
  clientMsgId: z.string().nullable(),
  createdAt: Timestamp,
  /** Present (true) only when the message was removed by an erase of its visitor: `type` is
   * `text`, `body` empty and `attachment` null; show it as "message removed". */
  redacted: z.literal(true).optional(),
});
export type Message = z.infer<typeof Message>;

// ---- GET /api/v1/conversations/:id/messages (and the socket's messages.list)
/** A history page's bounds; `number` is how its numbers are read (query strings coerce, sockets
 * not). */
export function messagePageBounds(number: () => z.ZodNumber | z.ZodCoercedNumber) {
  return {
    before: number().int().min(1).optional(),
    after: number().int().min(0).optional(),
    limit: number().int().min(1).max(100).default(50),
  };
}

/** A page goes one way: before a seq (older history) or after one (what was missed). */
export const oneDirection = [
  (q: { before?: number | undefined; after?: number | undefined }) =>
    q.before === undefined || q.after === undefined,
  { message: 'give either before or after, not both' },
] as const;

export const MessagePageQuery = z
  .object(messagePageBounds(() => z.coerce.number()))
  .strict()
  .refine(...oneDirection);
export type MessagePageQuery = z.input<typeof MessagePageQuery>;

export const MessagePage = z.object({
  messages: z.array(Message),
  /** True when more messages exist beyond this page in the direction asked. */
  hasMore: z.boolean(),
});
export type MessagePage = z.infer<typeof MessagePage>;
