import { SignJWT } from 'jose';
import { io as connectSocket, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AckError,
  AgentPresenceListResponse,
  Conversation,
  ConversationListResponse,
  ConversationResponse,
  MeResponse,
  MessageCreatedPayload,
  MessagePage,
  UnreadResponse,
  VisitorConversationListResponse,
} from '@servicesystem/protocol';
import { eventually, nextEvent, type LiveApp } from '../support/liveApp.js';
import {
  ask,
  bodyOf,
  errorOf,
  okAck,
  SendAck,
  SentMessage,
  sendOk,
  startWorld,
  text,
  typed,
  type World,
  type WorldAgent as Agent,
  type WorldVisitor as Visitor,
} from '../support/world.js';

/** What a refused socket connection carries. */
type ConnectError = Error & { data?: { code?: string } };

/**
 * Who may read and act on a conversation. Visitor A's conversation CA is served by agent X;
 * visitor B's CB by agent Y. B, Y and anonymous callers try everything on CA and X; nothing
 * they try may work, and nothing may change.
 */
describe('conversation access', () => {
  let w: World;
  let t: LiveApp;
  let X: Agent;
  let Y: Agent;
  let A: Visitor;
  let B: Visitor;
  let CA: string;
  let CB: string;
  /** Console sockets: X's and the admin's. Visitor socket: A's. What they heard. */
  let heardByX: [string, unknown][];
  let heardByA: [string, unknown][];
  let xSocket: Socket;
  let aSocket: Socket;
  let bSocket: Socket;
  let ySocket: Socket;
  let adminSocket: Socket;
  const rawSockets: Socket[] = [];

  const createAgent = (username: string, displayName: string) => w.agent({ username, displayName });

  /** Everything about CA that a refused call must not change. */
  async function snapshotOfCA() {
    const answer = await w.request('GET', `/api/v1/conversations/${CA}`, { token: t.adminToken });
    const c = Conversation.parse(bodyOf(answer, ConversationResponse).conversation);
    const page = await w.request('GET', `/api/v1/conversations/${CA}/messages`, {
      token: t.adminToken,
    });
    const presence = await w.request('GET', '/api/v1/presence', { token: t.adminToken });
    const status = (id: string) =>
      bodyOf(presence, AgentPresenceListResponse).agents.find((a) => a.id === id)?.status;
    return {
      state: c.state,
      agentId: c.agent?.id,
      lastSeq: c.lastSeq,
      visitorReadSeq: c.visitorReadSeq,
      agentReadSeq: c.agentReadSeq,
      messageIds: MessagePage.parse(page.body).messages.map((m) => m.id),
      statusOfX: status(X.id),
      statusOfY: status(Y.id),
    };
  }
  let before: Awaited<ReturnType<typeof snapshotOfCA>>;

  /** A fence for A's socket: X stopping typing in CA reaches A after everything before. */
  async function visitorFence(): Promise<void> {
    await w.visitorFence(aSocket, xSocket, CA);
    heardByA.pop();
  }

  function failure(ack: unknown, code: string): void {
    const parsed = AckError.safeParse(ack);
    expect(parsed.success, JSON.stringify(ack)).toBe(true);
    expect(parsed.data!.error.code, JSON.stringify(ack)).toBe(code);
  }

  beforeAll(async () => {
    w = await startWorld();
    t = w.app;
    X = await createAgent('xavier-login', 'Xavier');
    Y = await createAgent('yolanda-login', 'Yolanda');
    await t.setStatus(X.token, 'online');
    A = await t.visitor();
    CA = await w.startConversation(A.token);
    await t.setStatus(X.token, 'away');
    await t.setStatus(Y.token, 'online');
    B = await t.visitor();
    CB = await w.startConversation(B.token);

    const ca = await w.request('GET', `/api/v1/conversations/${CA}`, { token: t.adminToken });
    const cb = await w.request('GET', `/api/v1/conversations/${CB}`, { token: t.adminToken });
    expect(bodyOf(ca, ConversationResponse).conversation).toMatchObject({
      state: 'active',
      agent: { id: X.id },
    });
    expect(bodyOf(cb, ConversationResponse).conversation).toMatchObject({
      state: 'active',
      agent: { id: Y.id },
    });

    xSocket = await t.connect(X.token);
    aSocket = await t.connect(A.token);
    bSocket = await t.connect(B.token);
    ySocket = await t.connect(Y.token);
    adminSocket = await t.connect(t.adminToken);
    heardByX = [];
    heardByA = [];
    xSocket.onAny((event: string, payload: unknown) => {
      if (event !== 'agent.status') heardByX.push([event, payload]);
    });
    aSocket.onAny((event: string, payload: unknown) => heardByA.push([event, payload]));
    before = await snapshotOfCA();
  });
  afterAll(async () => {
    for (const socket of rawSockets) socket.disconnect();
    await w.close();
  });

  type Who = 'visitorB' | 'agentY' | 'anonymous';
  const tokenOf = (who: Who) =>
    who === 'visitorB' ? B.token : who === 'agentY' ? Y.token : undefined;

  /** Every conversation route, called on CA (or as if for X) by B, Y and nobody. */
  const restCases: {
    route: string;
    method: string;
    url: () => string;
    body?: () => unknown;
    expect: Record<Who, 401 | 403>;
  }[] = [
    {
      route: 'GET /api/v1/conversations?agentId=X',
      method: 'GET',
      url: () => `/api/v1/conversations?agentId=${X.id}`,
      expect: { visitorB: 401, agentY: 403, anonymous: 401 },
    },
    {
      route: 'GET /api/v1/conversations?view=all',
      method: 'GET',
      url: () => '/api/v1/conversations?view=all',
      expect: { visitorB: 401, agentY: 403, anonymous: 401 },
    },
    {
      route: 'GET /api/v1/conversations/:id',
      method: 'GET',
      url: () => `/api/v1/conversations/${CA}`,
      expect: { visitorB: 401, agentY: 403, anonymous: 401 },
    },
    {
      route: 'GET /api/v1/conversations/:id/messages',
      method: 'GET',
      url: () => `/api/v1/conversations/${CA}/messages?after=0`,
      expect: { visitorB: 403, agentY: 403, anonymous: 401 },
    },
    {
      route: 'POST /api/v1/conversations/:id/messages',
      method: 'POST',
      url: () => `/api/v1/conversations/${CA}/messages`,
      body: () => text('intrusion'),
      expect: { visitorB: 401, agentY: 403, anonymous: 401 },
    },
    {
      route: 'POST /api/v1/conversations/:id/read',
      method: 'POST',
      url: () => `/api/v1/conversations/${CA}/read`,
      body: () => ({ seq: 999 }),
      expect: { visitorB: 403, agentY: 403, anonymous: 401 },
    },
    {
      route: 'POST /api/v1/conversations/:id/typing',
      method: 'POST',
      url: () => `/api/v1/conversations/${CA}/typing`,
      body: () => ({ isTyping: true }),
      expect: { visitorB: 403, agentY: 403, anonymous: 401 },
    },
    {
      route: 'POST /api/v1/conversations/:id/end',
      method: 'POST',
      url: () => `/api/v1/conversations/${CA}/end`,
      expect: { visitorB: 401, agentY: 403, anonymous: 401 },
    },
    {
      route: 'POST /api/v1/conversations/:id/transfer',
      method: 'POST',
      url: () => `/api/v1/conversations/${CA}/transfer`,
      body: () => ({ agentId: Y.id }),
      expect: { visitorB: 401, agentY: 403, anonymous: 401 },
    },
    {
      route: 'POST /api/v1/conversations/:id/assign',
      method: 'POST',
      url: () => `/api/v1/conversations/${CA}/assign`,
      body: () => ({ agentId: Y.id }),
      expect: { visitorB: 401, agentY: 403, anonymous: 401 },
    },
  ];
  // Visitor-only routes: console sessions and nobody are not visitors.
  const visitorRoutes = [
    { route: 'GET /api/v1/visitor/unread', method: 'GET', url: '/api/v1/visitor/unread' },
    {
      route: 'GET /api/v1/visitor/conversations',
      method: 'GET',
      url: '/api/v1/visitor/conversations',
    },
    { route: 'POST /api/v1/visitor/messages', method: 'POST', url: '/api/v1/visitor/messages' },
  ];

  describe('REST', () => {
    for (const c of restCases) {
      for (const who of ['visitorB', 'agentY', 'anonymous'] as const) {
        it(`${c.route} on A’s conversation: ${who} → ${c.expect[who]}`, async () => {
          const token = tokenOf(who);
          const answer = await w.request(c.method, c.url(), {
            ...(token ? { token } : {}),
            ...(c.body ? { body: c.body() } : {}),
          });
          expect(answer.status, JSON.stringify(answer.body)).toBe(c.expect[who]);
          expect(errorOf(answer).code).toBe(
            c.expect[who] === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN',
          );
          expect(JSON.stringify(answer.body)).not.toContain('Hello');
        });
      }
    }
    for (const c of visitorRoutes) {
      for (const who of ['agentY', 'anonymous'] as const) {
        it(`${c.route}: ${who} → 401`, async () => {
          const token = tokenOf(who);
          const answer = await w.request(c.method, c.url, {
            ...(token ? { token } : {}),
            ...(c.method === 'POST' ? { body: text('not a visitor') } : {}),
          });
          expect(answer.status).toBe(401);
          expect(errorOf(answer).code).toBe('UNAUTHENTICATED');
        });
      }
    }

    it('visitor routes answer B about B only: their conversation, unread and messages', async () => {
      const list = await w.request('GET', '/api/v1/visitor/conversations', { token: B.token });
      const mine = VisitorConversationListResponse.parse(list.body).conversations;
      expect(mine.map((c) => c.id)).toEqual([CB]);
      const unread = await w.request('GET', '/api/v1/visitor/unread', { token: B.token });
      expect(UnreadResponse.parse(unread.body).unread).toBe(mine[0]!.unread);

      // A message from B goes to B's conversation, whatever B has in mind.
      const sent = await w.request('POST', '/api/v1/visitor/messages', {
        token: B.token,
        body: text('B writes'),
      });
      expect(sent.status).toBe(201);
      expect(bodyOf(sent, SentMessage).message.conversationId).toBe(CB);
    });

    it('agents list only their own conversations; admins list all and filter freely', async () => {
      const ids = async (token: string, query = '') => {
        const answer = await w.request('GET', `/api/v1/conversations${query}`, { token });
        expect(answer.status, JSON.stringify(answer.body)).toBe(200);
        return ConversationListResponse.parse(answer.body).conversations.map((c) => c.id);
      };
      expect(await ids(Y.token)).toEqual([CB]);
      expect(await ids(Y.token, `?agentId=${Y.id}`)).toEqual([CB]);
      expect(await ids(Y.token, '?state=active')).toEqual([CB]);
      // The queue is every agent's to see (here empty: CA is X's, not waiting).
      expect(await ids(Y.token, '?state=queued')).toEqual([]);
      expect(await ids(Y.token, '?view=unassigned')).toEqual([]);
      expect(await ids(X.token)).toEqual([CA]);
      const all = await ids(t.adminToken);
      expect(all).toEqual(expect.arrayContaining([CA, CB]));
      expect(await ids(t.adminToken, `?agentId=${X.id}`)).toEqual([CA]);
      expect(await ids(t.adminToken, '?state=queued')).toEqual([]);

      // An admin reads any conversation, but reads and types as nobody's participant.
      const read = await w.request('GET', `/api/v1/conversations/${CA}`, { token: t.adminToken });
      expect(read.status).toBe(200);
      for (const [path, body] of [
        ['read', { seq: 1 }],
        ['typing', { isTyping: true }],
      ] as const) {
        const answer = await w.request('POST', `/api/v1/conversations/${CA}/${path}`, {
          token: t.adminToken,
          body,
        });
        expect(answer.status, path).toBe(403);
        expect(errorOf(answer).code).toBe('FORBIDDEN');
      }
    });
  });

  describe('sockets', () => {
    const socketCases: { event: string; label?: string; payload: () => unknown }[] = [
      { event: 'messages.list', payload: () => ({ conversationId: CA }) },
      {
        event: 'messages.list',
        label: '(after)',
        payload: () => ({ conversationId: CA, after: 0 }),
      },
      { event: 'conversation.read', payload: () => ({ conversationId: CA, seq: 999 }) },
      { event: 'typing', label: '(true)', payload: () => ({ conversationId: CA, isTyping: true }) },
      {
        event: 'typing',
        label: '(false)',
        payload: () => ({ conversationId: CA, isTyping: false }),
      },
      { event: 'conversation.end', payload: () => ({ conversationId: CA }) },
      { event: 'conversation.transfer', payload: () => ({ conversationId: CA, agentId: Y.id }) },
      { event: 'conversation.assign', payload: () => ({ conversationId: CA, agentId: Y.id }) },
      { event: 'conversations.list', label: '(agentId X)', payload: () => ({ agentId: X.id }) },
      { event: 'conversations.list', label: '(view all)', payload: () => ({ view: 'all' }) },
    ];
    for (const c of socketCases) {
      for (const who of ['visitorB', 'agentY'] as const) {
        it(`${c.event} ${c.label ?? ''} on A’s conversation by ${who} → FORBIDDEN`, async () => {
          const socket = who === 'visitorB' ? bSocket : ySocket;
          failure(await ask(socket, c.event, c.payload()), 'FORBIDDEN');
        });
      }
    }

    it('message.send into CA: Y is refused; B’s message lands in CB (visitors name no conversation)', async () => {
      failure(
        await ask(ySocket, 'message.send', { conversationId: CA, ...text('Y intrudes') }),
        'FORBIDDEN',
      );
      const fromB = await sendOk(bSocket, { conversationId: CA, ...text('B intrudes') });
      expect(fromB.message.conversationId).toBe(CB);
      expect(fromB.conversation.id).toBe(CB);
    });

    it('console-only events are refused to visitors; statuses are set for oneself only', async () => {
      failure(await ask(bSocket, 'conversations.list', {}), 'FORBIDDEN');
      failure(await ask(bSocket, 'agent.status.set', { status: 'online' }), 'FORBIDDEN');
      // Admins have no status.
      failure(await ask(adminSocket, 'agent.status.set', { status: 'online' }), 'FORBIDDEN');
      const own = await ask(ySocket, 'agent.status.set', { status: 'online' });
      expect(own).toMatchObject({ ok: true, agent: { id: Y.id, status: 'online' } });
      const listed = await ask(ySocket, 'conversations.list', {});
      expect(listed).toMatchObject({ ok: true });
      expect(typed(ConversationListResponse, listed).conversations.map((c) => c.id)).toEqual([CB]);
      // An admin reads but neither marks read nor types.
      failure(
        await ask(adminSocket, 'conversation.read', { conversationId: CA, seq: 1 }),
        'FORBIDDEN',
      );
      failure(
        await ask(adminSocket, 'typing', { conversationId: CA, isTyping: true }),
        'FORBIDDEN',
      );
      const adminList = await ask(adminSocket, 'messages.list', { conversationId: CA });
      expect(adminList).toMatchObject({ ok: true });
    });

    it('a refused typing is refused again at once, not answered as throttled', async () => {
      for (const socket of [bSocket, ySocket]) {
        const payload = { conversationId: CA, isTyping: true };
        failure(await ask(socket, 'typing', payload), 'FORBIDDEN');
        failure(await ask(socket, 'typing', payload), 'FORBIDDEN');
      }
    });
  });

  it('after all that, CA and X are as they were, and X and A heard nothing of it', async () => {
    expect(await snapshotOfCA()).toEqual({ ...before, statusOfY: 'online' });
    await w.consoleFence(xSocket);
    await visitorFence();
    expect(heardByX).toEqual([]);
    expect(heardByA).toEqual([]);
  });

  it('a visitor never sees an agent’s username or id, in any event or answer', async () => {
    const P = await createAgent('hidden-login-p', 'Pat');
    const Q = await createAgent('hidden-login-q', 'Quinn');
    for (const agent of [X, Y]) await t.setStatus(agent.token, 'away');
    await t.setStatus(P.token, 'online');
    await t.setStatus(Q.token, 'away');
    const me = await w.request('GET', '/api/v1/me', { token: t.adminToken });
    const secrets = [
      P.id,
      Q.id,
      P.username,
      Q.username,
      X.id,
      Y.id,
      bodyOf(me, MeResponse).account.id,
    ];
    for (const s of [P.username, Q.username]) expect(s).toMatch(/^hidden-login-/);

    const visitor = await t.visitor();
    const seen: { event: string; payload: unknown }[] = [];
    const tab1 = await t.connect(visitor.token);
    const tab2 = await t.connect(visitor.token);
    for (const tab of [tab1, tab2]) {
      tab.onAny((event: string, payload: unknown) => seen.push({ event, payload }));
    }
    const pSocket = await t.connect(P.token);
    const qSocket = await t.connect(Q.token);
    const answers: unknown[] = [];
    const askOk = async (socket: Socket, event: string, payload: unknown) => {
      const ack = await ask(socket, event, payload);
      expect(ack, JSON.stringify(ack)).toMatchObject({ ok: true });
      if (socket === tab1 || socket === tab2) answers.push(ack);
      return ack;
    };
    const rest = async (method: string, url: string, body?: unknown) => {
      const answer = await w.request(method, url, {
        token: visitor.token,
        ...(body ? { body } : {}),
      });
      answers.push(answer.body);
      return answer;
    };

    const first = okAck(
      typed(SendAck, await askOk(tab1, 'message.send', text('Hi, who is there?'))),
    );
    const id = first.message.conversationId;
    expect(first.conversation.agent).toEqual({ name: 'Pat', avatarUrl: null });
    await askOk(pSocket, 'message.send', { conversationId: id, ...text('Pat here') });
    await askOk(pSocket, 'typing', { conversationId: id, isTyping: true });
    await askOk(pSocket, 'conversation.read', { conversationId: id, seq: 100 });
    await askOk(tab1, 'typing', { conversationId: id, isTyping: true });
    await askOk(tab2, 'conversation.read', { conversationId: id, seq: 100 });
    await askOk(tab1, 'messages.list', { conversationId: id });
    const moved = await w.request('POST', `/api/v1/conversations/${id}/transfer`, {
      token: P.token,
      body: { agentId: Q.id },
    });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    await askOk(qSocket, 'message.send', { conversationId: id, ...text('Quinn now') });
    await rest('POST', '/api/v1/visitor/messages', text('thanks'));
    await rest('GET', `/api/v1/conversations/${id}/messages`);
    await rest('POST', `/api/v1/conversations/${id}/read`, { seq: 100 });
    const ended = await w.request('POST', `/api/v1/conversations/${id}/end`, {
      token: t.adminToken,
    });
    expect(ended.status).toBe(200);
    await rest('POST', '/api/v1/visitor/messages', text('one more thing'));
    await rest('GET', '/api/v1/visitor/conversations');
    await rest('GET', '/api/v1/visitor/unread');
    await askOk(tab2, 'messages.list', { conversationId: id, after: 0 });

    await eventually(() => {
      const events = new Set(seen.map((s) => s.event));
      for (const e of ['message.created', 'conversation.updated', 'typing', 'conversation.read']) {
        expect(events.has(e), e).toBe(true);
      }
      const kinds = seen
        .filter((s) => s.event === 'message.created')
        .map((s) => typed(MessageCreatedPayload, s.payload).message.meta?.kind);
      expect(kinds).toEqual(expect.arrayContaining(['assigned', 'transferred', 'ended']));
    });
    const everything = JSON.stringify([seen, answers]).toLowerCase();
    // The scan covers what agents did: their display names are there...
    expect(everything).toContain('pat here');
    expect(everything).toContain('quinn');
    // ...their usernames and ids are not.
    for (const secret of secrets) {
      const at = everything.indexOf(secret.toLowerCase());
      expect(at, `${secret} at: ${everything.slice(Math.max(0, at - 300), at + 50)}`).toBe(-1);
    }
  });

  describe('socket authentication', () => {
    function rawConnect(auth: Record<string, unknown>): Promise<ConnectError> {
      const socket = connectSocket(t.url, {
        auth,
        transports: ['websocket'],
        reconnection: false,
      });
      rawSockets.push(socket);
      return new Promise((resolve, reject) => {
        socket.once('connect', () => reject(new Error(`connected with ${JSON.stringify(auth)}`)));
        socket.once('connect_error', (error) => resolve(error as ConnectError));
      });
    }

    it('refuses a connection without a valid token with UNAUTHENTICATED', async () => {
      const expired = await t.app.ctx.visitorTokens.issue(
        { visitorId: A.id, channelId: t.channelId },
        Date.now() - 60_000,
      );
      const [header, payload] = A.token.split('.');
      const otherSignature = B.token.split('.')[2];
      const foreign = await new SignJWT({ ch: t.channelId })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(A.id)
        .setIssuer('servicesystem')
        .setAudience('servicesystem:visitor')
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode('not-the-server-secret'));
      const unsigned = `${header}.${payload}.`;
      const logoutToken = await t.login(X.username, X.password);
      await w.request('POST', '/api/v1/auth/logout', { token: logoutToken });

      const cases: [string, Record<string, unknown>][] = [
        ['no auth', {}],
        ['empty token', { token: '' }],
        ['a number', { token: 12345 }],
        ['garbage', { token: 'garbage' }],
        ['a garbage session token', { token: 'sst_garbage' }],
        ['a long garbage session token', { token: `sst_${'a'.repeat(5000)}` }],
        ['an expired visitor token', { token: expired }],
        [
          'a visitor token with another signature',
          { token: `${header}.${payload}.${otherSignature}` },
        ],
        ['a visitor token signed with another secret', { token: foreign }],
        ['an unsigned visitor token', { token: unsigned }],
        ['a logged-out session', { token: logoutToken }],
      ];
      for (const [what, auth] of cases) {
        const error = await rawConnect(auth);
        expect(error.data?.code, what).toBe('UNAUTHENTICATED');
        expect(typeof error.message).toBe('string');
      }
      // The valid ones connect.
      for (const token of [A.token, X.token]) {
        const socket = await t.connect(token);
        expect(socket.connected).toBe(true);
      }
    });

    it('disabling an agent disconnects all their sockets at once; others stay', async () => {
      const W = await createAgent('soon-disabled', 'Wanda');
      const other = await t.login(W.username, W.password);
      const sockets = [await t.connect(W.token), await t.connect(W.token), await t.connect(other)];
      const gone = sockets.map((s) => nextEvent<string>(s, 'disconnect'));
      const off = await w.request('PATCH', `/api/v1/agents/${W.id}`, {
        token: t.adminToken,
        body: { enabled: false },
      });
      expect(off.status).toBe(200);
      expect(await Promise.all(gone)).toEqual([
        'io server disconnect',
        'io server disconnect',
        'io server disconnect',
      ]);
      // Coming back is refused.
      const retry = nextEvent<ConnectError>(sockets[0]!, 'connect_error');
      sockets[0]!.connect();
      expect((await retry).data?.code).toBe('UNAUTHENTICATED');
      // Everybody else is still connected and served.
      expect(ySocket.connected && xSocket.connected && adminSocket.connected).toBe(true);
      expect(await ask(ySocket, 'conversations.list', {})).toMatchObject({ ok: true });
    });

    it('logging out disconnects that session’s sockets only', async () => {
      const V = await createAgent('logs-out', 'Victor');
      const second = await t.login(V.username, V.password);
      const ending = [await t.connect(V.token), await t.connect(V.token)];
      const staying = await t.connect(second);
      const gone = ending.map((s) => nextEvent<string>(s, 'disconnect'));
      const out = await w.request('POST', '/api/v1/auth/logout', { token: V.token });
      expect(out.status).toBe(204);
      expect(await Promise.all(gone)).toEqual(['io server disconnect', 'io server disconnect']);
      expect(staying.connected).toBe(true);
      expect(await ask(staying, 'conversations.list', {})).toMatchObject({ ok: true });
      const retry = nextEvent<ConnectError>(ending[0]!, 'connect_error');
      ending[0]!.connect();
      expect((await retry).data?.code).toBe('UNAUTHENTICATED');
    });
  });
});
