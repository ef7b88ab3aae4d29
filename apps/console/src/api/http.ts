import {
  createHttpClient,
  queryString as query,
  uploadFile,
  type UploadHandle,
} from '@servicesystem/chat-client';
import type {
  Account,
  AgentPresence,
  AuditAction,
  AuditListResponse,
  Channel,
  Conversation,
  ConversationCounts,
  ConversationView,
  CreateAgentRequest,
  CreateLabelRequest,
  Label,
  UpdateLabelRequest,
  CreateChannelRequest,
  CreateSavedReplyRequest,
  DashboardStats,
  Report,
  Message,
  Note,
  SearchResponse,
  SavedReply,
  SetupStatus,
  UpdateAgentRequest,
  UpdateChannelRequest,
  UpdateSavedReplyRequest,
  AgentStatus,
  VisitorContextResponse,
  VisitorSearchResponse,
  EraseVisitorResponse,
  ApiKey,
  CreateApiKeyRequest,
  UpdateApiKeyRequest,
  CreateWebhookRequest,
  UpdateWebhookRequest,
  Webhook,
  WebhookDelivery,
  WebhookDeliveryListResponse,
  WebhookDeliveryState,
  CreateFaqEntryRequest,
  FaqEntryResponse,
  FaqListResponse,
  RobotStatusResponse,
  SuggestReplyResponse,
  TryRobotResponse,
  UpdateFaqEntryRequest,
} from '@servicesystem/protocol';

/** The console's REST client: the session cookie authenticates it on this origin. */
const http = createHttpClient({ baseUrl: '/api/v1', credentials: 'same-origin' });

function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  return http.request<T>(method, path, body !== undefined ? { body } : {});
}

export interface ConversationQuery {
  state?: 'queued' | 'active' | 'ended' | 'robot';
  agentId?: string;
  channelId?: string;
  visitorId?: string;
  q?: string;
  view?: ConversationView;
  label?: string;
  before?: number;
  limit?: number;
}

/** GET /api/v1/reports' query (the protocol's ReportQuery). */
export interface ReportParams {
  from: string;
  to: string;
  agentId?: string;
  channelId?: string;
  rows?: 'all' | 'none';
}

/** Where the report's CSV downloads from: a plain link, the session cookie authenticates it. */
export function reportCsvUrl(q: ReportParams): string {
  return '/api/v1/reports.csv' + query({ ...q });
}

/** Where a visitor's export downloads from: a plain link, the session cookie authenticates it. */
export function visitorExportUrl(id: string): string {
  return `/api/v1/visitors/${encodeURIComponent(id)}/export`;
}

/** GET /api/v1/audit's query (the protocol's AuditListQuery, as the console sends it). */
export interface AuditQuery {
  before?: string;
  limit?: number;
  action?: AuditAction;
  actorId?: string;
  targetId?: string;
}

export const api = {
  login: (username: string, password: string) =>
    request<{ token: string; account: Account }>('POST', '/auth/login', { username, password }),
  logout: () => request<void>('POST', '/auth/logout'),
  me: () => request<{ account: Account }>('GET', '/me'),
  setStatus: (status: AgentStatus) =>
    request<{ agent: AgentPresence }>('PUT', '/me/status', { status }),
  presence: () => request<{ agents: AgentPresence[] }>('GET', '/presence'),

  conversations: (q: ConversationQuery) =>
    request<{ conversations: Conversation[] }>('GET', '/conversations' + query({ ...q })),
  conversation: (id: string) =>
    request<{ conversation: Conversation }>('GET', `/conversations/${encodeURIComponent(id)}`),
  messages: (id: string, q: { before?: number; after?: number; limit?: number }) =>
    request<{ messages: Message[]; hasMore: boolean }>(
      'GET',
      `/conversations/${encodeURIComponent(id)}/messages` + query(q),
    ),
  search: (q: string) => request<SearchResponse>('GET', '/search' + query({ q })),
  visitorContext: (id: string) =>
    request<VisitorContextResponse>(
      'GET',
      `/conversations/${encodeURIComponent(id)}/visitor-context`,
    ),
  notes: (id: string) =>
    request<{ notes: Note[] }>('GET', `/conversations/${encodeURIComponent(id)}/notes`),
  counts: () => request<{ counts: ConversationCounts }>('GET', '/conversations/counts'),
  addLabel: (id: string, labelId: string) =>
    request<{ conversation: Conversation }>(
      'PUT',
      `/conversations/${encodeURIComponent(id)}/labels/${encodeURIComponent(labelId)}`,
    ),
  removeLabel: (id: string, labelId: string) =>
    request<{ conversation: Conversation }>(
      'DELETE',
      `/conversations/${encodeURIComponent(id)}/labels/${encodeURIComponent(labelId)}`,
    ),
  snooze: (id: string, until?: number) =>
    request<{ conversation: Conversation }>(
      'POST',
      `/conversations/${encodeURIComponent(id)}/snooze`,
      until === undefined ? {} : { until },
    ),
  unsnooze: (id: string) =>
    request<{ conversation: Conversation }>(
      'POST',
      `/conversations/${encodeURIComponent(id)}/unsnooze`,
    ),
  labels: () => request<{ labels: Label[] }>('GET', '/labels'),
  createLabel: (body: CreateLabelRequest) => request<{ label: Label }>('POST', '/labels', body),
  updateLabel: (id: string, body: UpdateLabelRequest) =>
    request<{ label: Label }>('PATCH', `/labels/${encodeURIComponent(id)}`, body),
  deleteLabel: (id: string) => request<void>('DELETE', `/labels/${encodeURIComponent(id)}`),
  assign: (id: string, agentId: string) =>
    request<{ conversation: Conversation }>(
      'POST',
      `/conversations/${encodeURIComponent(id)}/assign`,
      { agentId },
    ),

  agents: () => request<{ agents: Account[] }>('GET', '/agents'),
  createAgent: (body: CreateAgentRequest) =>
    request<{ agent: Account; password?: string }>('POST', '/agents', body),
  updateAgent: (id: string, body: UpdateAgentRequest) =>
    request<{ agent: Account }>('PATCH', `/agents/${encodeURIComponent(id)}`, body),
  resetPassword: (id: string) =>
    request<{ password: string }>('POST', `/agents/${encodeURIComponent(id)}/password`, {}),

  channels: () => request<{ channels: Channel[] }>('GET', '/channels'),
  createChannel: (body: CreateChannelRequest) =>
    request<{ channel: Channel }>('POST', '/channels', body),
  updateChannel: (id: string, body: UpdateChannelRequest) =>
    request<{ channel: Channel }>('PATCH', `/channels/${encodeURIComponent(id)}`, body),
  rotateSecret: (id: string) =>
    request<{ channel: Channel }>('POST', `/channels/${encodeURIComponent(id)}/rotate-secret`, {}),

  /** The robot's knowledge (admins): a channel's FAQ entries, and what the robot would say. */
  faq: (channelId: string) =>
    request<FaqListResponse>('GET', `/channels/${encodeURIComponent(channelId)}/faq`),
  createFaq: (channelId: string, body: CreateFaqEntryRequest) =>
    request<FaqEntryResponse>('POST', `/channels/${encodeURIComponent(channelId)}/faq`, body),
  updateFaq: (channelId: string, entryId: string, body: UpdateFaqEntryRequest) =>
    request<FaqEntryResponse>(
      'PATCH',
      `/channels/${encodeURIComponent(channelId)}/faq/${encodeURIComponent(entryId)}`,
      body,
    ),
  deleteFaq: (channelId: string, entryId: string) =>
    request<void>(
      'DELETE',
      `/channels/${encodeURIComponent(channelId)}/faq/${encodeURIComponent(entryId)}`,
    ),
  tryRobot: (channelId: string, text: string) =>
    request<TryRobotResponse>('POST', `/channels/${encodeURIComponent(channelId)}/faq/try`, {
      text,
    }),
  /** Whether a language model is configured (any console user). */
  robotStatus: () => request<RobotStatusResponse>('GET', '/robot'),
  /** A draft for the composer (the assigned agent); 404 NO_SUGGESTION, 503 MODEL_UNAVAILABLE. */
  suggestReply: (conversationId: string) =>
    request<SuggestReplyResponse>(
      'POST',
      `/conversations/${encodeURIComponent(conversationId)}/suggest-reply`,
      {},
    ),

  /** The first-run checklist's state (admins). */
  setup: () => request<SetupStatus>('GET', '/setup'),
  stats: (tz: string) => request<DashboardStats>('GET', '/stats' + query({ tz })),
  report: (q: ReportParams) => request<Report>('GET', '/reports' + query({ ...q })),
  audit: (q: AuditQuery) => request<AuditListResponse>('GET', '/audit' + query({ ...q })),
  /** Privacy (admins): find a visitor, erase one (the export is a plain link). */
  findVisitors: (text: string) =>
    request<VisitorSearchResponse>('GET', '/visitors' + query({ query: text })),
  eraseVisitor: (id: string) =>
    request<EraseVisitorResponse>('POST', `/visitors/${encodeURIComponent(id)}/erase`, {
      confirm: id,
    }),

  savedReplies: () => request<{ savedReplies: SavedReply[] }>('GET', '/saved-replies'),
  createSavedReply: (body: CreateSavedReplyRequest) =>
    request<{ savedReply: SavedReply }>('POST', '/saved-replies', body),
  updateSavedReply: (id: string, body: UpdateSavedReplyRequest) =>
    request<{ savedReply: SavedReply }>('PATCH', `/saved-replies/${encodeURIComponent(id)}`, body),
  deleteSavedReply: (id: string) =>
    request<void>('DELETE', `/saved-replies/${encodeURIComponent(id)}`),
  apiKeys: () => request<{ apiKeys: ApiKey[] }>('GET', '/api-keys'),
  createApiKey: (body: CreateApiKeyRequest) =>
    request<{ apiKey: ApiKey; token: string }>('POST', '/api-keys', body),
  updateApiKey: (id: string, body: UpdateApiKeyRequest) =>
    request<{ apiKey: ApiKey }>('PATCH', `/api-keys/${encodeURIComponent(id)}`, body),
  revokeApiKey: (id: string) =>
    request<{ apiKey: ApiKey }>('DELETE', `/api-keys/${encodeURIComponent(id)}`),

  webhooks: () => request<{ webhooks: Webhook[] }>('GET', '/webhooks'),
  createWebhook: (body: CreateWebhookRequest) =>
    request<{ webhook: Webhook }>('POST', '/webhooks', body),
  updateWebhook: (id: string, body: UpdateWebhookRequest) =>
    request<{ webhook: Webhook }>('PATCH', `/webhooks/${encodeURIComponent(id)}`, body),
  rotateWebhookSecret: (id: string) =>
    request<{ webhook: Webhook }>('POST', `/webhooks/${encodeURIComponent(id)}/rotate-secret`, {}),
  deleteWebhook: (id: string) => request<void>('DELETE', `/webhooks/${encodeURIComponent(id)}`),
  webhookDeliveries: (
    id: string,
    q: { before?: string; limit?: number; state?: WebhookDeliveryState },
  ) =>
    request<WebhookDeliveryListResponse>(
      'GET',
      `/webhooks/${encodeURIComponent(id)}/deliveries` + query({ ...q }),
    ),
  retryWebhookDelivery: (id: string, deliveryId: string) =>
    request<{ delivery: WebhookDelivery }>(
      'POST',
      `/webhooks/${encodeURIComponent(id)}/deliveries/${encodeURIComponent(deliveryId)}/retry`,
      {},
    ),
  testWebhook: (id: string) =>
    request<{ delivery: WebhookDelivery }>('POST', `/webhooks/${encodeURIComponent(id)}/test`, {}),
};

export type { UploadHandle };

/** POST /api/v1/uploads, reporting progress (0..1); `cancel()` aborts it. */
export function upload(
  file: Blob,
  onProgress: (fraction: number) => void,
  name = file instanceof File ? file.name : 'file',
): UploadHandle {
  return uploadFile({ url: '/api/v1/uploads', file, name, onProgress });
}
