import { io, type Socket } from 'socket.io-client';
import { ApiError, callWithAck, type MessageCreated } from '@servicesystem/chat-client';
import {
  ClientEvent,
  type ServerEvent,
  type AgentPresence,
  type AgentStatus,
  type Conversation,
  type ConversationReadPayload,
  type Message,
  type MessagePage,
  type Note,
  type NoteCreatedPayload,
  type SocketListConversations,
  type SocketListMessages,
  type SocketSendMessage,
  type TypingPayload,
  type Label,
  type QueueCountPayload,
  type VisitorUpdatedPayload,
  type RobotStreamPayload,
} from '@servicesystem/protocol/wire';

/** Server → client events the console listens to. */
export interface ConsoleEvents {
  [ServerEvent.MessageCreated]: (p: MessageCreated<Conversation>) => void;
  [ServerEvent.ConversationUpdated]: (p: { conversation: Conversation }) => void;
  [ServerEvent.ConversationRead]: (p: ConversationReadPayload) => void;
  [ServerEvent.Typing]: (p: TypingPayload) => void;
  [ServerEvent.AgentStatus]: (p: AgentPresence) => void;
  [ServerEvent.NoteCreated]: (p: NoteCreatedPayload) => void;
  [ServerEvent.QueueCount]: (p: QueueCountPayload) => void;
  [ServerEvent.LabelsChanged]: (p: { labels: Label[] }) => void;
  [ServerEvent.VisitorUpdated]: (p: VisitorUpdatedPayload) => void;
  [ServerEvent.RobotStream]: (p: RobotStreamPayload) => void;
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

/** Emits a client event and waits for its acknowledgement; rejects with an ApiError. */
function emit<T extends object>(event: ClientEvent, payload: unknown): Promise<T> {
  return socket
    ? callWithAck<T>(socket, event, payload)
    : Promise.reject(new ApiError('NETWORK', 'not connected'));
}

export const live = {
  send: (p: SocketSendMessage) =>
    emit<{ message: Message; conversation: Conversation }>(ClientEvent.SendMessage, p),
  list: (p: SocketListMessages) => emit<MessagePage>(ClientEvent.ListMessages, p),
  read: (conversationId: string, seq: number) =>
    emit<{ seq: number }>(ClientEvent.MarkRead, { conversationId, seq }),
  typing: (conversationId: string, isTyping: boolean) =>
    emit<object>(ClientEvent.Typing, { conversationId, isTyping }),
  setStatus: (status: AgentStatus) =>
    emit<{ agent: AgentPresence }>(ClientEvent.SetStatus, { status }),
  conversations: (p: SocketListConversations) =>
    emit<{ conversations: Conversation[]; agents: AgentPresence[] }>(
      ClientEvent.ListConversations,
      p,
    ),
  end: (conversationId: string) =>
    emit<{ conversation: Conversation }>(ClientEvent.EndConversation, { conversationId }),
  transfer: (conversationId: string, agentId: string) =>
    emit<{ conversation: Conversation }>(ClientEvent.TransferConversation, {
      conversationId,
      agentId,
    }),
  assign: (conversationId: string, agentId: string) =>
    emit<{ conversation: Conversation }>(ClientEvent.AssignConversation, {
      conversationId,
      agentId,
    }),
  note: (conversationId: string, clientNoteId: string, body: string) =>
    emit<{ note: Note }>(ClientEvent.CreateNote, { conversationId, clientNoteId, body }),
};
