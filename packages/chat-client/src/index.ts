/**
 * The chat logic the agent console and the visitor page share. No UI framework and no zod: it
 * imports only `@servicesystem/protocol/wire`, so the visitor page stays small.
 */
export { ApiError, parseJson, type ApiErrorDetails, type ClientErrorCode } from './apiError.js';
export {
  createHttpClient,
  queryString,
  uploadFile,
  type HttpClient,
  type HttpClientOptions,
  type QueryParams,
  type RequestOptions,
  type UploadHandle,
  type UploadOptions,
} from './http.js';
export { callWithAck, type AckSocket } from './socketCall.js';
export { newClientMsgId } from './clientMsgId.js';
export { linkify, type TextSegment } from './linkify.js';
export {
  checkMessageText,
  messageTextMaxLength,
  previewLine,
  type MessageTextCheck,
} from './messageText.js';
export { lastSeqOf, mergeMessages } from './timeline.js';
export { interleaveNotes, mergeNotes, type TimelineItem } from './notes.js';
export {
  applyRead,
  conversationOf,
  isPreviewable,
  mergeConversation,
  unreadBound,
  type AnyConversation,
  type MessageCreated,
} from './conversationState.js';
export { outboxFromJson, outboxToJson, type OutboxItem, type OutboxState } from './outbox.js';
export {
  ChatMessages,
  type ChatMessagesOptions,
  type ChatMessagesState,
  type ChatTransport,
  type PageRequest,
  type ThreadState,
  type UploadSource,
} from './chatMessages.js';
export {
  chooseLocale,
  formatClock,
  formatDateTime,
  formatDay,
  formatListTime,
  formatMessageTime,
  localeFromLanguages,
  locales,
  parseLocale,
  readerLanguage,
  type Locale,
} from './locale.js';
export {
  applyRobotStream,
  defaultRobotName,
  dropStoredPreviews,
  localGreetingId,
  localRobotGreeting,
  openRobotChoices,
  robotMetaOf,
  robotName,
  showsLocalGreeting,
  type RobotPreview,
  type SessionRobot,
} from './robot.js';
export { handoffReasonWords, noticeText, textFor, type NoticeReader } from './notices.js';
export {
  fillPlaceholders,
  matchSavedReplies,
  replaceRange,
  slashQueryAt,
  type FindableReply,
  type PlaceholderValues,
  type SlashQuery,
} from './savedReplies.js';
