import { io, type Socket } from 'socket.io-client';
import type {
  Ack,
  AgentPresence,
  AgentStatus,
  Conversation,
  ConversationReadPayload,
  Message,
  MessageCreatedPayload,
  SocketListConversations,
  SocketSendMessage,
  TypingPayload,
} from '@servicesystem/protocol';
import { ApiError } from './http';

/** Server → client events the console listens to (names from the protocol's ServerEvent). */
export interface ConsoleEvents {
  'message.created': (p: MessageCreatedPayload & { conversation: Conversation }) => void;
  'conversation.updated': (p: { conversation: Conversation }) => void;
  'conversation.read': (p: ConversationReadPayload) => void;
  typing: (p: TypingPayload) => void;
  'agent.status': (p: AgentPresence) => void;
}

export interface ConnectionHooks {
  onConnect(first: boolean): void;
  onDisconnect(reason?: string): void;
  /** The session ended (logout elsewhere, disabled, password reset): sign in again. */
  onUnauthenticated(): void;
}

let socket: Socket | null = null;
/** How long to wait before connecting again after the server refused for a passing reason. */
const retryRefusedMs = 3000;
let connectedOnce = false;

/** Opens the console socket; the session cookie authenticates it on this origin. */
export function connect(hooks: ConnectionHooks): Socket {
  disconnect();
  connectedOnce = false;
  const s = io({ path: '/socket.io', withCredentials: true, transports: ['websocket', 'polling'] });
  s.on('connect', () => {
    hooks.onConnect(!connectedOnce);
    connectedOnce = true;
  });
  s.on('disconnect', (reason) => hooks.onDisconnect(reason));
  s.on('connect_error', (err: Error & { data?: { code?: string } }) => {
    hooks.onDisconnect();
    if (err.data?.code === 'UNAUTHENTICATED') return hooks.onUnauthenticated();
    // Refused for another reason (the server could not check the session just now): the client
    // does not retry that by itself; network failures it does retry (it stays active).
    if (!s.active) {
      setTimeout(() => {
        if (socket === s && !s.connected) s.connect();
      }, retryRefusedMs);
    }
  });
  socket = s;
  return s;
}

export function disconnect(): void {
  socket?.removeAllListeners();
  socket?.disconnect();
  socket = null;
}

/** Drops the connection now (the browser went offline); `resume` reconnects. */
export function suspend(): void {
  socket?.disconnect();
}
export function resume(): void {
  if (socket && !socket.connected) socket.connect();
}

export function on<E extends keyof ConsoleEvents>(event: E, handler: ConsoleEvents[E]): void {
  socket?.on(event, handler as never);
}

export function isConnected(): boolean {
  return socket?.connected ?? false;
}

function emit<T extends object>(event: string, payload: unknown, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const s = socket;
    if (!s || !s.connected) {
      reject(new ApiError('OFFLINE', 'not connected'));
      return;
    }
    s.timeout(timeoutMs).emit(event, payload, (err: Error | null, ack: Ack<T>) => {
      if (err) reject(new ApiError('TIMEOUT', 'no answer'));
      else if (ack.ok) resolve(ack);
      else reject(new ApiError(ack.error.code, ack.error.message));
    });
  });
}

export const live = {
  send: (p: SocketSendMessage) =>
    emit<{ message: Message; conversation: Conversation }>('message.send', p),
  list: (p: { conversationId: string; before?: number; after?: number; limit?: number }) =>
    emit<{ messages: Message[]; hasMore: boolean }>('messages.list', p),
  read: (conversationId: string, seq: number) =>
    emit<{ seq: number }>('conversation.read', { conversationId, seq }),
  typing: (conversationId: string, isTyping: boolean) =>
    emit<object>('typing', { conversationId, isTyping }),
  setStatus: (status: AgentStatus) =>
    emit<{ agent: AgentPresence }>('agent.status.set', { status }),
  conversations: (p: SocketListConversations) =>
    emit<{ conversations: Conversation[]; agents: AgentPresence[] }>('conversations.list', p),
  end: (conversationId: string) =>
    emit<{ conversation: Conversation }>('conversation.end', { conversationId }),
  transfer: (conversationId: string, agentId: string) =>
    emit<{ conversation: Conversation }>('conversation.transfer', { conversationId, agentId }),
  assign: (conversationId: string, agentId: string) =>
    emit<{ conversation: Conversation }>('conversation.assign', { conversationId, agentId }),
};
