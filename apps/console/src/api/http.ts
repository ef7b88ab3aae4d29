import type {
  Account,
  AgentPresence,
  AuditAction,
  AuditListResponse,
  Channel,
  Conversation,
  CreateAgentRequest,
  CreateChannelRequest,
  DashboardStats,
  FileInfo,
  Message,
  UpdateAgentRequest,
  UpdateChannelRequest,
  AgentStatus,
} from '@servicesystem/protocol';

/** An error answered by the server (`{error: {code, message}}`) or by the network. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 0,
  ) {
    super(message);
  }
}

const base = '/api/v1';

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(base + path, {
      method,
      credentials: 'same-origin',
      headers: body !== undefined ? { 'content-type': 'application/json' } : {},
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
  } catch {
    throw new ApiError('NETWORK', 'network error');
  }
  if (response.status === 204) return undefined as T;
  const data = (await response.json().catch(() => null)) as
    (T & { error?: { code: string; message: string } }) | null;
  if (!response.ok) {
    throw new ApiError(
      data?.error?.code ?? 'HTTP_' + response.status,
      data?.error?.message ?? response.statusText,
      response.status,
    );
  }
  return data as T;
}

function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? '?' + s : '';
}

export interface ConversationQuery {
  state?: 'queued' | 'active' | 'ended';
  agentId?: string;
  channelId?: string;
  visitorId?: string;
  q?: string;
  before?: number;
  limit?: number;
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

  stats: (tz: string) => request<DashboardStats>('GET', '/stats' + query({ tz })),
  audit: (q: AuditQuery) => request<AuditListResponse>('GET', '/audit' + query({ ...q })),
};

export interface UploadHandle {
  promise: Promise<FileInfo>;
  cancel(): void;
}

/** POST /api/v1/uploads with XMLHttpRequest so the caller sees upload progress (0..1). */
export function upload(file: File, onProgress: (fraction: number) => void): UploadHandle {
  const xhr = new XMLHttpRequest();
  const promise = new Promise<FileInfo>((resolve, reject) => {
    xhr.open('POST', base + '/uploads');
    xhr.withCredentials = true;
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      type Answer = { file?: FileInfo; error?: { code: string; message: string } };
      const data = ((): Answer | null => {
        try {
          return JSON.parse(xhr.responseText) as Answer;
        } catch {
          return null;
        }
      })();
      if (xhr.status >= 200 && xhr.status < 300 && data?.file) resolve(data.file);
      else
        reject(
          new ApiError(
            data?.error?.code ?? 'HTTP_' + xhr.status,
            data?.error?.message ?? 'upload failed',
            xhr.status,
          ),
        );
    };
    xhr.onerror = () => reject(new ApiError('NETWORK', 'network error'));
    xhr.onabort = () => reject(new ApiError('CANCELLED', 'cancelled'));
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
  return { promise, cancel: () => xhr.abort() };
}
