import type { Socket } from 'socket.io-client';
import { expect } from 'vitest';
import { z } from 'zod';
import {
  AckError,
  Conversation,
  ConversationResponse,
  ErrorBody,
  Message,
  MessagePage,
  ServerEvent,
  VisitorConversation,
  type SocketSendMessage,
} from '@servicesystem/protocol';
import { serverEventPayloads, type PayloadOf } from './eventPayloads.js';
import type { AppOptions } from '../../src/app.js';
import type { TestDatabase } from './testDatabase.js';
import type { Answer, RequestOptions } from './testApp.js';
import { newClientMsgId, request, startLiveApp, type LiveApp } from './liveApp.js';

/**
 * One shared test world for engine tests: a started app (real HTTP, real Socket.IO) with its
 * admin, a way to make named agents and visitors, and the steps tests repeat: a visitor starts a
 * conversation and an online agent takes it, an agent replies, a fence that proves nothing more
 * is on its way to a socket, and waiting for an event with its payload checked and typed.
 *
 * Payloads are checked against the protocol schemas without being reshaped (`typed`): a test
 * that then checks a strict shape still sees every field the server sent.
 */

// ---- typed payloads

export { serverEventPayloads, type PayloadOf };

/** Checks `value` against `schema` and answers it as it was (unknown keys kept), typed. */
export function typed<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new Error(`not a valid payload: ${result.error.message}\n${JSON.stringify(value)}`);
  }
  return value as z.infer<S>;
}

/** A REST answer's body, checked against `schema`. */
export const bodyOf = <S extends z.ZodType>(answer: Answer<unknown>, schema: S): z.infer<S> =>
  typed(schema, answer.body);

/** A REST error answer's `error`. */
export const errorOf = (answer: Answer<unknown>) => bodyOf(answer, ErrorBody).error;

/**
 * Resolves with the next `event` on `socket` whose payload satisfies `match`, checked against
 * the event's schema (a payload that does not fit rejects at once).
 */
export function waitFor<E extends ServerEvent>(
  socket: Socket,
  event: E,
  match: (payload: PayloadOf<E>) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<PayloadOf<E>> {
  const schema: z.ZodType = serverEventPayloads[event];
  const name: string = event;
  return new Promise((resolve, reject) => {
    const stop = () => {
      clearTimeout(timer);
      socket.off(name, listener);
    };
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (payload: unknown) => {
      const parsed = schema.safeParse(payload);
      if (!parsed.success) {
        stop();
        reject(new Error(`${event} does not fit its schema: ${parsed.error.message}`));
      } else if (match(payload as PayloadOf<E>)) {
        stop();
        resolve(payload as PayloadOf<E>);
      }
    };
    socket.on(name, listener);
  });
}

/** What `message.send` (and a POST of a message) answers: the stored message and its conversation. */
export const SentMessage = z.object({
  message: Message,
  conversation: z.union([Conversation, VisitorConversation]),
});
export type SentMessage = z.infer<typeof SentMessage>;
export const SendAck = z.union([SentMessage.extend({ ok: z.literal(true) }), AckError]);
export type SendAck = z.infer<typeof SendAck>;

/** A text message to send, with a fresh client id unless given. */
export const text = (body: string, clientMsgId = newClientMsgId()) => ({
  clientMsgId,
  type: 'text' as const,
  body,
});

/** `message.send` on a socket, its acknowledgement checked: a success or an `AckError`. */
export async function send(socket: Socket, payload: SocketSendMessage): Promise<SendAck> {
  return typed(SendAck, await request<unknown>(socket, 'message.send', payload));
}

/** An acknowledgement that must be a success (`ok: true`), narrowed to it. */
export function okAck(ack: SendAck): SentMessage & { ok: true } {
  expect(ack.ok, JSON.stringify(ack)).toBe(true);
  if (!ack.ok) throw new Error('unreachable: checked above');
  return ack;
}

/** `message.send` that must succeed: its acknowledgement, `ok: true`. */
export async function sendOk(
  socket: Socket,
  payload: SocketSendMessage,
): Promise<SentMessage & { ok: true }> {
  return okAck(await send(socket, payload));
}

/** Any other client → server event with an acknowledgement; the answer is left to the test. */
export const ask = (socket: Socket, event: string, payload?: unknown): Promise<unknown> =>
  request<unknown>(socket, event, payload);

/** Checks that an acknowledgement refused with `code`, in words for a person. */
export function ackFailure(ack: unknown, code: string): AckError {
  const failure = AckError.parse(ack);
  expect(failure.error.code).toBe(code);
  expect(failure.error.message.length).toBeGreaterThan(0);
  return failure;
}

// ---- the world

export interface WorldAgent {
  id: string;
  token: string;
  username: string;
  password: string;
  displayName: string;
}

export interface WorldVisitor {
  id: string;
  token: string;
  name: string;
}

/** A conversation a visitor started and an agent serves, both connected. */
export interface ServedConversation {
  id: string;
  agent: WorldAgent;
  visitor: WorldVisitor;
  agentSocket: Socket;
  visitorSocket: Socket;
}

export interface World {
  /** The app itself, for what the world has no helper for. */
  app: LiveApp;
  adminToken: string;
  /** A REST call; the body is unknown until checked (`bodyOf`, `errorOf`). */
  request(method: string, url: string, options?: RequestOptions): Promise<Answer<unknown>>;
  /** A new agent, named `displayName` when given; offline unless `status` says otherwise. */
  agent(options?: {
    displayName?: string;
    username?: string;
    status?: 'online' | 'away' | 'offline';
    maxConcurrent?: number | null;
  }): Promise<WorldAgent>;
  /** A new online agent who takes every new conversation: earlier ones made so go away. */
  soleAgent(displayName?: string): Promise<WorldAgent>;
  visitor(options?: { channelId?: string; identity?: string }): Promise<WorldVisitor>;
  /** A connected Socket.IO client; closed with the world. */
  connect(token: string): Promise<Socket>;
  setStatus(token: string, status: 'online' | 'away' | 'offline'): Promise<void>;
  /** The visitor's first message over REST (201): the conversation exists, and is assigned
   * when an agent is online. Answers its id. */
  startConversation(visitorToken: string, body?: string): Promise<string>;
  /**
   * A new sole agent, a new visitor whose first message started a conversation that agent now
   * serves (welcome, text, "assigned": lastSeq 3), then both connected (after those events).
   */
  servedConversation(options?: { agentName?: string; body?: string }): Promise<ServedConversation>;
  /** An agent's message over its socket, which must succeed. */
  reply(agentSocket: Socket, conversationId: string, body: string): Promise<SentMessage>;
  /** GET the conversation (as the admin unless `token`), checked. */
  conversation(id: string, token?: string): Promise<Conversation>;
  /** GET a page of its history, checked (200). */
  history(token: string, id: string, query?: string): Promise<MessagePage>;
  /**
   * Waits until every console socket has seen an `agent.status` published after everything
   * before it: events reach a socket in order, so what has not arrived by then never will.
   */
  consoleFence(...sockets: Socket[]): Promise<void>;
  /** The same for a visitor's socket: its agent stops typing, which arrives after the rest. */
  visitorFence(visitorSocket: Socket, agentSocket: Socket, conversationId: string): Promise<void>;
  close(): Promise<void>;
}

export async function startWorld(
  env: Record<string, string> = {},
  options: { db?: TestDatabase; now?: () => number; webhooks?: AppOptions['webhooks'] } = {},
): Promise<World> {
  const app = await startLiveApp(env, options);
  const soleAgents: WorldAgent[] = [];
  let fenceState: 'away' | 'offline' = 'offline';

  async function agent(opts: Parameters<World['agent']>[0] = {}): Promise<WorldAgent> {
    const made = await app.createAccount({
      maxConcurrent: opts.maxConcurrent ?? null,
      ...(opts.displayName ? { displayName: opts.displayName } : {}),
      ...(opts.username ? { username: opts.username } : {}),
    });
    // Chosen up front (default offline), so connecting does not switch the agent on.
    await app.setStatus(made.token, opts.status ?? 'offline');
    return {
      id: made.account.id,
      token: made.token,
      username: made.account.username,
      password: made.password,
      displayName: made.account.displayName,
    };
  }

  /** Never online: flipping its status between away and offline is the console fence. */
  const fenceAgent = await agent({ displayName: 'Fence' });

  const world: World = {
    app,
    adminToken: app.adminToken,
    request: (method, url, opts) => app.request(method, url, opts),
    agent,
    async soleAgent(displayName) {
      for (const earlier of soleAgents.splice(0)) await app.setStatus(earlier.token, 'away');
      const sole = await agent({ status: 'online', ...(displayName ? { displayName } : {}) });
      soleAgents.push(sole);
      return sole;
    },
    visitor: (opts = {}) => app.visitor(opts),
    connect: (token) => app.connect(token),
    setStatus: (token, status) => app.setStatus(token, status),
    async startConversation(visitorToken, body = 'Hello') {
      const answer = await app.request('POST', '/api/v1/visitor/messages', {
        token: visitorToken,
        body: text(body),
      });
      expect(answer.status, JSON.stringify(answer.body)).toBe(201);
      return bodyOf(answer, SentMessage).conversation.id;
    },
    async servedConversation(opts = {}) {
      const servedBy = await world.soleAgent(opts.agentName);
      const visitor = await world.visitor();
      const id = await world.startConversation(visitor.token, opts.body);
      const visitorSocket = await app.connect(visitor.token);
      const agentSocket = await app.connect(servedBy.token);
      return { id, agent: servedBy, visitor, agentSocket, visitorSocket };
    },
    async reply(agentSocket, conversationId, body) {
      return sendOk(agentSocket, { conversationId, ...text(body) });
    },
    async conversation(id, token = app.adminToken) {
      const answer = await app.request('GET', `/api/v1/conversations/${id}`, { token });
      expect(answer.status).toBe(200);
      return Conversation.parse(bodyOf(answer, ConversationResponse).conversation);
    },
    async history(token, id, query = '') {
      const answer = await app.request('GET', `/api/v1/conversations/${id}/messages${query}`, {
        token,
      });
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      return MessagePage.parse(answer.body);
    },
    async consoleFence(...sockets) {
      fenceState = fenceState === 'away' ? 'offline' : 'away';
      const state = fenceState;
      const seen = sockets.map((s) =>
        waitFor(s, ServerEvent.AgentStatus, (p) => p.id === fenceAgent.id && p.status === state),
      );
      await app.setStatus(fenceAgent.token, state);
      await Promise.all(seen);
    },
    async visitorFence(visitorSocket, agentSocket, conversationId) {
      const seen = waitFor(
        visitorSocket,
        ServerEvent.Typing,
        (p) => p.conversationId === conversationId && p.side === 'agent' && !p.isTyping,
      );
      const ack = await request<unknown>(agentSocket, 'typing', {
        conversationId,
        isTyping: false,
      });
      expect(ack).toEqual({ ok: true });
      await seen;
    },
    close: () => app.close(),
  };
  return world;
}
