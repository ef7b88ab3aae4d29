/**
 * The visitor page's one door to the server: REST calls, uploads with progress, and the
 * Socket.IO connection. Components and the chat store never call fetch or emit directly.
 */
import { io, type Socket } from 'socket.io-client';
import type {
  AckError,
  ClientEvent as ClientEventName,
  ServerEvent as ServerEventName,
  ConversationReadPayload,
  Message,
  MessageCreatedPayload,
  MessagePage,
  QueuePositionPayload,
  TypingPayload,
  UploadResponse,
  VisitorConversation,
  VisitorSessionResponse,
} from '@servicesystem/protocol';

// The protocol's event names, checked against its types; imported as types only so the page does
// not carry the protocol's zod schemas (the server validates every payload anyway).
const ServerEvent = {
  MessageCreated: 'message.created',
  ConversationUpdated: 'conversation.updated',
  ConversationRead: 'conversation.read',
  Typing: 'typing',
  QueuePosition: 'queue.position',
} as const satisfies Record<string, ServerEventName>;
const ClientEvent = {
  SendMessage: 'message.send',
  ListMessages: 'messages.list',
  MarkRead: 'conversation.read',
  Typing: 'typing',
} as const satisfies Record<string, ClientEventName>;

/** The answer of POST /api/v1/visitor/session, as the protocol package defines it. */
export type VisitorSession = VisitorSessionResponse;

/** An error the server answered (`code` from the protocol) or a network failure (`NETWORK`). */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 0,
    /** RATE_LIMITED: seconds to wait before sending again. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
  /** Worth retrying later with the same clientMsgId: the request may not have arrived. */
  get transient(): boolean {
    return (
      this.code === 'NETWORK' ||
      this.code === 'TIMEOUT' ||
      this.code === 'SERVICE_UNAVAILABLE' ||
      this.code === 'STORAGE_UNAVAILABLE'
    );
  }
}

async function rest<T>(
  method: string,
  path: string,
  options: { token?: string; body?: unknown } = {},
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: {
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      },
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      credentials: 'omit',
    });
  } catch {
    throw new ApiError('NETWORK', 'network error');
  }
  const text = await response.text();
  const data = text ? (JSON.parse(text) as unknown) : {};
  if (!response.ok) {
    const error = (data as { error?: { code?: string; message?: string } }).error;
    throw new ApiError(
      error?.code ?? 'INTERNAL',
      error?.message ?? response.statusText,
      response.status,
    );
  }
  return data as T;
}

export function createSession(
  channelId: string,
  identity?: string,
  previousToken?: string,
): Promise<VisitorSession> {
  return rest<VisitorSession>('POST', '/api/v1/visitor/session', {
    token: previousToken,
    body: identity ? { channelId, identity } : { channelId },
  });
}

export async function listConversations(token: string): Promise<VisitorConversation[]> {
  const answer = await rest<{ conversations: VisitorConversation[] }>(
    'GET',
    '/api/v1/visitor/conversations',
    { token },
  );
  return answer.conversations;
}

export function listMessages(
  token: string,
  conversationId: string,
  page: { before?: number; after?: number; limit?: number } = {},
): Promise<MessagePage> {
  const query = new URLSearchParams();
  if (page.before !== undefined) query.set('before', String(page.before));
  if (page.after !== undefined) query.set('after', String(page.after));
  query.set('limit', String(page.limit ?? 30));
  return rest<MessagePage>(
    'GET',
    `/api/v1/conversations/${encodeURIComponent(conversationId)}/messages?${query.toString()}`,
    { token },
  );
}

/** POST /api/v1/uploads with progress (0..1); XMLHttpRequest because fetch has no upload progress. */
export function uploadFile(
  token: string,
  file: Blob,
  name: string,
  onProgress: (fraction: number) => void,
): Promise<UploadResponse['file']> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1/uploads');
    xhr.setRequestHeader('authorization', `Bearer ${token}`);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    xhr.onerror = () => reject(new ApiError('NETWORK', 'network error'));
    xhr.ontimeout = () => reject(new ApiError('TIMEOUT', 'timeout'));
    xhr.onload = () => {
      let data: unknown = {};
      try {
        data = JSON.parse(xhr.responseText) as unknown;
      } catch {
        // not JSON: a proxy's error page
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve((data as UploadResponse).file);
      } else {
        const error = (data as { error?: { code?: string; message?: string } }).error;
        reject(
          new ApiError(error?.code ?? 'INTERNAL', error?.message ?? 'upload failed', xhr.status),
        );
      }
    };
    const form = new FormData();
    form.append('file', file, name);
    xhr.send(form);
  });
}

export type SendInput =
  | { clientMsgId: string; type: 'text'; body: string }
  | { clientMsgId: string; type: 'image' | 'video'; fileId: string; body?: string };

export interface VisitorSocketEvents {
  onConnect(firstTime: boolean): void;
  onDisconnect(): void;
  onAuthFailed(): void;
  onMessage(payload: MessageCreatedPayload): void;
  onConversation(conversation: VisitorConversation): void;
  onRead(payload: ConversationReadPayload): void;
  onTyping(payload: TypingPayload): void;
  onQueuePosition(payload: QueuePositionPayload): void;
}

type Ack<T> = ({ ok: true } & T) | AckError;

/** How long to wait before connecting again after the server refused for a passing reason. */
const retryRefusedMs = 3000;

/** The visitor's live connection. */
export class VisitorSocket {
  private readonly socket: Socket;
  private connectedBefore = false;
  private closed = false;

  constructor(token: string, events: VisitorSocketEvents) {
    this.socket = io({ path: '/socket.io', auth: { token }, transports: ['websocket'] });
    this.socket.on('connect', () => {
      events.onConnect(!this.connectedBefore);
      this.connectedBefore = true;
    });
    this.socket.on('disconnect', () => events.onDisconnect());
    this.socket.on('connect_error', (error: Error & { data?: { code?: string } }) => {
      if (error.data?.code === 'UNAUTHENTICATED') return events.onAuthFailed();
      // Refused for another reason (the server could not check the token just now): the client
      // does not retry that by itself; network failures it does retry (it stays active).
      if (!this.socket.active) this.retryLater();
    });
    this.socket.on(ServerEvent.MessageCreated, (p: MessageCreatedPayload) => events.onMessage(p));
    this.socket.on(ServerEvent.ConversationUpdated, (p: { conversation: VisitorConversation }) =>
      events.onConversation(p.conversation),
    );
    this.socket.on(ServerEvent.ConversationRead, (p: ConversationReadPayload) => events.onRead(p));
    this.socket.on(ServerEvent.Typing, (p: TypingPayload) => events.onTyping(p));
    this.socket.on(ServerEvent.QueuePosition, (p: QueuePositionPayload) =>
      events.onQueuePosition(p),
    );
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  private async call<T>(event: string, payload: unknown, timeoutMs = 15_000): Promise<T> {
    if (!this.socket.connected) throw new ApiError('NETWORK', 'not connected');
    let answer: Ack<T>;
    try {
      answer = (await this.socket.timeout(timeoutMs).emitWithAck(event, payload)) as Ack<T>;
    } catch {
      throw new ApiError('TIMEOUT', 'no answer');
    }
    if (!answer.ok) {
      const { code, message, retryAfterSeconds } = answer.error;
      throw new ApiError(code, message, 0, retryAfterSeconds);
    }
    return answer;
  }

  send(input: SendInput): Promise<{ message: Message; conversation: VisitorConversation }> {
    return this.call(ClientEvent.SendMessage, input);
  }

  listMessages(
    conversationId: string,
    page: { before?: number; after?: number; limit?: number },
  ): Promise<MessagePage> {
    return this.call(ClientEvent.ListMessages, { conversationId, ...page });
  }

  markRead(conversationId: string, seq: number): Promise<{ seq: number }> {
    return this.call(ClientEvent.MarkRead, { conversationId, seq });
  }

  typing(conversationId: string, isTyping: boolean): void {
    if (this.socket.connected)
      this.socket.emit(ClientEvent.Typing, { conversationId, isTyping }, () => {});
  }

  private retryLater(): void {
    setTimeout(() => {
      if (!this.closed && !this.socket.connected) this.socket.connect();
    }, retryRefusedMs);
  }

  close(): void {
    this.closed = true;
    this.socket.removeAllListeners();
    this.socket.disconnect();
  }
}
