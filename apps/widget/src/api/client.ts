/**
 * The visitor page's one door to the server: REST calls, uploads with progress, and the
 * Socket.IO connection. Components and the chat store never call fetch or emit directly.
 */
import { io, type Socket } from 'socket.io-client';
import {
  ApiError,
  callWithAck,
  uploadFile,
  type MessageCreated,
  type UploadHandle,
} from '@servicesystem/chat-client';
import {
  ClientEvent,
  ServerEvent,
  type ConversationReadPayload,
  type Message,
  type MessagePage,
  type QueuePositionPayload,
  type RobotStreamPayload,
  type SocketSendMessage,
  type TypingPayload,
  type VisitorContextReport,
  type VisitorConversation,
} from '@servicesystem/protocol/wire';

export {
  createSession,
  listConversations,
  listMessages,
  rateConversation,
  emailTranscript,
  leaveMessage,
  type VisitorSession,
} from './rest';

/** POST /api/v1/uploads with progress (0..1). */
export function upload(
  token: string,
  file: Blob,
  name: string,
  onProgress: (fraction: number) => void,
): UploadHandle {
  return uploadFile({ url: '/api/v1/uploads', file, name, token, onProgress });
}

export interface VisitorSocketEvents {
  onConnect(firstTime: boolean): void;
  onDisconnect(): void;
  onAuthFailed(): void;
  onMessage(payload: MessageCreated<VisitorConversation>): void;
  onConversation(conversation: VisitorConversation): void;
  onRead(payload: ConversationReadPayload): void;
  onTyping(payload: TypingPayload): void;
  onQueuePosition(payload: QueuePositionPayload): void;
  /** The robot's answer while a language model writes it. */
  onRobotStream(payload: RobotStreamPayload): void;
}

/** How long to wait before connecting again after the server refused for a passing reason. */
const retryRefusedMs = 3000;
/** How long a socket call waits for its acknowledgement. */
const ackTimeoutMs = 15_000;

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
    this.socket.on('disconnect', (reason) => {
      events.onDisconnect();
      // The server sent us away (a node stopping, an older server draining): socket.io-client
      // never comes back from that by itself, so come back later; a token that no longer works
      // is refused at once and starts a new session (onAuthFailed).
      if (reason === 'io server disconnect') this.retryLater();
    });
    this.socket.on('connect_error', (error: Error & { data?: { code?: string } }) => {
      if (error.data?.code === 'UNAUTHENTICATED') return events.onAuthFailed();
      // Refused for another reason (the server could not check the token just now): the client
      // does not retry that by itself; network failures it does retry (it stays active).
      if (!this.socket.active) this.retryLater();
    });
    this.socket.on(ServerEvent.MessageCreated, (p: MessageCreated<VisitorConversation>) =>
      events.onMessage(p),
    );
    this.socket.on(ServerEvent.ConversationUpdated, (p: { conversation: VisitorConversation }) =>
      events.onConversation(p.conversation),
    );
    this.socket.on(ServerEvent.ConversationRead, (p: ConversationReadPayload) => events.onRead(p));
    this.socket.on(ServerEvent.Typing, (p: TypingPayload) => events.onTyping(p));
    this.socket.on(ServerEvent.QueuePosition, (p: QueuePositionPayload) =>
      events.onQueuePosition(p),
    );
    this.socket.on(ServerEvent.RobotStream, (p: RobotStreamPayload) => events.onRobotStream(p));
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  send(input: SocketSendMessage): Promise<{ message: Message; conversation: VisitorConversation }> {
    return callWithAck(this.socket, ClientEvent.SendMessage, input, ackTimeoutMs);
  }

  listMessages(
    conversationId: string,
    page: { before?: number; after?: number; limit?: number },
  ): Promise<MessagePage> {
    return callWithAck(
      this.socket,
      ClientEvent.ListMessages,
      { conversationId, ...page },
      ackTimeoutMs,
    );
  }

  markRead(conversationId: string, seq: number): Promise<{ seq: number }> {
    return callWithAck(this.socket, ClientEvent.MarkRead, { conversationId, seq }, ackTimeoutMs);
  }

  typing(conversationId: string, isTyping: boolean): void {
    if (this.socket.connected)
      this.socket.emit(ClientEvent.Typing, { conversationId, isTyping }, () => {});
  }

  /**
   * Where the visitor is (the server keeps it for the agents). A report the server refused
   * resolves too: sending it again would not help. Rejects when it may be worth another try
   * (no answer, or too many events just now).
   */
  async reportContext(report: VisitorContextReport): Promise<void> {
    try {
      await callWithAck(this.socket, ClientEvent.ReportContext, report, ackTimeoutMs);
    } catch (error) {
      if (!(error instanceof ApiError) || error.code !== 'VALIDATION_FAILED') throw error;
    }
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
