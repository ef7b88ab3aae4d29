import { z } from 'zod';
import { Id } from './common.js';
import { ErrorIssue } from './errors.js';
import {
  AgentPresence,
  Conversation,
  conversationFilter,
  MarkReadRequest,
  SetStatusRequest,
  TransferRequest,
  TypingRequest,
  VisitorConversation,
} from './conversations.js';
import {
  MediaMessageInput,
  Message,
  messagePageBounds,
  QueueReason,
  oneDirection,
  TextMessageInput,
} from './messages.js';

import { CreateNoteRequest } from './notes.js';

// The event names live in wire.ts (no zod), for clients that must not bundle the schemas.
export { ClientEvent, ServerEvent } from './wire.js';

// ---- server → client payloads. Console sockets get `Conversation`, visitor sockets get
// `VisitorConversation`; message senders are shaped per audience too.
/**
 * `conversation` is the conversation as this message left it, without `lastMessage`: that is
 * `message` itself, sent once (a client sets `lastMessage = message`).
 */
export const MessageCreatedPayload = z.object({
  message: Message,
  conversation: z.union([
    Conversation.omit({ lastMessage: true }),
    VisitorConversation.omit({ lastMessage: true }),
  ]),
});
export type MessageCreatedPayload = z.infer<typeof MessageCreatedPayload>;

export const ConversationUpdatedPayload = z.object({
  conversation: z.union([Conversation, VisitorConversation]),
});
export type ConversationUpdatedPayload = z.infer<typeof ConversationUpdatedPayload>;

export const ReadSide = z.enum(['visitor', 'agent']);
export type ReadSide = z.infer<typeof ReadSide>;

export const ConversationReadPayload = z.object({
  conversationId: z.string(),
  side: ReadSide,
  seq: z.number().int(),
});
export type ConversationReadPayload = z.infer<typeof ConversationReadPayload>;

export const TypingPayload = z.object({
  conversationId: z.string(),
  side: ReadSide,
  isTyping: z.boolean(),
});
export type TypingPayload = z.infer<typeof TypingPayload>;

export const QueuePositionPayload = z.object({
  conversationId: z.string(),
  position: z.number().int().min(1),
  /** Why it waits: agents busy, nobody online, or off hours with nobody online. */
  reason: QueueReason,
});
export type QueuePositionPayload = z.infer<typeof QueuePositionPayload>;

/** Console: how many conversations wait in the queue now (the `unassigned` view's count). */
export const QueueCountPayload = z.object({ queued: z.number().int().min(0) });
export type QueueCountPayload = z.infer<typeof QueueCountPayload>;

export const AgentStatusPayload = AgentPresence;
export type AgentStatusPayload = z.infer<typeof AgentStatusPayload>;

// ---- client → server payloads
const ConversationRef = Id;

/** Agents must name the conversation; visitors' messages go to their open conversation (or
 * start one) and any conversationId they send is ignored. */
const Target = { conversationId: ConversationRef.optional() };
export const SocketSendMessage = z.discriminatedUnion('type', [
  TextMessageInput.extend(Target),
  MediaMessageInput.extend(Target),
]);
export type SocketSendMessage = z.input<typeof SocketSendMessage>;

/** Socket events name their conversation where the REST route has it in the path; the rest of
 * each payload is the REST body's schema. */
const inConversation = { conversationId: ConversationRef };

export const SocketListMessages = z
  .object({ ...inConversation, ...messagePageBounds(() => z.number()) })
  .strict()
  .refine(...oneDirection);
export type SocketListMessages = z.input<typeof SocketListMessages>;

export const SocketMarkRead = z.object({ ...inConversation, ...MarkReadRequest.shape }).strict();
export type SocketMarkRead = z.infer<typeof SocketMarkRead>;

export const SocketTyping = z.object({ ...inConversation, ...TypingRequest.shape }).strict();
export type SocketTyping = z.infer<typeof SocketTyping>;

export const SocketSetStatus = SetStatusRequest;
export type SocketSetStatus = z.infer<typeof SocketSetStatus>;

export const SocketConversationRef = z.object(inConversation).strict();
export type SocketConversationRef = z.infer<typeof SocketConversationRef>;

export const SocketTransfer = z.object({ ...inConversation, ...TransferRequest.shape }).strict();

export const SocketCreateNote = z
  .object({ ...inConversation, ...CreateNoteRequest.shape })
  .strict();
export type SocketCreateNote = z.input<typeof SocketCreateNote>;
export type SocketTransfer = z.infer<typeof SocketTransfer>;

/** The query of GET /api/v1/conversations, with real numbers (no string coercion on sockets). */
export const SocketListConversations = conversationFilter(() => z.number());
export type SocketListConversations = z.input<typeof SocketListConversations>;

/** Every acknowledgement: `{ok: true, ...data}` or `{ok: false, error}`. */
export const AckError = z.object({
  ok: z.literal(false),
  error: z.object({
    code: z.string(),
    message: z.string(),
    issues: z.array(ErrorIssue).optional(),
    /** With RATE_LIMITED: how long to wait before sending again. */
    retryAfterSeconds: z.number().optional(),
  }),
});
export type AckError = z.infer<typeof AckError>;
export type Ack<T extends object = object> = ({ ok: true } & T) | AckError;
