import { z } from 'zod';
import { Id, LookupText, Timestamp } from './common.js';
import { HandoffReason, Message, QueueReason } from './messages.js';
import { ConversationLabel, ConversationSnooze, ConversationView } from './labels.js';
import { ConversationRating } from './ratings.js';
import { ConversationKind, LeftMessageContact } from './leftMessages.js';

/** `robot`: the channel's robot is answering; no agent holds it and it is not in the queue
 * until the robot hands it over (then `queued` or `active`). */
export const ConversationState = z.enum(['queued', 'active', 'ended', 'robot']);
export type ConversationState = z.infer<typeof ConversationState>;

export const AgentStatus = z.enum(['online', 'away', 'offline']);
export type AgentStatus = z.infer<typeof AgentStatus>;

/** What the robot did in a conversation: its answers, and when and why it handed over (null
 * while it still holds the conversation, or when it ended with the robot). */
export const ConversationRobot = z.object({
  replies: z.number().int().min(0),
  handedOffAt: Timestamp.nullable(),
  handoffReason: HandoffReason.nullable(),
});
export type ConversationRobot = z.infer<typeof ConversationRobot>;

/** A conversation as an agent or admin sees it. */
export const Conversation = z.object({
  id: z.string(),
  channelId: z.string(),
  state: ConversationState,
  visitor: z.object({
    id: z.string(),
    name: z.string(),
    avatarUrl: z.string().nullable(),
    /** The host app's user id (identity `sub`); null for anonymous visitors. */
    externalId: z.string().nullable(),
    attributes: z.record(z.string(), z.unknown()),
  }),
  agent: z
    .object({ id: z.string(), displayName: z.string(), avatarUrl: z.string().nullable() })
    .nullable(),
  lastSeq: z.number().int(),
  visitorReadSeq: z.number().int(),
  agentReadSeq: z.number().int(),
  /** The visitor's messages after agentReadSeq: system notices and the agents' own messages
   * never count. */
  unread: z.number().int(),
  /** 1-based place in the queue while queued, else null. */
  queuePosition: z.number().int().nullable(),
  /** While queued: why it waits (busy agents, nobody online, off hours); else null. */
  queueReason: QueueReason.nullable(),
  lastMessage: Message.nullable(),
  createdAt: Timestamp,
  assignedAt: Timestamp.nullable(),
  endedAt: Timestamp.nullable(),
  lastActivityAt: Timestamp,
  /** Hidden by the agent serving it, until a time or until the visitor writes; else null. */
  snooze: ConversationSnooze.nullable(),
  /** Its labels, by name. Absent from `message.created` and from a send's answer: a message
   * never changes them (keep the ones you have). */
  labels: z.array(ConversationLabel).optional(),
  /** The visitor's satisfaction rating once they gave one, else null. Absent, like `labels`,
   * from `message.created` and from a send's answer (keep the one you have). */
  rating: ConversationRating.nullable().optional(),
  /** `message`: a visitor left it when nobody could answer (`leftMessage` has their contact). */
  kind: ConversationKind,
  /** The contact details of a left message; null for a chat. */
  leftMessage: LeftMessageContact.nullable(),
  /** The robot's part: null when it never answered or held the conversation. */
  robot: ConversationRobot.nullable(),
});
export type Conversation = z.infer<typeof Conversation>;

/** A conversation as its visitor sees it: no agent ids or usernames, no visitor attributes. */
export const VisitorConversation = z.object({
  id: z.string(),
  state: ConversationState,
  agent: z.object({ name: z.string(), avatarUrl: z.string().nullable() }).nullable(),
  lastSeq: z.number().int(),
  visitorReadSeq: z.number().int(),
  /** How far the agent side has read: the visitor's messages up to here show as read. */
  agentReadSeq: z.number().int(),
  /** The agents' messages after visitorReadSeq: system notices and the visitor's own messages
   * never count. */
  unread: z.number().int(),
  queuePosition: z.number().int().nullable(),
  queueReason: QueueReason.nullable(),
  lastMessage: Message.nullable(),
  createdAt: Timestamp,
  endedAt: Timestamp.nullable(),
  /** The visitor's own rating once given, else null (absent where `message.created` carries the
   * conversation: keep the one you have). */
  rating: ConversationRating.nullable().optional(),
  /** `message`: the visitor left it with the leave-a-message form. */
  kind: ConversationKind,
  /** The email address the visitor left with it (the transcript form starts with it); else null. */
  contactEmail: z.string().nullable(),
});
export type VisitorConversation = z.infer<typeof VisitorConversation>;

// ---- GET /api/v1/conversations (and the socket's conversations.list)
/** The filter's fields; `number` is how its numbers are read (query strings coerce, sockets not). */
export function conversationFilter(number: () => z.ZodNumber | z.ZodCoercedNumber) {
  return z
    .object({
      state: ConversationState.optional(),
      agentId: Id.optional(),
      channelId: Id.optional(),
      /** One visitor's conversations (the visitor panel's history). */
      visitorId: Id.optional(),
      /** Case-insensitive part of the visitor's name. */
      q: LookupText.trim().min(1).max(64).optional(),
      /** A console view (see ConversationView); not with `state` or `agentId`. */
      view: ConversationView.optional(),
      /** Conversations that carry this label. */
      label: Id.optional(),
      /** Page on: conversations whose last activity is older than this. */
      before: number().int().min(0).optional(),
      limit: number().int().min(1).max(100).default(50),
    })
    .strict()
    .refine((f) => f.view === undefined || (f.state === undefined && f.agentId === undefined), {
      message: 'a view chooses the state and agent itself',
      path: ['view'],
    });
}

export const ConversationListQuery = conversationFilter(() => z.coerce.number());
export type ConversationListQuery = z.input<typeof ConversationListQuery>;

export const ConversationListResponse = z.object({ conversations: z.array(Conversation) });
export type ConversationListResponse = z.infer<typeof ConversationListResponse>;

export const ConversationResponse = z.object({ conversation: Conversation });
export type ConversationResponse = z.infer<typeof ConversationResponse>;

export const VisitorConversationListResponse = z.object({
  conversations: z.array(VisitorConversation),
});
export type VisitorConversationListResponse = z.infer<typeof VisitorConversationListResponse>;

// ---- POST /api/v1/conversations/:id/read
export const MarkReadRequest = z.object({ seq: z.number().int().min(0) }).strict();
export type MarkReadRequest = z.infer<typeof MarkReadRequest>;

// ---- POST /api/v1/conversations/:id/typing
export const TypingRequest = z.object({ isTyping: z.boolean() }).strict();
export type TypingRequest = z.infer<typeof TypingRequest>;

// ---- POST /api/v1/conversations/:id/transfer and /assign
export const TransferRequest = z.object({ agentId: Id }).strict();
export type TransferRequest = z.infer<typeof TransferRequest>;

// ---- PUT /api/v1/me/status
export const SetStatusRequest = z.object({ status: AgentStatus }).strict();
export type SetStatusRequest = z.infer<typeof SetStatusRequest>;

/** An agent as other console users see them, for transfer lists and the dashboard. */
export const AgentPresence = z.object({
  id: z.string(),
  displayName: z.string(),
  avatarUrl: z.string().nullable(),
  status: AgentStatus,
  activeConversations: z.number().int(),
  maxConcurrent: z.number().int().nullable(),
});
export type AgentPresence = z.infer<typeof AgentPresence>;

export const AgentPresenceListResponse = z.object({ agents: z.array(AgentPresence) });
export type AgentPresenceListResponse = z.infer<typeof AgentPresenceListResponse>;
