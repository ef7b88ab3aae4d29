import { z } from 'zod';
import {
  AccountListResponse,
  AccountResponse,
  AgentListResponse,
  AgentResponse,
  ChangePasswordRequest,
  CreateAccountResponse,
  CreateAgentRequest,
  CreateAgentResponse,
  IdParams,
  LoginRequest,
  LoginResponse,
  MeResponse,
  ResetPasswordRequest,
  ResetPasswordResponse,
  UpdateAgentRequest,
  UpdateMeRequest,
} from './accounts.js';
import {
  ApiKeyListResponse,
  ApiKeyResponse,
  type ApiKeyScope,
  CreateApiKeyRequest,
  CreateApiKeyResponse,
  UpdateApiKeyRequest,
} from './apiKeys.js';
import { AuditListQuery, AuditListResponse } from './audit.js';
import {
  ChannelListResponse,
  ChannelResponse,
  CreateChannelRequest,
  EmbedCheckQuery,
  EmbedCheckResponse,
  UpdateChannelRequest,
} from './channels.js';
import {
  AgentPresenceListResponse,
  Conversation,
  ConversationListQuery,
  ConversationListResponse,
  ConversationResponse,
  MarkReadRequest,
  SetStatusRequest,
  TransferRequest,
  TypingRequest,
  VisitorConversationListResponse,
} from './conversations.js';
import type { ErrorCode } from './errors.js';
import { FileParams, FileQuery, UploadResponse } from './files.js';
import { HealthResponse } from './health.js';
import {
  ConversationCountsResponse,
  ConversationLabelParams,
  CreateLabelRequest,
  LabelListResponse,
  LabelResponse,
  SnoozeRequest,
  UpdateLabelRequest,
} from './labels.js';
import { LeaveMessageRequest, TranscriptRequest, TranscriptResponse } from './leftMessages.js';
import { Message, MessagePage, MessagePageQuery, SendMessageRequest } from './messages.js';
import { CreateNoteRequest, NoteList, NoteResponse } from './notes.js';
import {
  EraseVisitorRequest,
  EraseVisitorResponse,
  VisitorSearchQuery,
  VisitorSearchResponse,
} from './privacy.js';
import { RateConversationRequest, RatingResponse } from './ratings.js';
import { Report, ReportQuery } from './reports.js';
import {
  CreateSavedReplyRequest,
  SavedReplyListResponse,
  SavedReplyResponse,
  UpdateSavedReplyRequest,
} from './savedReplies.js';
import { SearchQuery, SearchResponse } from './search.js';
import { SetupStatus } from './setup.js';
import { DashboardStats, StatsQuery } from './stats.js';
import { VisitorContextResponse } from './visitorContext.js';
import { UnreadResponse, VisitorSessionRequest, VisitorSessionResponse } from './visitors.js';

/**
 * Who may call a route: `public` (no credential), `visitor` (a visitor token), `agent` and
 * `admin` (a console account: session or API key acting as it).
 */
export type ApiCaller = 'public' | 'visitor' | 'agent' | 'admin';

/**
 * What an API key needs to call a route: a scope; `any` (every key, e.g. "who am I"); or null:
 * not available to API keys (logging in and out, one's own password, visitors' routes, managing
 * keys).
 */
export type ApiKeyAccess = ApiKeyScope | 'any' | null;

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One HTTP route of the server, as the OpenAPI document and the API-key check read it. */
export interface ApiRoute {
  method: HttpMethod;
  /** Fastify style: `/api/v1/conversations/:id`. */
  path: string;
  summary: string;
  tag: string;
  callers: readonly ApiCaller[];
  key: ApiKeyAccess;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** A multipart upload (`file`) instead of a JSON body. */
  upload?: true;
  /** The success status and its JSON body (none for 204; `text/csv` and files say so). */
  status: number;
  response?: z.ZodType;
  /** Other content than JSON on success. */
  produces?: 'text/csv' | 'application/octet-stream' | 'application/zip' | 'text/html';
  /** The error codes it may answer besides the ones every route may (see `commonErrors`). */
  errors: readonly ErrorCode[];
  /** Left out of the OpenAPI document (the docs page's own files). */
  hidden?: true;
}

/** What any route may answer: bad input, a body too large, overload, a fault on our side. */
export const commonErrors: readonly ErrorCode[] = [
  'VALIDATION_FAILED',
  'INVALID_JSON',
  'RATE_LIMITED',
  'SERVICE_UNAVAILABLE',
  'INTERNAL',
];

/** What a route with a caller answers when the credential is missing or not allowed. */
const auth: ErrorCode[] = ['UNAUTHENTICATED', 'FORBIDDEN', 'KEY_SCOPE_MISSING'];
const found: ErrorCode[] = [...auth, 'NOT_FOUND'];

const everyConsole = ['agent', 'admin'] as const;
const admins = ['admin'] as const;
const agents = ['agent'] as const;
const visitors = ['visitor'] as const;
const participants = ['visitor', 'agent'] as const;
const anyone = ['visitor', 'agent', 'admin'] as const;

const MessageSent = z.object({ message: Message, conversation: Conversation });
const NoContent = 204;

function accountRoutes(base: string, one: 'account' | 'agent'): ApiRoute[] {
  const tag = 'Accounts';
  const name = one === 'account' ? 'accounts' : 'agents (older name of /accounts)';
  return [
    {
      method: 'GET',
      path: base,
      summary: `List ${name}`,
      tag,
      callers: admins,
      key: 'admin',
      status: 200,
      response: one === 'account' ? AccountListResponse : AgentListResponse,
      errors: auth,
    },
    {
      method: 'POST',
      path: base,
      summary: `Create a console account (${one})`,
      tag,
      callers: admins,
      key: 'admin',
      body: CreateAgentRequest,
      status: 201,
      response: one === 'account' ? CreateAccountResponse : CreateAgentResponse,
      errors: [...auth, 'USERNAME_TAKEN'],
    },
    {
      method: 'GET',
      path: `${base}/:id`,
      summary: `Read one console account (${one})`,
      tag,
      callers: admins,
      key: 'admin',
      params: IdParams,
      status: 200,
      response: one === 'account' ? AccountResponse : AgentResponse,
      errors: found,
    },
    {
      method: 'PATCH',
      path: `${base}/:id`,
      summary: `Change, disable or enable a console account (${one})`,
      tag,
      callers: admins,
      key: 'admin',
      params: IdParams,
      body: UpdateAgentRequest,
      status: 200,
      response: one === 'account' ? AccountResponse : AgentResponse,
      errors: [...found, 'LAST_ADMIN'],
    },
    {
      method: 'POST',
      path: `${base}/:id/password`,
      summary: `Reset a console account's password (${one})`,
      tag,
      callers: admins,
      key: 'admin',
      params: IdParams,
      body: ResetPasswordRequest,
      status: 200,
      response: ResetPasswordResponse,
      errors: found,
    },
  ];
}

/**
 * Every HTTP route under /api (and /healthz) the server registers: one source for the OpenAPI
 * document (/api/openapi.json) and for what API keys may call. A test fails when the server and
 * this list disagree.
 */
export const apiRoutes: readonly ApiRoute[] = [
  // ---- health and documentation
  {
    method: 'GET',
    path: '/healthz',
    summary: 'Liveness and database reachability',
    tag: 'Service',
    callers: ['public'],
    key: null,
    status: 200,
    response: HealthResponse,
    errors: [],
  },
  {
    method: 'GET',
    path: '/api/openapi.json',
    summary: 'This OpenAPI 3.1 document',
    tag: 'Service',
    callers: ['public'],
    key: null,
    status: 200,
    errors: [],
  },
  {
    method: 'GET',
    path: '/api/docs',
    summary: 'Interactive API documentation (HTML)',
    tag: 'Service',
    callers: ['public'],
    key: null,
    status: 200,
    produces: 'text/html',
    errors: [],
  },
  {
    method: 'GET',
    path: '/api/docs/*',
    summary: 'The interactive documentation page’s files',
    tag: 'Service',
    callers: ['public'],
    key: null,
    status: 200,
    errors: ['ROUTE_NOT_FOUND'],
    hidden: true,
  },

  // ---- console sign-in and one's own account
  {
    method: 'POST',
    path: '/api/v1/auth/login',
    summary: 'Log in to the console: a session token (and cookie)',
    tag: 'Console session',
    callers: ['public'],
    key: null,
    body: LoginRequest,
    status: 200,
    response: LoginResponse,
    errors: [
      'INVALID_CREDENTIALS',
      'ACCOUNT_DISABLED',
      'TOO_MANY_LOGIN_ATTEMPTS',
      'CROSS_SITE_REQUEST',
    ],
  },
  {
    method: 'POST',
    path: '/api/v1/auth/logout',
    summary: 'End this console session',
    tag: 'Console session',
    callers: everyConsole,
    key: null,
    status: NoContent,
    errors: auth,
  },
  {
    method: 'GET',
    path: '/api/v1/me',
    summary: 'The calling console account (for a key: the account it acts as)',
    tag: 'Console session',
    callers: everyConsole,
    key: 'any',
    status: 200,
    response: MeResponse,
    errors: auth,
  },
  {
    method: 'PATCH',
    path: '/api/v1/me',
    summary: 'Change one’s own name or avatar',
    tag: 'Console session',
    callers: everyConsole,
    key: null,
    body: UpdateMeRequest,
    status: 200,
    response: MeResponse,
    errors: auth,
  },
  {
    method: 'POST',
    path: '/api/v1/me/password',
    summary: 'Change one’s own password (ends one’s other sessions)',
    tag: 'Console session',
    callers: everyConsole,
    key: null,
    body: ChangePasswordRequest,
    status: NoContent,
    errors: [...auth, 'WRONG_PASSWORD'],
  },
  {
    method: 'PUT',
    path: '/api/v1/me/status',
    summary: 'Set one’s own status: online, away or offline (agents)',
    tag: 'Console session',
    callers: agents,
    key: null,
    body: SetStatusRequest,
    status: 200,
    errors: auth,
  },
  {
    method: 'GET',
    path: '/api/v1/presence',
    summary: 'Every agent’s status and load',
    tag: 'Agents',
    callers: everyConsole,
    key: 'conversations:read',
    status: 200,
    response: AgentPresenceListResponse,
    errors: auth,
  },

  // ---- accounts (administrators)
  ...accountRoutes('/api/v1/accounts', 'account'),
  ...accountRoutes('/api/v1/agents', 'agent'),

  // ---- API keys (administrators, console session only)
  {
    method: 'GET',
    path: '/api/v1/api-keys',
    summary: 'List API keys (revoked ones too)',
    tag: 'API keys',
    callers: admins,
    key: null,
    status: 200,
    response: ApiKeyListResponse,
    errors: auth,
  },
  {
    method: 'POST',
    path: '/api/v1/api-keys',
    summary: 'Create an API key; its token is in this answer only',
    tag: 'API keys',
    callers: admins,
    key: null,
    body: CreateApiKeyRequest,
    status: 201,
    response: CreateApiKeyResponse,
    errors: [...found, 'INVALID_STATE'],
  },
  {
    method: 'PATCH',
    path: '/api/v1/api-keys/:id',
    summary: 'Rename an API key or change its rate limit',
    tag: 'API keys',
    callers: admins,
    key: null,
    params: IdParams,
    body: UpdateApiKeyRequest,
    status: 200,
    response: ApiKeyResponse,
    errors: [...found, 'INVALID_STATE'],
  },
  {
    method: 'DELETE',
    path: '/api/v1/api-keys/:id',
    summary: 'Revoke an API key (it stays listed as revoked)',
    tag: 'API keys',
    callers: admins,
    key: null,
    params: IdParams,
    status: 200,
    response: ApiKeyResponse,
    errors: found,
  },

  // ---- audit log
  {
    method: 'GET',
    path: '/api/v1/audit',
    summary: 'The log of administrators’ changes, newest first',
    tag: 'Audit',
    callers: admins,
    key: 'admin',
    query: AuditListQuery,
    status: 200,
    response: AuditListResponse,
    errors: auth,
  },

  // ---- channels
  {
    method: 'GET',
    path: '/api/v1/channels',
    summary: 'List channels (administrators also get each identity secret)',
    tag: 'Channels',
    callers: everyConsole,
    key: 'admin',
    status: 200,
    response: ChannelListResponse,
    errors: auth,
  },
  {
    method: 'GET',
    path: '/api/v1/channels/:id',
    summary: 'Read one channel',
    tag: 'Channels',
    callers: everyConsole,
    key: 'admin',
    params: IdParams,
    status: 200,
    response: ChannelResponse,
    errors: found,
  },
  {
    method: 'POST',
    path: '/api/v1/channels',
    summary: 'Create a channel',
    tag: 'Channels',
    callers: admins,
    key: 'admin',
    body: CreateChannelRequest,
    status: 201,
    response: ChannelResponse,
    errors: auth,
  },
  {
    method: 'PATCH',
    path: '/api/v1/channels/:id',
    summary: 'Change a channel',
    tag: 'Channels',
    callers: admins,
    key: 'admin',
    params: IdParams,
    body: UpdateChannelRequest,
    status: 200,
    response: ChannelResponse,
    errors: found,
  },
  {
    method: 'POST',
    path: '/api/v1/channels/:id/rotate-secret',
    summary: 'Replace a channel’s identity secret',
    tag: 'Channels',
    callers: admins,
    key: 'admin',
    params: IdParams,
    status: 200,
    response: ChannelResponse,
    errors: found,
  },
  {
    method: 'DELETE',
    path: '/api/v1/channels/:id',
    summary: 'Delete a channel without conversations',
    tag: 'Channels',
    callers: admins,
    key: 'admin',
    params: IdParams,
    status: NoContent,
    errors: [...found, 'CONVERSATION_OPEN', 'INVALID_STATE'],
  },
  {
    method: 'GET',
    path: '/api/v1/setup',
    summary: 'What is left to set up (first-run checklist)',
    tag: 'Channels',
    callers: admins,
    key: 'admin',
    status: 200,
    response: SetupStatus,
    errors: auth,
  },
  {
    method: 'GET',
    path: '/api/v1/embed/check',
    summary: 'Whether a page may show a channel’s widget (called by embed.js)',
    tag: 'Visitors',
    callers: ['public'],
    key: null,
    query: EmbedCheckQuery,
    status: 200,
    response: EmbedCheckResponse,
    errors: [],
  },

  // ---- conversations
  {
    method: 'GET',
    path: '/api/v1/conversations',
    summary: 'List conversations (a view or filters)',
    tag: 'Conversations',
    callers: everyConsole,
    key: 'conversations:read',
    query: ConversationListQuery,
    status: 200,
    response: ConversationListResponse,
    errors: auth,
  },
  {
    method: 'GET',
    path: '/api/v1/conversations/counts',
    summary: 'How many conversations each view holds',
    tag: 'Conversations',
    callers: everyConsole,
    key: 'conversations:read',
    status: 200,
    response: ConversationCountsResponse,
    errors: auth,
  },
  {
    method: 'GET',
    path: '/api/v1/search',
    summary: 'Search conversations’ messages, notes and visitors',
    tag: 'Conversations',
    callers: everyConsole,
    key: 'conversations:read',
    query: SearchQuery,
    status: 200,
    response: SearchResponse,
    errors: auth,
  },
  {
    method: 'GET',
    path: '/api/v1/conversations/:id',
    summary: 'Read one conversation',
    tag: 'Conversations',
    callers: everyConsole,
    key: 'conversations:read',
    params: IdParams,
    status: 200,
    response: ConversationResponse,
    errors: found,
  },
  {
    method: 'GET',
    path: '/api/v1/conversations/:id/visitor-context',
    summary: 'The conversation’s visitor: device, pages, attributes',
    tag: 'Conversations',
    callers: everyConsole,
    key: 'conversations:read',
    params: IdParams,
    status: 200,
    response: VisitorContextResponse,
    errors: found,
  },
  {
    method: 'GET',
    path: '/api/v1/conversations/:id/messages',
    summary: 'A page of a conversation’s messages',
    tag: 'Messages',
    callers: anyone,
    key: 'conversations:read',
    params: IdParams,
    query: MessagePageQuery,
    status: 200,
    response: MessagePage,
    errors: found,
  },
  {
    method: 'POST',
    path: '/api/v1/conversations/:id/rating',
    summary: 'Its visitor rates an ended conversation, once',
    tag: 'Visitors',
    callers: visitors,
    key: null,
    params: IdParams,
    body: RateConversationRequest,
    status: 201,
    response: RatingResponse,
    errors: [...found, 'CONVERSATION_NOT_ENDED', 'ALREADY_RATED', 'RATING_OFF'],
  },
  {
    method: 'POST',
    path: '/api/v1/conversations/:id/messages',
    summary: 'Send a message as the serving agent (201 new, 200 a repeated clientId)',
    tag: 'Messages',
    callers: agents,
    key: 'messages:write',
    params: IdParams,
    body: SendMessageRequest,
    status: 201,
    response: MessageSent,
    errors: [...found, 'CONVERSATION_ENDED', 'INVALID_STATE'],
  },
  {
    method: 'GET',
    path: '/api/v1/conversations/:id/notes',
    summary: 'A conversation’s internal notes',
    tag: 'Messages',
    callers: everyConsole,
    key: 'conversations:read',
    params: IdParams,
    status: 200,
    response: NoteList,
    errors: found,
  },
  {
    method: 'POST',
    path: '/api/v1/conversations/:id/notes',
    summary: 'Write an internal note (201 new, 200 a repeated clientId)',
    tag: 'Messages',
    callers: everyConsole,
    key: 'messages:write',
    params: IdParams,
    body: CreateNoteRequest,
    status: 201,
    response: NoteResponse,
    errors: found,
  },
  {
    method: 'POST',
    path: '/api/v1/conversations/:id/read',
    summary: 'Mark messages read up to a sequence number',
    tag: 'Conversations',
    callers: participants,
    key: 'conversations:write',
    params: IdParams,
    body: MarkReadRequest,
    status: 200,
    response: z.object({ seq: z.number().int() }),
    errors: found,
  },
  {
    method: 'POST',
    path: '/api/v1/conversations/:id/typing',
    summary: 'Tell the other side one is typing',
    tag: 'Messages',
    callers: participants,
    key: 'messages:write',
    params: IdParams,
    body: TypingRequest,
    status: NoContent,
    errors: found,
  },
  {
    method: 'POST',
    path: '/api/v1/conversations/:id/end',
    summary: 'End a conversation',
    tag: 'Conversations',
    callers: everyConsole,
    key: 'conversations:write',
    params: IdParams,
    status: 200,
    response: ConversationResponse,
    errors: [...found, 'CONVERSATION_ENDED'],
  },
  {
    method: 'POST',
    path: '/api/v1/conversations/:id/transfer',
    summary: 'Hand a conversation to another agent',
    tag: 'Conversations',
    callers: everyConsole,
    key: 'conversations:write',
    params: IdParams,
    body: TransferRequest,
    status: 200,
    response: ConversationResponse,
    errors: [...found, 'CONVERSATION_ENDED', 'AGENT_UNAVAILABLE', 'INVALID_STATE'],
  },
  {
    method: 'POST',
    path: '/api/v1/conversations/:id/assign',
    summary: 'Assign a conversation to an agent (administrators)',
    tag: 'Conversations',
    callers: admins,
    key: 'conversations:write',
    params: IdParams,
    body: TransferRequest,
    status: 200,
    response: ConversationResponse,
    errors: [...found, 'CONVERSATION_ENDED', 'AGENT_UNAVAILABLE', 'INVALID_STATE'],
  },
  {
    method: 'PUT',
    path: '/api/v1/conversations/:id/labels/:labelId',
    summary: 'Put a label on a conversation',
    tag: 'Labels',
    callers: everyConsole,
    key: 'conversations:write',
    params: ConversationLabelParams,
    status: 200,
    response: ConversationResponse,
    errors: [...found, 'INVALID_STATE'],
  },
  {
    method: 'DELETE',
    path: '/api/v1/conversations/:id/labels/:labelId',
    summary: 'Take a label off a conversation',
    tag: 'Labels',
    callers: everyConsole,
    key: 'conversations:write',
    params: ConversationLabelParams,
    status: 200,
    response: ConversationResponse,
    errors: found,
  },
  {
    method: 'POST',
    path: '/api/v1/conversations/:id/snooze',
    summary: 'Hide one’s conversation until a time or the visitor’s next message',
    tag: 'Conversations',
    callers: agents,
    key: 'conversations:write',
    params: IdParams,
    body: SnoozeRequest,
    status: 200,
    response: ConversationResponse,
    errors: [...found, 'INVALID_STATE'],
  },
  {
    method: 'POST',
    path: '/api/v1/conversations/:id/unsnooze',
    summary: 'Bring a snoozed conversation back',
    tag: 'Conversations',
    callers: agents,
    key: 'conversations:write',
    params: IdParams,
    status: 200,
    response: ConversationResponse,
    errors: [...found, 'INVALID_STATE'],
  },

  // ---- files
  {
    method: 'POST',
    path: '/api/v1/uploads',
    summary: 'Upload a file (multipart/form-data, field `file`) to send in a message',
    tag: 'Files',
    callers: anyone,
    key: 'messages:write',
    upload: true,
    status: 201,
    response: UploadResponse,
    errors: [
      ...auth,
      'PAYLOAD_TOO_LARGE',
      'UNSUPPORTED_MEDIA_TYPE',
      'INVALID_MEDIA',
      'IMAGE_TOO_LARGE',
      'VIDEO_TOO_LARGE',
      'VIDEO_TOO_LONG',
      'STORAGE_UNAVAILABLE',
    ],
  },
  ...(
    [
      ['', 'A file (signed URL, or a caller who may read its conversation)'],
      ['/thumbnail', 'An image’s preview'],
      ['/cover', 'A video’s cover picture'],
    ] as const
  ).map(([suffix, summary]): ApiRoute => ({
    method: 'GET',
    path: `/api/v1/files/:id${suffix}`,
    summary,
    tag: 'Files',
    callers: ['public', ...anyone],
    key: 'conversations:read',
    params: FileParams,
    query: FileQuery,
    status: 200,
    produces: 'application/octet-stream',
    errors: [...found, 'RANGE_NOT_SATISFIABLE', 'STORAGE_UNAVAILABLE'],
  })),

  // ---- labels
  {
    method: 'GET',
    path: '/api/v1/labels',
    summary: 'List labels',
    tag: 'Labels',
    callers: everyConsole,
    key: 'conversations:read',
    status: 200,
    response: LabelListResponse,
    errors: auth,
  },
  {
    method: 'POST',
    path: '/api/v1/labels',
    summary: 'Define a label',
    tag: 'Labels',
    callers: admins,
    key: 'admin',
    body: CreateLabelRequest,
    status: 201,
    response: LabelResponse,
    errors: [...auth, 'LABEL_NAME_TAKEN', 'INVALID_STATE'],
  },
  {
    method: 'PATCH',
    path: '/api/v1/labels/:id',
    summary: 'Rename or recolour a label',
    tag: 'Labels',
    callers: admins,
    key: 'admin',
    params: IdParams,
    body: UpdateLabelRequest,
    status: 200,
    response: LabelResponse,
    errors: [...found, 'LABEL_NAME_TAKEN'],
  },
  {
    method: 'DELETE',
    path: '/api/v1/labels/:id',
    summary: 'Delete a label (and take it off every conversation)',
    tag: 'Labels',
    callers: admins,
    key: 'admin',
    params: IdParams,
    status: NoContent,
    errors: found,
  },

  // ---- saved replies
  {
    method: 'GET',
    path: '/api/v1/saved-replies',
    summary: 'One’s own saved replies and the shared ones',
    tag: 'Saved replies',
    callers: everyConsole,
    key: 'conversations:read',
    status: 200,
    response: SavedReplyListResponse,
    errors: auth,
  },
  {
    method: 'POST',
    path: '/api/v1/saved-replies',
    summary: 'Create a saved reply (shared ones: administrators)',
    tag: 'Saved replies',
    callers: everyConsole,
    key: 'admin',
    body: CreateSavedReplyRequest,
    status: 201,
    response: SavedReplyResponse,
    errors: [...auth, 'SHORTCUT_TAKEN', 'INVALID_STATE'],
  },
  {
    method: 'PATCH',
    path: '/api/v1/saved-replies/:id',
    summary: 'Change a saved reply',
    tag: 'Saved replies',
    callers: everyConsole,
    key: 'admin',
    params: IdParams,
    body: UpdateSavedReplyRequest,
    status: 200,
    response: SavedReplyResponse,
    errors: [...found, 'SHORTCUT_TAKEN'],
  },
  {
    method: 'DELETE',
    path: '/api/v1/saved-replies/:id',
    summary: 'Delete a saved reply',
    tag: 'Saved replies',
    callers: everyConsole,
    key: 'admin',
    params: IdParams,
    status: NoContent,
    errors: found,
  },

  // ---- reports
  {
    method: 'GET',
    path: '/api/v1/reports',
    summary: 'Reports: conversations, response and resolution times, ratings, by day',
    tag: 'Reports',
    callers: admins,
    key: 'reports:read',
    query: ReportQuery,
    status: 200,
    response: Report,
    errors: auth,
  },
  {
    method: 'GET',
    path: '/api/v1/reports.csv',
    summary: 'The same report as CSV',
    tag: 'Reports',
    callers: admins,
    key: 'reports:read',
    query: ReportQuery,
    status: 200,
    produces: 'text/csv',
    errors: auth,
  },
  {
    method: 'GET',
    path: '/api/v1/stats',
    summary: 'The dashboard’s figures',
    tag: 'Reports',
    callers: admins,
    key: 'reports:read',
    query: StatsQuery,
    status: 200,
    response: DashboardStats,
    errors: auth,
  },

  // ---- visitors (a visitor token)
  {
    method: 'POST',
    path: '/api/v1/visitor/session',
    summary: 'Start or resume a visitor session: a visitor token',
    tag: 'Visitors',
    callers: ['public'],
    key: null,
    body: VisitorSessionRequest,
    status: 200,
    response: VisitorSessionResponse,
    errors: ['IDENTITY_INVALID', 'IDENTITY_EXPIRED', 'NOT_FOUND', 'FORBIDDEN'],
  },
  {
    method: 'GET',
    path: '/api/v1/visitor/unread',
    summary: 'How many agent messages the visitor has not read',
    tag: 'Visitors',
    callers: visitors,
    key: null,
    status: 200,
    response: UnreadResponse,
    errors: auth,
  },
  {
    method: 'GET',
    path: '/api/v1/visitor/conversations',
    summary: 'The visitor’s conversations',
    tag: 'Visitors',
    callers: visitors,
    key: null,
    status: 200,
    response: VisitorConversationListResponse,
    errors: auth,
  },
  {
    method: 'POST',
    path: '/api/v1/visitor/messages',
    summary: 'The visitor sends a message (starts a conversation when none is open)',
    tag: 'Visitors',
    callers: visitors,
    key: null,
    body: SendMessageRequest,
    status: 201,
    errors: [...auth, 'CONVERSATION_ENDED', 'INVALID_STATE'],
  },
  {
    method: 'POST',
    path: '/api/v1/visitor/leave-message',
    summary: 'The visitor leaves a message and a way to be answered',
    tag: 'Visitors',
    callers: visitors,
    key: null,
    body: LeaveMessageRequest,
    status: 201,
    errors: [...auth, 'INVALID_STATE'],
  },
  {
    method: 'POST',
    path: '/api/v1/visitor/conversations/:id/transcript',
    summary: 'Mail the visitor a conversation’s transcript',
    tag: 'Visitors',
    callers: visitors,
    key: null,
    params: IdParams,
    body: TranscriptRequest,
    status: 202,
    response: TranscriptResponse,
    errors: [...found, 'MAIL_NOT_CONFIGURED', 'TOO_MANY_TRANSCRIPTS'],
  },
  // ---- privacy: a visitor's data
  {
    method: 'GET',
    path: '/api/v1/visitors',
    summary: 'Find visitors by id, the host app’s user id or email',
    tag: 'Privacy',
    callers: admins,
    key: 'admin',
    query: VisitorSearchQuery,
    status: 200,
    response: VisitorSearchResponse,
    errors: auth,
  },
  {
    method: 'GET',
    path: '/api/v1/visitors/:id/export',
    summary: 'Everything held about a visitor, as a zip (visitor.json and the files)',
    tag: 'Privacy',
    callers: admins,
    key: 'admin',
    params: IdParams,
    status: 200,
    produces: 'application/zip',
    errors: found,
  },
  {
    method: 'POST',
    path: '/api/v1/visitors/:id/erase',
    summary: 'Erase a visitor: messages redacted, files deleted, identity forgotten',
    tag: 'Privacy',
    callers: admins,
    key: 'admin',
    params: IdParams,
    body: EraseVisitorRequest,
    status: 200,
    response: EraseVisitorResponse,
    errors: [...found, 'CONFIRMATION_MISMATCH'],
  },
];

/** `METHOD path` of a route, as the catalogue and the server's router name it. */
export const routeKey = (method: string, path: string): string => `${method.toUpperCase()} ${path}`;

const byKey = new Map(apiRoutes.map((route) => [routeKey(route.method, route.path), route]));

/** The catalogue's entry for a matched route (HEAD reads as GET), or undefined. */
export function findApiRoute(method: string, path: string): ApiRoute | undefined {
  const m = method.toUpperCase() === 'HEAD' ? 'GET' : method;
  return byKey.get(routeKey(m, path));
}
