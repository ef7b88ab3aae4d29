import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import {
  AgentPresenceListResponse,
  AgentStatusPayload,
  ClientEvent,
  Conversation,
  ConversationResponse,
  ConversationUpdatedPayload,
  MessageCreatedPayload,
  MessagePage,
  QueuePositionPayload,
  ServerEvent,
  VisitorConversation,
  type AgentPresence,
  type Message,
} from '@servicesystem/protocol';
import {
  eventually,
  newClientMsgId,
  nextEvent,
  request,
  startLiveApp,
  type LiveApp,
} from '../support/liveApp.js';

/**
 * Routing and the queue, through the real server and real Socket.IO clients: who gets a new
 * conversation, caps and tie-breaks, the FIFO queue and what drains it, stickiness across
 * disconnects and statuses, the offline grace, a new conversation after an end, transfers.
 */

// ---- event recording: every payload a socket receives is checked against its schema

const VisitorConversationStrict = VisitorConversation.strict();
const ConsoleConversationStrict = Conversation.strict();
/** message.created sends its message once: its conversation comes without lastMessage. */
const withoutLastMessage = { lastMessage: true } as const;
const VisitorConversationOfMessage = VisitorConversation.omit(withoutLastMessage).strict();
const ConsoleConversationOfMessage = Conversation.omit(withoutLastMessage).strict();

/** Schema failures and leaks seen by any socket; each test must end with none. */
const problems: string[] = [];

interface Client {
  socket: Socket;
  messages: MessageCreatedPayload[];
  updates: ConversationUpdatedPayload[];
  positions: QueuePositionPayload[];
  statuses: AgentStatusPayload[];
}

function watch(socket: Socket, audience: 'visitor' | 'console'): Client {
  const client: Client = { socket, messages: [], updates: [], positions: [], statuses: [] };
  const conversationShape =
    audience === 'visitor' ? VisitorConversationStrict : ConsoleConversationStrict;
  const fail = (event: string, detail: string) => problems.push(`${audience} ${event}: ${detail}`);

  socket.on(ServerEvent.MessageCreated, (payload: unknown) => {
    const parsed = MessageCreatedPayload.safeParse(payload);
    const messageConversationShape =
      audience === 'visitor' ? VisitorConversationOfMessage : ConsoleConversationOfMessage;
    const shaped = messageConversationShape.safeParse(
      (payload as { conversation?: unknown })?.conversation,
    );
    if (!parsed.success) return fail('message.created', parsed.error.message);
    if (!shaped.success) return fail('message.created conversation', shaped.error.message);
    const { message } = parsed.data;
    if (audience === 'visitor' && message.sender.type !== 'visitor') {
      if (message.sender.id !== undefined) fail('message.created', 'sender id leaked to visitor');
      if (message.clientMsgId !== null) fail('message.created', 'clientMsgId leaked to visitor');
    }
    client.messages.push(parsed.data);
  });
  socket.on(ServerEvent.ConversationUpdated, (payload: unknown) => {
    const parsed = ConversationUpdatedPayload.safeParse(payload);
    const shaped = conversationShape.safeParse(
      (payload as { conversation?: unknown })?.conversation,
    );
    if (!parsed.success) return fail('conversation.updated', parsed.error.message);
    if (!shaped.success) return fail('conversation.updated conversation', shaped.error.message);
    client.updates.push(parsed.data);
  });
  socket.on(ServerEvent.QueuePosition, (payload: unknown) => {
    if (audience !== 'visitor') fail('queue.position', 'sent to a console socket');
    const parsed = QueuePositionPayload.strict().safeParse(payload);
    if (!parsed.success) return fail('queue.position', parsed.error.message);
    client.positions.push(parsed.data);
  });
  socket.on(ServerEvent.AgentStatus, (payload: unknown) => {
    if (audience !== 'console') fail('agent.status', 'sent to a visitor');
    const parsed = AgentStatusPayload.strict().safeParse(payload);
    if (!parsed.success) return fail('agent.status', parsed.error.message);
    client.statuses.push(parsed.data);
  });
  return client;
}

/**
 * A round trip on the socket. The server answers it after every event it emitted to this socket
 * before the request arrived, so once it resolves those events have been recorded. (An invalid
 * payload is answered at once, without touching anything.)
 */
async function flush(...clients: Client[]): Promise<void> {
  for (const client of clients) {
    const answer = await request(client.socket, ClientEvent.ListMessages, {});
    expect(answer.ok).toBe(false);
  }
}

// ---- actors

interface VisitorClient extends Client {
  id: string;
  token: string;
}

interface AgentClient extends Client {
  id: string;
  token: string;
  displayName: string;
}

async function visitorClient(t: LiveApp): Promise<VisitorClient> {
  const visitor = await t.visitor();
  const socket = await t.connect(visitor.token);
  return { ...watch(socket, 'visitor'), id: visitor.id, token: visitor.token };
}

let agentCounter = 0;

/** An agent with a live socket; the status is set after the socket is listening. */
async function agentClient(
  t: LiveApp,
  options: { status?: 'online' | 'away' | 'offline'; maxConcurrent?: number | null } = {},
): Promise<AgentClient> {
  agentCounter += 1;
  const displayName = `Routed ${agentCounter}`;
  const agent = await t.agent({ maxConcurrent: options.maxConcurrent ?? null, displayName });
  const socket = await t.connect(agent.token);
  const client: AgentClient = {
    ...watch(socket, 'console'),
    id: agent.id,
    token: agent.token,
    displayName,
  };
  if (options.status && options.status !== 'offline')
    await t.setStatus(agent.token, options.status);
  return client;
}

async function adminClient(t: LiveApp): Promise<Client> {
  return watch(await t.connect(t.adminToken), 'console');
}

/** The visitor's first (or next) message over their socket; answers the ack. */
async function say(
  visitor: VisitorClient,
  body = 'Hello',
): Promise<{ message: Message; conversation: VisitorConversation }> {
  const ack = await request(visitor.socket, ClientEvent.SendMessage, {
    clientMsgId: newClientMsgId(),
    type: 'text',
    body,
  });
  expect(ack.ok, JSON.stringify(ack)).toBe(true);
  VisitorConversationStrict.parse(ack.conversation);
  return { message: ack.message, conversation: ack.conversation };
}

// ---- REST look-ups and actions

async function conversationOf(t: LiveApp, id: string): Promise<Conversation> {
  const answer = await t.request('GET', `/api/v1/conversations/${id}`, { token: t.adminToken });
  expect(answer.status).toBe(200);
  return ConversationResponse.parse(answer.body).conversation;
}

async function presence(t: LiveApp, agentId: string): Promise<AgentPresence | undefined> {
  const answer = await t.request('GET', '/api/v1/presence', { token: t.adminToken });
  expect(answer.status).toBe(200);
  return AgentPresenceListResponse.parse(answer.body).agents.find((a) => a.id === agentId);
}

async function act(
  t: LiveApp,
  token: string,
  conversationId: string,
  action: 'end' | 'transfer' | 'assign',
  agentId?: string,
) {
  return t.request('POST', `/api/v1/conversations/${conversationId}/${action}`, {
    token,
    ...(agentId ? { body: { agentId } } : {}),
  });
}

async function setCap(t: LiveApp, agentId: string, maxConcurrent: number | null) {
  const answer = await t.request('PATCH', `/api/v1/agents/${agentId}`, {
    token: t.adminToken,
    body: { maxConcurrent },
  });
  expect(answer.status).toBe(200);
}

/** System message kinds a client saw in one conversation, in seq order. */
function systemKinds(client: Client, conversationId: string): unknown[] {
  return client.messages
    .filter((p) => p.message.conversationId === conversationId && p.message.type === 'system')
    .sort((a, b) => a.message.seq - b.message.seq)
    .map((p) => p.message.meta?.kind);
}

function seenConversation(client: Client, conversationId: string): boolean {
  return (
    client.messages.some((p) => p.message.conversationId === conversationId) ||
    client.updates.some((p) => p.conversation.id === conversationId)
  );
}

function positionsOf(visitor: VisitorClient): number[] {
  return visitor.positions.map((p) => p.position);
}

/** The last conversation.updated the client got for a conversation (console or visitor shape). */
function lastUpdate(client: Client, conversationId: string): any {
  return client.updates.filter((p) => p.conversation.id === conversationId).at(-1)?.conversation;
}

describe('routing', () => {
  let t: LiveApp;
  beforeEach(async () => {
    problems.length = 0;
    t = await startLiveApp();
  });
  afterEach(async () => {
    await t.close();
    expect(problems).toEqual([]);
  });

  it('routes to the online agent only: never to away or offline agents, never to admins', async () => {
    // Admins have no online status at all, over REST or the socket.
    const refused = await t.request('PUT', '/api/v1/me/status', {
      token: t.adminToken,
      body: { status: 'online' },
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('FORBIDDEN');
    const admin = await adminClient(t);
    const socketRefused = await request(admin.socket, ClientEvent.SetStatus, { status: 'online' });
    expect(socketRefused).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    // No API can make an admin online; force it in the database: routing still skips them.
    const me = await t.request('GET', '/api/v1/me', { token: t.adminToken });
    const adminId = me.body.account.id as string;
    await t.app.ctx.db
      .updateTable('accounts')
      .set({ status: 'online' })
      .where('id', '=', adminId)
      .execute();

    const away = await agentClient(t, { status: 'away' });
    const offline = await agentClient(t, { status: 'offline' });

    const v1 = await visitorClient(t);
    const first = await say(v1);
    expect(first.conversation).toMatchObject({ state: 'queued', agent: null, queuePosition: 1 });
    expect(first.message.seq).toBe(2);
    await flush(v1);
    expect(systemKinds(v1, first.conversation.id)).toEqual(['welcome', 'queued']);
    const queuedNote = v1.messages.find((p) => p.message.meta?.kind === 'queued')!.message;
    expect(queuedNote).toMatchObject({ seq: 3, meta: { kind: 'queued', position: 1 } });

    const online = await agentClient(t);
    const goOnline = await request(online.socket, ClientEvent.SetStatus, { status: 'online' });
    expect(goOnline).toMatchObject({ ok: true, agent: { id: online.id, status: 'online' } });
    const v2 = await visitorClient(t);
    const second = await say(v2);
    expect(second.conversation).toMatchObject({
      state: 'active',
      agent: { name: online.displayName },
      queuePosition: null,
    });

    await flush(v1, v2, online, away, offline, admin);
    for (const id of [first.conversation.id, second.conversation.id]) {
      const conversation = await conversationOf(t, id);
      expect(conversation).toMatchObject({ state: 'active', agent: { id: online.id } });
      expect(seenConversation(online, id)).toBe(true);
      for (const other of [away, offline]) expect(seenConversation(other, id)).toBe(false);
      // Admins watch every conversation but are never its agent.
      expect(lastUpdate(admin, id)).toMatchObject({ state: 'active', agent: { id: online.id } });
    }
    expect(systemKinds(v1, first.conversation.id)).toEqual(['welcome', 'queued', 'assigned']);
    // The visitor's own text came in the ack (their socket does not hear it again).
    expect(
      [...v2.messages, { message: second.message }]
        .filter((p) => p.message.conversationId === second.conversation.id)
        .sort((a, b) => a.message.seq - b.message.seq)
        .map((p) => [p.message.seq, p.message.sender.type, p.message.meta?.kind ?? null]),
    ).toEqual([
      [1, 'system', 'welcome'],
      [2, 'visitor', null],
      [3, 'system', 'assigned'],
    ]);
    const assigned = v2.messages.find((p) => p.message.meta?.kind === 'assigned')!.message;
    expect(assigned.meta).toMatchObject({ agentName: online.displayName });
    expect(await presence(t, online.id)).toMatchObject({
      status: 'online',
      activeConversations: 2,
    });
    expect(await presence(t, away.id)).toMatchObject({ status: 'away', activeConversations: 0 });
    expect(await presence(t, offline.id)).toMatchObject({
      status: 'offline',
      activeConversations: 0,
    });
    expect(await presence(t, adminId)).toBeUndefined();
  });

  it('an online agent promoted to admin leaves routing', async () => {
    const promoted = await agentClient(t, { status: 'online' });
    const promote = await t.request('PATCH', `/api/v1/agents/${promoted.id}`, {
      token: t.adminToken,
      body: { role: 'admin' },
    });
    expect(promote.status, JSON.stringify(promote.body)).toBe(200);
    expect(promote.body.agent.role).toBe('admin');
    expect(await presence(t, promoted.id)).toBeUndefined();
    const refused = await t.request('PUT', '/api/v1/me/status', {
      token: promoted.token,
      body: { status: 'online' },
    });
    expect(refused.status).toBe(403);
    // The role change drops the account's sockets; its next connection holds an admin's rooms.
    await eventually(() => expect(promoted.socket.connected).toBe(false));
    const asAdmin = watch(await t.connect(promoted.token), 'console');

    const visitor = await visitorClient(t);
    const { conversation } = await say(visitor);
    expect(conversation).toMatchObject({ state: 'queued', agent: null, queuePosition: 1 });
    await flush(asAdmin);
    // An admin watches the queue: it hears the conversation, never as its agent.
    expect(lastUpdate(asAdmin, conversation.id)).toMatchObject({ state: 'queued', agent: null });
  });

  it('an agent at their cap gets no more; the least loaded agent wins', async () => {
    const capped = await agentClient(t, { status: 'online', maxConcurrent: 2 });
    const visitors = await Promise.all([1, 2, 3].map(() => visitorClient(t)));
    const answers = [];
    for (const v of visitors) answers.push(await say(v));
    expect(answers.map((a) => a.conversation.state)).toEqual(['active', 'active', 'queued']);
    expect(answers[2]!.conversation.queuePosition).toBe(1);
    expect(await presence(t, capped.id)).toMatchObject({
      activeConversations: 2,
      maxConcurrent: 2,
    });
    await flush(capped);
    expect(seenConversation(capped, answers[2]!.conversation.id)).toBe(false);

    // Lifting the cap drains the queue toward them (3 now). A second agent who comes online
    // then wins every new conversation while they have fewer.
    await setCap(t, capped.id, null);
    expect(await conversationOf(t, answers[2]!.conversation.id)).toMatchObject({
      agent: { id: capped.id },
    });
    const fresh = await agentClient(t, { status: 'online' });
    const later = await Promise.all([1, 2, 3].map(() => visitorClient(t)));
    const agents = [];
    for (const v of later) {
      const { conversation } = await say(v);
      agents.push((await conversationOf(t, conversation.id)).agent?.id);
    }
    // capped has 3; fresh takes 0→1→2→3 before the loads are equal.
    expect(agents).toEqual([fresh.id, fresh.id, fresh.id]);
    const v7 = await visitorClient(t);
    const seventh = await say(v7);
    // 3 : 3 — the one assigned least recently (capped) wins.
    expect((await conversationOf(t, seventh.conversation.id)).agent?.id).toBe(capped.id);
  });

  it('between equal loads, the agent assigned least recently wins (not the smaller id)', async () => {
    const a = await agentClient(t);
    const b = await agentClient(t);
    // `early` gets the first conversation and has the larger id, so an id order would pick `late`.
    const [early, late] = a.id > b.id ? [a, b] : [b, a];
    const routedTo = async () => {
      const { conversation } = await say(await visitorClient(t));
      return { id: conversation.id, agent: (await conversationOf(t, conversation.id)).agent?.id };
    };

    await t.setStatus(early.token, 'online');
    const c1 = await routedTo();
    expect(c1.agent).toBe(early.id);
    await t.setStatus(late.token, 'online');
    const c2 = await routedTo(); // 1 : 0
    expect(c2.agent).toBe(late.id);
    const c3 = await routedTo(); // 1 : 1, early assigned least recently
    expect(c3.agent).toBe(early.id);
    const c4 = await routedTo(); // 2 : 1
    expect(c4.agent).toBe(late.id);
    // 2 : 2 with late assigned last → early. Now make late the least loaded instead.
    expect((await act(t, late.token, c2.id, 'end')).status).toBe(200);
    const c5 = await routedTo(); // 2 : 1
    expect(c5.agent).toBe(late.id);
    const c6 = await routedTo(); // 2 : 2, late assigned last
    expect(c6.agent).toBe(early.id);
    const c7 = await routedTo(); // 3 : 2
    expect(c7.agent).toBe(late.id);
    const c8 = await routedTo(); // 3 : 3, early assigned at c6, late at c7
    expect(c8.agent).toBe(early.id);
  });

  it('never routes to a disabled agent', async () => {
    const disabled = await agentClient(t, { status: 'online' });
    const off = await t.request('PATCH', `/api/v1/agents/${disabled.id}`, {
      token: t.adminToken,
      body: { enabled: false },
    });
    expect(off.status).toBe(200);
    const v1 = await visitorClient(t);
    const first = await say(v1);
    expect(first.conversation).toMatchObject({ state: 'queued', queuePosition: 1 });
    expect(await presence(t, disabled.id)).toBeUndefined();

    const other = await agentClient(t, { status: 'online' });
    const conversation = await conversationOf(t, first.conversation.id);
    expect(conversation).toMatchObject({ state: 'active', agent: { id: other.id } });
    const v2 = await visitorClient(t);
    const second = await say(v2);
    expect((await conversationOf(t, second.conversation.id)).agent?.id).toBe(other.id);
  });

  it('queues in FIFO order with positions, and tells waiting visitors as the queue moves', async () => {
    const visitors = await Promise.all([1, 2, 3].map(() => visitorClient(t)));
    const [v1, v2, v3] = visitors as [VisitorClient, VisitorClient, VisitorClient];
    const ids: string[] = [];
    for (const [index, v] of visitors.entries()) {
      const { conversation } = await say(v);
      expect(conversation).toMatchObject({ state: 'queued', queuePosition: index + 1 });
      ids.push(conversation.id);
      await flush(v);
      const note = v.messages.find((p) => p.message.meta?.kind === 'queued')!.message;
      expect(note).toMatchObject({ seq: 3, sender: { type: 'system' } });
      // Nobody is online yet: the notice says so, not "busy".
      expect(note.meta).toEqual({ kind: 'queued', position: index + 1, reason: 'nobodyOnline' });
      expect(conversation.queueReason).toBe('nobodyOnline');
    }
    const queue = await t.request('GET', '/api/v1/conversations?state=queued', {
      token: t.adminToken,
    });
    expect(
      queue.body.conversations.map((c: Conversation) => [c.id, c.queuePosition, c.agent]),
    ).toEqual([
      [ids[0], 1, null],
      [ids[1], 2, null],
      [ids[2], 3, null],
    ]);

    const agent = await agentClient(t, { status: 'online', maxConcurrent: 1 });
    await flush(v1, v2, v3);
    expect(systemKinds(v1, ids[0]!)).toEqual(['welcome', 'queued', 'assigned']);
    expect(lastUpdate(v1, ids[0]!)).toMatchObject({ state: 'active', queuePosition: null });
    expect(positionsOf(v1)).toEqual([]);
    expect(positionsOf(v2)).toEqual([1]);
    expect(positionsOf(v3)).toEqual([2]);
    expect(v2.positions[0]!.conversationId).toBe(ids[1]);

    const v4 = await visitorClient(t);
    const fourth = await say(v4);
    expect(fourth.conversation.queuePosition).toBe(3);

    expect((await act(t, agent.token, ids[0]!, 'end')).status).toBe(200);
    await flush(v2, v3, v4);
    expect(systemKinds(v2, ids[1]!)).toEqual(['welcome', 'queued', 'assigned']);
    expect(positionsOf(v2)).toEqual([1]);
    expect(positionsOf(v3)).toEqual([2, 1]);
    expect(positionsOf(v4)).toEqual([2]);
    expect((await conversationOf(t, ids[2]!)).queuePosition).toBe(1);
  });
});

describe('the queue drains by itself', () => {
  let t: LiveApp;
  beforeEach(async () => {
    problems.length = 0;
    t = await startLiveApp();
  });
  afterEach(async () => {
    await t.close();
    expect(problems).toEqual([]);
  });

  /** Queued visitors, each with their conversation id, in arrival order. */
  async function queueOf(count: number) {
    const queued: { visitor: VisitorClient; conversationId: string }[] = [];
    for (let i = 0; i < count; i += 1) {
      const visitor = await visitorClient(t);
      const { conversation } = await say(visitor);
      expect(conversation.queuePosition).toBe(i + 1);
      queued.push({ visitor, conversationId: conversation.id });
    }
    return queued;
  }

  it('when an agent comes online (socket agent.status.set)', async () => {
    const [q1, q2, q3] = await queueOf(3);
    const agent = await agentClient(t, { maxConcurrent: 1 });
    const ack = await request(agent.socket, ClientEvent.SetStatus, { status: 'online' });
    expect(ack).toMatchObject({ ok: true, agent: { status: 'online', activeConversations: 1 } });
    await flush(agent, q1!.visitor, q2!.visitor, q3!.visitor);
    expect(lastUpdate(agent, q1!.conversationId)).toMatchObject({
      state: 'active',
      agent: { id: agent.id },
    });
    expect(lastUpdate(q1!.visitor, q1!.conversationId)).toMatchObject({
      state: 'active',
      agent: { name: agent.displayName },
    });
    expect(positionsOf(q1!.visitor)).toEqual([]);
    expect(positionsOf(q2!.visitor)).toEqual([1]);
    expect(positionsOf(q3!.visitor)).toEqual([2]);
    expect(seenConversation(agent, q2!.conversationId)).toBe(false);
  });

  it('when a conversation ends and frees capacity (socket conversation.end)', async () => {
    const agent = await agentClient(t, { status: 'online', maxConcurrent: 1 });
    const served = await visitorClient(t);
    const { conversation } = await say(served);
    expect(conversation.state).toBe('active');
    const [q1, q2] = await queueOf(2);
    const ended = await request(agent.socket, ClientEvent.EndConversation, {
      conversationId: conversation.id,
    });
    expect(ended).toMatchObject({ ok: true, conversation: { state: 'ended' } });
    await flush(agent, served, q1!.visitor, q2!.visitor);
    expect(systemKinds(served, conversation.id)).toEqual(['welcome', 'assigned', 'ended']);
    expect(lastUpdate(q1!.visitor, q1!.conversationId)).toMatchObject({ state: 'active' });
    expect(lastUpdate(agent, q1!.conversationId)?.agent?.id).toBe(agent.id);
    expect(positionsOf(q1!.visitor)).toEqual([]);
    expect(positionsOf(q2!.visitor)).toEqual([1]);
    expect(await presence(t, agent.id)).toMatchObject({ activeConversations: 1 });
  });

  it('when a conversation is transferred away from a capped agent', async () => {
    const capped = await agentClient(t, { status: 'online', maxConcurrent: 1 });
    const receiver = await agentClient(t, { status: 'away' });
    const served = await visitorClient(t);
    const { conversation } = await say(served);
    const [q1, q2] = await queueOf(2);
    const moved = await act(t, capped.token, conversation.id, 'transfer', receiver.id);
    expect(moved.status).toBe(200);
    expect(moved.body.conversation.agent.id).toBe(receiver.id);
    await flush(capped, q1!.visitor, q2!.visitor);
    expect(await conversationOf(t, q1!.conversationId)).toMatchObject({
      state: 'active',
      agent: { id: capped.id },
    });
    expect(lastUpdate(capped, q1!.conversationId)?.state).toBe('active');
    expect(positionsOf(q1!.visitor)).toEqual([]);
    expect(positionsOf(q2!.visitor)).toEqual([1]);
    expect(await presence(t, capped.id)).toMatchObject({ activeConversations: 1 });
    expect(await presence(t, receiver.id)).toMatchObject({
      status: 'away',
      activeConversations: 1,
    });
  });

  it('when an admin raises a cap', async () => {
    const admin = await adminClient(t);
    const agent = await agentClient(t, { status: 'online', maxConcurrent: 1 });
    const served = await visitorClient(t);
    await say(served);
    const [q1, q2, q3] = await queueOf(3);
    await setCap(t, agent.id, 3);
    await flush(admin, q1!.visitor, q2!.visitor, q3!.visitor);
    for (const q of [q1!, q2!]) {
      expect(await conversationOf(t, q.conversationId)).toMatchObject({
        state: 'active',
        agent: { id: agent.id },
      });
      // Both left the queue in the one drain: no position to announce to either.
      expect(positionsOf(q.visitor)).toEqual([]);
    }
    expect(positionsOf(q3!.visitor)).toEqual([1]);
    expect(admin.statuses.at(-1)).toMatchObject({
      id: agent.id,
      activeConversations: 3,
      maxConcurrent: 3,
    });
    // Lowering the cap moves nobody: the conversations stay, the queue waits.
    await setCap(t, agent.id, 1);
    expect((await conversationOf(t, q3!.conversationId)).state).toBe('queued');
    expect(await presence(t, agent.id)).toMatchObject({ activeConversations: 3 });
  });

  it('an admin assigns from the queue by hand, beyond the cap; only queued ones', async () => {
    const agent = await agentClient(t, { status: 'online', maxConcurrent: 1 });
    const served = await visitorClient(t);
    const active = (await say(served)).conversation;
    const [q1, q2] = await queueOf(2);

    const byAgent = await act(t, agent.token, q1!.conversationId, 'assign', agent.id);
    expect(byAgent.status).toBe(403);
    expect(byAgent.body.error.code).toBe('FORBIDDEN');

    const assigned = await act(t, t.adminToken, q1!.conversationId, 'assign', agent.id);
    expect(assigned.status).toBe(200);
    expect(ConversationResponse.parse(assigned.body).conversation).toMatchObject({
      state: 'active',
      agent: { id: agent.id },
      queuePosition: null,
    });
    expect(await presence(t, agent.id)).toMatchObject({
      activeConversations: 2,
      maxConcurrent: 1,
    });
    await flush(agent, q1!.visitor, q2!.visitor);
    expect(systemKinds(q1!.visitor, q1!.conversationId)).toEqual(['welcome', 'queued', 'assigned']);
    expect(lastUpdate(agent, q1!.conversationId)?.agent?.id).toBe(agent.id);
    expect(positionsOf(q2!.visitor)).toEqual([1]);

    for (const id of [active.id, q1!.conversationId]) {
      const again = await act(t, t.adminToken, id, 'assign', agent.id);
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('INVALID_STATE');
    }
    expect((await act(t, agent.token, active.id, 'end')).status).toBe(200);
    const ended = await act(t, t.adminToken, active.id, 'assign', agent.id);
    expect(ended.status).toBe(409);
    expect(ended.body.error.code).toBe('INVALID_STATE');
    // Still over the cap after one ended: the queue did not drain toward them.
    expect((await conversationOf(t, q2!.conversationId)).state).toBe('queued');
  });
});

describe('stickiness', () => {
  let t: LiveApp;
  beforeEach(async () => {
    problems.length = 0;
    t = await startLiveApp();
  });
  afterEach(async () => {
    await t.close();
    expect(problems).toEqual([]);
  });

  /** An agent serving one visitor, with a second, idle online agent who could take it. */
  async function servedConversation() {
    const agent = await agentClient(t, { status: 'online' });
    const visitor = await visitorClient(t);
    const { conversation } = await say(visitor);
    expect(conversation.state).toBe('active');
    const bystander = await agentClient(t, { status: 'online' });
    return { agent, visitor, conversationId: conversation.id, bystander };
  }

  async function listAfter(socket: Socket, conversationId: string, after: number) {
    const answer = await request(socket, ClientEvent.ListMessages, { conversationId, after });
    expect(answer.ok, JSON.stringify(answer)).toBe(true);
    return MessagePage.parse(answer).messages;
  }

  it('stays with its agent across the agent’s socket disconnecting and reconnecting', async () => {
    const { agent, visitor, conversationId, bystander } = await servedConversation();
    agent.socket.disconnect();
    const sent = await say(visitor, 'Anyone there?');
    expect(sent.conversation).toMatchObject({
      id: conversationId,
      state: 'active',
      agent: { name: agent.displayName },
    });
    expect(sent.message.seq).toBe(4);

    const back = watch(await t.connect(agent.token), 'console');
    const missed = await listAfter(back.socket, conversationId, 3);
    expect(missed.map((m) => [m.seq, m.body])).toEqual([[4, 'Anyone there?']]);
    expect(await presence(t, agent.id)).toMatchObject({ status: 'online' });
    await flush(bystander);
    expect(seenConversation(bystander, conversationId)).toBe(false);
    expect((await conversationOf(t, conversationId)).agent?.id).toBe(agent.id);

    // The reconnected socket hears the conversation again.
    await say(visitor, 'Hello again');
    await flush(back);
    expect(back.messages.map((p) => p.message.body)).toContain('Hello again');
  });

  it('stays with its agent while the agent is away; new conversations go elsewhere', async () => {
    const { agent, visitor, conversationId, bystander } = await servedConversation();
    const away = await request(agent.socket, ClientEvent.SetStatus, { status: 'away' });
    expect(away).toMatchObject({ ok: true, agent: { status: 'away', activeConversations: 1 } });
    const sent = await say(visitor, 'Still there?');
    expect(sent.conversation).toMatchObject({ id: conversationId, state: 'active' });
    await flush(agent, bystander);
    expect(
      agent.messages.some(
        (p) => p.message.conversationId === conversationId && p.message.body === 'Still there?',
      ),
    ).toBe(true);
    expect(seenConversation(bystander, conversationId)).toBe(false);

    const other = await visitorClient(t);
    const next = await say(other);
    expect((await conversationOf(t, next.conversation.id)).agent?.id).toBe(bystander.id);
    expect((await conversationOf(t, conversationId)).agent?.id).toBe(agent.id);
  });

  it('stays with its agent while the agent is offline; they read what they missed on return', async () => {
    const { agent, visitor, conversationId, bystander } = await servedConversation();
    await t.setStatus(agent.token, 'offline');
    agent.socket.disconnect();
    await say(visitor, 'First while offline');
    await say(visitor, 'Second while offline');
    const stored = await conversationOf(t, conversationId);
    expect(stored).toMatchObject({ state: 'active', agent: { id: agent.id }, lastSeq: 5 });
    expect(await presence(t, agent.id)).toMatchObject({
      status: 'offline',
      activeConversations: 1,
    });
    await flush(bystander);
    expect(seenConversation(bystander, conversationId)).toBe(false);

    const back = watch(await t.connect(agent.token), 'console');
    const missed = await listAfter(back.socket, conversationId, 3);
    expect(missed.map((m) => [m.seq, m.sender.type, m.body])).toEqual([
      [4, 'visitor', 'First while offline'],
      [5, 'visitor', 'Second while offline'],
    ]);
    // Being offline does not stop them answering their own conversation.
    const reply = await request(back.socket, ClientEvent.SendMessage, {
      conversationId,
      clientMsgId: newClientMsgId(),
      type: 'text',
      body: 'Back now',
    });
    expect(reply).toMatchObject({ ok: true, message: { seq: 6 } });
    await flush(visitor);
    expect(visitor.messages.at(-1)?.message).toMatchObject({
      seq: 6,
      body: 'Back now',
      sender: { type: 'agent', name: agent.displayName },
    });
  });

  it('keeps the visitor in the same conversation when they reconnect', async () => {
    const { agent, visitor, conversationId } = await servedConversation();
    visitor.socket.disconnect();
    // Same token, new session answer and new socket: same visitor, same conversation.
    const session = await t.visitor({ token: visitor.token });
    expect(session.id).toBe(visitor.id);
    const again: VisitorClient = {
      ...watch(await t.connect(session.token), 'visitor'),
      id: session.id,
      token: session.token,
    };
    const sent = await say(again, 'I am back');
    expect(sent.conversation).toMatchObject({
      id: conversationId,
      state: 'active',
      agent: { name: agent.displayName },
    });
    expect(sent.message.seq).toBe(4);
    const list = await t.request('GET', '/api/v1/visitor/conversations', { token: again.token });
    expect(list.body.conversations.map((c: VisitorConversation) => c.id)).toEqual([conversationId]);
  });
});

describe('agent offline grace', () => {
  let t: LiveApp;
  beforeEach(async () => {
    problems.length = 0;
    t = await startLiveApp({ AGENT_OFFLINE_GRACE_SECONDS: '1' });
  });
  afterEach(async () => {
    await t.close();
    expect(problems).toEqual([]);
  });

  it('marks an agent offline after the grace, keeps their conversation; a quick reconnect keeps them online', async () => {
    const admin = await adminClient(t);
    const gone = await agentClient(t, { status: 'online' });
    const visitor = await visitorClient(t);
    const { conversation } = await say(visitor);
    expect(conversation.state).toBe('active');
    const reloading = await agentClient(t, { status: 'online' });
    await flush(admin);
    const statusesBefore = admin.statuses.length;

    // A page reload: the socket goes and a new one comes within the grace.
    reloading.socket.disconnect();
    const reloaded = watch(await t.connect(reloading.token), 'console');
    // Then the other agent's only socket goes for good (after the reload's grace started).
    const offlineEvent = nextEvent<AgentStatusPayload>(
      admin.socket,
      ServerEvent.AgentStatus,
      (p) => p.id === gone.id && p.status === 'offline',
    );
    const goneAt = Date.now();
    gone.socket.disconnect();
    const event = await offlineEvent;
    expect(Date.now() - goneAt).toBeGreaterThanOrEqual(900);
    expect(event).toMatchObject({ status: 'offline', activeConversations: 1 });
    await flush(admin);
    // The reload's grace started earlier and has passed too, without marking them offline.
    expect(
      admin.statuses
        .slice(statusesBefore)
        .filter((s) => s.id === reloading.id)
        .map((s) => s.status),
    ).not.toContain('offline');
    expect(await presence(t, reloading.id)).toMatchObject({ status: 'online' });
    expect(await presence(t, gone.id)).toMatchObject({ status: 'offline', activeConversations: 1 });
    expect(await conversationOf(t, conversation.id)).toMatchObject({
      state: 'active',
      agent: { id: gone.id },
    });

    // New conversations go to the agent still online; the old one stays put.
    const next = await say(await visitorClient(t));
    expect((await conversationOf(t, next.conversation.id)).agent?.id).toBe(reloading.id);
    await say(visitor, 'Waiting for you');
    await flush(reloaded);
    expect(seenConversation(reloaded, conversation.id)).toBe(false);
    expect((await conversationOf(t, conversation.id)).agent?.id).toBe(gone.id);
  });
});

describe('a new conversation after an end', () => {
  let t: LiveApp;
  beforeEach(async () => {
    problems.length = 0;
    t = await startLiveApp();
  });
  afterEach(async () => {
    await t.close();
    expect(problems).toEqual([]);
  });

  it('starts fresh (new id, seq from 1) and goes back to the previous agent when they qualify', async () => {
    const previous = await agentClient(t, { status: 'online' });
    const visitor = await visitorClient(t);
    const first = (await say(visitor)).conversation;
    const other = await visitorClient(t);
    const otherFirst = (await say(other)).conversation; // previous now has 2
    const fresh = await agentClient(t, { status: 'online' }); // 0: least loaded

    const ended = await act(t, previous.token, first.id, 'end');
    expect(ended.status).toBe(200);
    await flush(visitor);
    expect(systemKinds(visitor, first.id).at(-1)).toBe('ended');
    expect(lastUpdate(visitor, first.id)).toMatchObject({ state: 'ended' });

    const second = await say(visitor, 'One more thing');
    expect(second.conversation.id).not.toBe(first.id);
    expect(second.message.seq).toBe(2);
    expect(second.conversation).toMatchObject({
      state: 'active',
      agent: { name: previous.displayName },
    });
    const history = await t.request(
      'GET',
      `/api/v1/conversations/${second.conversation.id}/messages`,
      { token: visitor.token },
    );
    expect(
      MessagePage.parse(history.body).messages.map((m) => [m.seq, m.meta?.kind ?? m.body]),
    ).toEqual([
      [1, 'welcome'],
      [2, 'One more thing'],
      [3, 'assigned'],
    ]);
    await flush(previous, fresh);
    expect(seenConversation(previous, second.conversation.id)).toBe(true);
    expect(seenConversation(fresh, second.conversation.id)).toBe(false);
    expect((await conversationOf(t, first.id)).state).toBe('ended');

    // The previous agent at their cap: someone else.
    expect((await act(t, t.adminToken, second.conversation.id, 'end')).status).toBe(200);
    await setCap(t, previous.id, 1); // they still serve `other`
    const third = await say(visitor, 'And another');
    expect((await conversationOf(t, third.conversation.id)).agent?.id).toBe(fresh.id);

    // The previous agent away: someone else.
    expect((await act(t, previous.token, otherFirst.id, 'end')).status).toBe(200);
    await setCap(t, previous.id, null);
    await t.setStatus(previous.token, 'away');
    const elsewhere = await say(other, 'Hello again');
    expect(elsewhere.conversation.id).not.toBe(otherFirst.id);
    expect((await conversationOf(t, elsewhere.conversation.id)).agent?.id).toBe(fresh.id);
  });
});

describe('transfer', () => {
  let t: LiveApp;
  beforeEach(async () => {
    problems.length = 0;
    t = await startLiveApp();
  });
  afterEach(async () => {
    await t.close();
    expect(problems).toEqual([]);
  });

  it('hands over to an online agent with room; refuses offline, full and unassigned callers', async () => {
    const admin = await adminClient(t);
    const from = await agentClient(t, { status: 'online' });
    const visitor = await visitorClient(t);
    const { conversation } = await say(visitor);
    const full = await agentClient(t, { status: 'online', maxConcurrent: 1 });
    const filler = await say(await visitorClient(t)); // full: 0 < 1 → takes it
    expect((await conversationOf(t, filler.conversation.id)).agent?.id).toBe(full.id);
    const target = await agentClient(t, { status: 'online' });
    const offline = await agentClient(t);

    // Someone who is not the assigned agent cannot move it.
    const stranger = await act(t, target.token, conversation.id, 'transfer', target.id);
    expect(stranger.status).toBe(403);
    expect(stranger.body.error.code).toBe('FORBIDDEN');
    for (const unavailable of [offline, full]) {
      const refused = await act(t, from.token, conversation.id, 'transfer', unavailable.id);
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('AGENT_UNAVAILABLE');
    }
    const unchanged = await conversationOf(t, conversation.id);
    expect(unchanged).toMatchObject({ agent: { id: from.id }, lastSeq: 3 });

    const moved = await request(from.socket, ClientEvent.TransferConversation, {
      conversationId: conversation.id,
      agentId: target.id,
    });
    expect(moved).toMatchObject({ ok: true, conversation: { agent: { id: target.id } } });
    await flush(from, target, visitor, admin, full);

    // The old agent learns it is no longer theirs; the new one gets it with the note.
    expect(lastUpdate(from, conversation.id)).toMatchObject({
      state: 'active',
      agent: { id: target.id },
    });
    expect(lastUpdate(target, conversation.id)).toMatchObject({ agent: { id: target.id } });
    const note = { kind: 'transferred', fromName: from.displayName, toName: target.displayName };
    expect(
      target.messages.find((p) => p.message.conversationId === conversation.id)?.message.meta,
    ).toEqual(note);
    expect(systemKinds(visitor, conversation.id).at(-1)).toBe('transferred');
    expect(visitor.messages.at(-1)?.message).toMatchObject({ seq: 4, meta: note });
    expect(lastUpdate(visitor, conversation.id)).toMatchObject({
      agent: { name: target.displayName },
    });
    expect(lastUpdate(admin, conversation.id)?.agent?.id).toBe(target.id);
    expect(seenConversation(full, conversation.id)).toBe(false);

    // The old agent can no longer act on it; the new one can.
    const late = await act(t, from.token, conversation.id, 'transfer', full.id);
    expect(late.status).toBe(403);
    const write = await request(from.socket, ClientEvent.SendMessage, {
      conversationId: conversation.id,
      clientMsgId: newClientMsgId(),
      type: 'text',
      body: 'mine?',
    });
    expect(write).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });

    // An admin may go beyond the cap.
    const byAdmin = await act(t, t.adminToken, conversation.id, 'transfer', full.id);
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.body.conversation.agent.id).toBe(full.id);
    expect(await presence(t, full.id)).toMatchObject({ activeConversations: 2, maxConcurrent: 1 });
    await flush(target, full);
    expect(lastUpdate(target, conversation.id)?.agent?.id).toBe(full.id);
    expect(systemKinds(full, conversation.id)).toEqual(['transferred']);
  });
});
