/**
 * What a browser client needs of the protocol without its zod schemas: event names, plain
 * constants and the inferred types. Imported as `@servicesystem/protocol/wire` by the console,
 * the visitor page, embed.js and `@servicesystem/chat-client`, so none of them bundles zod.
 *
 * Nothing here may import a schema module at runtime: types come in with `import type` only.
 */
import type { ErrorBody, ErrorCode, ErrorIssue } from './errors.js';
import type { FileInfo, UploadResponse } from './files.js';
import type {
  Channel,
  ChannelRobot,
  EmbedCheckResponse,
  RobotMode,
  SeenOrigin,
} from './channels.js';
import type { SetupStatus, SetupSteps } from './setup.js';
import type {
  LocalizedText,
  Locale,
  Message,
  MessagePage,
  QueueReason,
  MessageType,
  SenderType,
  SystemMessageKind,
  SystemMeta,
  SystemMetaOf,
  HandoffReason,
  RobotChoice,
  RobotMeta,
  RobotSource,
} from './messages.js';
import type {
  FaqEntry,
  RobotMatch,
  RobotStatusResponse,
  RobotStreamPayload,
  SuggestReplyResponse,
  TryRobotResponse,
} from './robot.js';
import type {
  AgentPresence,
  AgentStatus,
  Conversation,
  ConversationRobot,
  ConversationState,
  VisitorConversation,
} from './conversations.js';
import type {
  Ack,
  AckError,
  AgentStatusPayload,
  ConversationReadPayload,
  ConversationUpdatedPayload,
  MessageCreatedPayload,
  QueuePositionPayload,
  QueueCountPayload,
  ReadSide,
  SocketListConversations,
  SocketListMessages,
  SocketMarkRead,
  SocketSendMessage,
  SocketCreateNote,
  SocketTyping,
  TypingPayload,
} from './events.js';
import type { VisitorSessionResponse } from './visitors.js';
import type { ConversationRating, RateConversationRequest, RatingResponse } from './ratings.js';
import type {
  VisitedPage,
  VisitorContext,
  VisitorContextReport,
  VisitorContextResponse,
  VisitorUpdatedPayload,
} from './visitorContext.js';
import type {
  ConversationKind,
  LeaveMessageRequest,
  LeftMessageContact,
  TranscriptRequest,
  TranscriptResponse,
} from './leftMessages.js';
import type { Note, NoteCreatedPayload, NoteList, NoteResponse } from './notes.js';
import type { SearchMatch, SearchResponse, SearchResult } from './search.js';
import type {
  ConversationCounts,
  ConversationLabel,
  ConversationSnooze,
  ConversationView,
  Label,
} from './labels.js';

/**
 * Socket.IO event names. Server → client events carry one payload; client → server events take
 * one payload and answer through the acknowledgement callback with an `Ack`.
 */
export const ServerEvent = {
  /** A message was stored in a conversation you can see. */
  MessageCreated: 'message.created',
  /** A conversation changed state or agent (queued → active → ended, transfer). */
  ConversationUpdated: 'conversation.updated',
  /** The other side (or your other tab) read up to `seq`. */
  ConversationRead: 'conversation.read',
  /** Someone is typing (not stored). */
  Typing: 'typing',
  /** Visitors: your place in the queue changed. */
  QueuePosition: 'queue.position',
  /** Console: an agent's status or load changed. */
  AgentStatus: 'agent.status',
  /** Console: an internal note was written in a conversation you can see (never to visitors). */
  NoteCreated: 'note.created',
  /** Console: the number of queued conversations changed (the `unassigned` view's count). */
  QueueCount: 'queue.count',
  /** Console: an administrator created, changed or deleted a label; carries every label. */
  LabelsChanged: 'labels.changed',
  /** Console: the visitor of an open conversation you can see changed page (their context). */
  VisitorUpdated: 'visitor.updated',
  /** The robot's answer while a language model writes it (RobotStreamPayload; not stored). */
  RobotStream: 'robot.stream',
} as const;
export type ServerEvent = (typeof ServerEvent)[keyof typeof ServerEvent];

export const ClientEvent = {
  SendMessage: 'message.send',
  ListMessages: 'messages.list',
  MarkRead: 'conversation.read',
  Typing: 'typing',
  SetStatus: 'agent.status.set',
  ListConversations: 'conversations.list',
  EndConversation: 'conversation.end',
  TransferConversation: 'conversation.transfer',
  AssignConversation: 'conversation.assign',
  CreateNote: 'note.create',
  /** Visitors: the page they are on now, their language and time zone (their own context). */
  ReportContext: 'visitor.context',
} as const;
export type ClientEvent = (typeof ClientEvent)[keyof typeof ClientEvent];

/**
 * The longest text message the server stores, in UTF-16 code units after trimming (the
 * `MessageText` schema's limit; a test in packages/chat-client keeps the two equal).
 */
export const messageTextMaxLength = 5000;

/** The longest rating comment (the `RatingComment` schema's limit). */
export const ratingCommentMaxLength = 500;
/** The longest page title `visitor.context` takes, in UTF-16 code units (longer: cut it). */
export const pageTitleMaxLength = 300;
/** The longest left message (`LeftMessageText`), in UTF-16 code units after trimming. */
export const leftMessageMaxLength = 2000;

/** An email address as the server takes it (`EmailAddress`): one `@`, a dot in the domain, no
 * spaces or brackets. Trim first. */
export const emailAddressPattern = /^[^\s@<>()",;]+@[^\s@<>()",;]+\.[^\s@<>()",;.]+$/;
/** A phone number as the server takes it (`PhoneNumber`): digits with spaces, dashes, dots,
 * brackets and a leading `+`, with 5 to 20 digits. Trim first. */
export const phoneNumberPattern = /^\+?[0-9 ().-]+$/;
export const phoneDigits = { min: 5, max: 20 } as const;
/** Whether a trimmed phone number has an acceptable number of digits. */
export const hasPhoneDigits = (phone: string): boolean => {
  const digits = phone.replace(/\D/g, '').length;
  return digits >= phoneDigits.min && digits <= phoneDigits.max;
};

// ---- embed.js ↔ the visitor page in its iframe (window.postMessage, same two origins only)

/** Every message between embed.js and the visitor page is `{source: embedMessageSource, ...}`. */
export const embedMessageSource = 'servicesystem';

/** What the website's embed.js asks of the visitor page: `{source, command}`. */
export type EmbedCommand =
  | { type: 'visibility'; open: boolean }
  | { type: 'setUser'; identity: string }
  | { type: 'logout' }
  | { type: 'context'; page: HostPage };

/** What embed.js reports of the website's page as the visitor moves around it. */
export interface HostPage {
  url: string;
  title: string;
  referrer: string;
  language: string;
  timeZone: string;
}

/** What the visitor page tells embed.js: `{source, event}`. */
export type EmbedEvent =
  | { type: 'ready' }
  | { type: 'unread'; count: number }
  | {
      type: 'message';
      message: { type: string; body: string; senderName: string; createdAt: number };
    }
  | { type: 'close' }
  /** The visitor rated the conversation that just ended. */
  | { type: 'rating'; conversationId: string; score: number };

export type {
  ConversationKind,
  LeaveMessageRequest,
  LeftMessageContact,
  TranscriptRequest,
  TranscriptResponse,
  SearchMatch,
  SearchResponse,
  SearchResult,
  Note,
  NoteCreatedPayload,
  NoteList,
  NoteResponse,
  Ack,
  AckError,
  Channel,
  EmbedCheckResponse,
  LocalizedText,
  Locale,
  QueueReason,
  SeenOrigin,
  SetupStatus,
  SetupSteps,
  AgentPresence,
  AgentStatus,
  AgentStatusPayload,
  Conversation,
  ConversationCounts,
  ConversationLabel,
  ConversationReadPayload,
  ConversationSnooze,
  ConversationState,
  ConversationView,
  Label,
  ConversationUpdatedPayload,
  ErrorBody,
  ErrorCode,
  ErrorIssue,
  FileInfo,
  Message,
  MessageCreatedPayload,
  MessagePage,
  MessageType,
  QueuePositionPayload,
  QueueCountPayload,
  ReadSide,
  SenderType,
  SocketListConversations,
  SocketListMessages,
  SocketMarkRead,
  SocketSendMessage,
  SocketCreateNote,
  SocketTyping,
  SystemMessageKind,
  SystemMeta,
  SystemMetaOf,
  TypingPayload,
  UploadResponse,
  VisitorConversation,
  VisitorSessionResponse,
  ConversationRating,
  RateConversationRequest,
  RatingResponse,
  VisitedPage,
  VisitorContext,
  VisitorContextReport,
  VisitorContextResponse,
  VisitorUpdatedPayload,
  HandoffReason,
  RobotChoice,
  RobotMeta,
  RobotSource,
  FaqEntry,
  RobotMatch,
  RobotStatusResponse,
  RobotStreamPayload,
  SuggestReplyResponse,
  TryRobotResponse,
  ChannelRobot,
  RobotMode,
  ConversationRobot,
};
