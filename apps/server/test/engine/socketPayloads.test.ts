import { io as connectSocket, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AckError,
  AgentPresenceListResponse,
  ClientEvent,
  Conversation,
  ConversationListResponse,
  ConversationResponse,
  HealthResponse,
  MessageCreatedPayload,
  MessagePage,
  VisitorConversationListResponse,
} from '@servicesystem/protocol';
import { eventually, newClientMsgId, nextEvent, record, type LiveApp } from '../support/liveApp.js';
import { ask, bodyOf, okAck, SendAck, startWorld, typed, type World } from '../support/world.js';

type Role = 'visitor' | 'agent';

interface Spec {
  event: string;
  /** Only console users may call it: a visitor may be refused for the role instead. */
  consoleOnly: boolean;
  /** A payload the event accepts, for the given caller. */
  valid: (role: Role) => Record<string, unknown>;
  /** Payloads this event must refuse, besides the generic ones every event refuses. */
  bad: unknown[];
}

const long = (n: number) => 'x'.repeat(n);
const nested = (depth: number): unknown => (depth === 0 ? 'deep' : { a: nested(depth - 1) });

/** `valid` with an own `__proto__` key, as JSON.parse makes it (and a socket frame carries). */
function withProtoKey(valid: Record<string, unknown>): unknown {
  const rest = JSON.stringify(valid).slice(1, -1);
  return JSON.parse(`{"__proto__":{"polluted":"yes"}${rest ? `,${rest}` : ''}}`);
}

/** Payloads no event accepts. `payloadOptional`: an absent payload reads as `{}`. */
function genericBad(valid: Record<string, unknown>, payloadOptional: boolean): unknown[] {
  return [
    ...(payloadOptional ? [] : [undefined, null]),
    42,
    -1,
    'a string',
    true,
    [],
    [valid],
    Array(50_000).fill(1),
    Buffer.from('binary'),
    { ...valid, extra: 1 },
    { ...valid, isAdmin: true },
    withProtoKey(valid),
    { ...valid, constructor: { prototype: { polluted: 'yes' } } },
    { ...valid, prototype: { polluted: 'yes' } },
  ];
}

describe('bad socket payloads', () => {
  let w: World;
  let t: LiveApp;
  let agent: { id: string; token: string };
  let visitor: { id: string; token: string };
  let conversationId: string;
  let visitorSocket: Socket;
  let agentSocket: Socket;
  const rawSockets: Socket[] = [];

  const specs = (): Spec[] => [
    {
      event: ClientEvent.SendMessage,
      consoleOnly: false,
      valid: (role) => ({
        ...(role === 'agent' ? { conversationId } : {}),
        clientMsgId: newClientMsgId(),
        type: 'text',
        body: 'valid',
      }),
      bad: [
        { clientMsgId: 'a', type: 'text' },
        { clientMsgId: 'a', body: 'x' },
        { type: 'text', body: 'x' },
        { conversationId, clientMsgId: 'a', type: 'image', body: 'x' },
        { conversationId, clientMsgId: 'a', type: 'system', body: 'x' },
        { conversationId, clientMsgId: 'a', type: null, body: 'x' },
        { conversationId, clientMsgId: 'a', type: 'text', body: 42 },
        { conversationId, clientMsgId: 'a', type: 'text', body: null },
        { conversationId, clientMsgId: 'a', type: 'text', body: { toString: 'x' } },
        { conversationId, clientMsgId: 'a', type: 'text', body: ['x'] },
        { conversationId, clientMsgId: 'a', type: 'text', body: '' },
        { conversationId, clientMsgId: 'a', type: 'text', body: '\u0000 \u0001' },
        { conversationId, clientMsgId: 'a', type: 'text', body: long(5001) },
        { conversationId, clientMsgId: 'a', type: 'text', body: long(600_000) },
        { conversationId, clientMsgId: '', type: 'text', body: 'x' },
        { conversationId, clientMsgId: long(65), type: 'text', body: 'x' },
        { conversationId, clientMsgId: 'has space', type: 'text', body: 'x' },
        { conversationId, clientMsgId: '../../etc/passwd', type: 'text', body: 'x' },
        { conversationId, clientMsgId: 42, type: 'text', body: 'x' },
        { conversationId: 42, clientMsgId: 'a', type: 'text', body: 'x' },
        { conversationId: '', clientMsgId: 'a', type: 'text', body: 'x' },
        { conversationId: null, clientMsgId: 'a', type: 'text', body: 'x' },
        { conversationId: long(65), clientMsgId: 'a', type: 'text', body: 'x' },
        { conversationId: nested(300), clientMsgId: 'a', type: 'text', body: 'x' },
      ],
    },
    {
      event: ClientEvent.ListMessages,
      consoleOnly: false,
      valid: () => ({ conversationId }),
      bad: [
        {},
        { after: 1 },
        { conversationId: 42 },
        { conversationId: long(600_000) },
        { conversationId, after: -1 },
        { conversationId, after: 1.5 },
        { conversationId, after: '1' },
        { conversationId, after: 2 ** 53 },
        { conversationId, after: null },
        { conversationId, before: 0 },
        { conversationId, before: -5 },
        { conversationId, before: 1, after: 0 },
        { conversationId, limit: 0 },
        { conversationId, limit: 101 },
        { conversationId, limit: 1e9 },
        { conversationId, limit: '10' },
        { conversationId, limit: -1 },
      ],
    },
    {
      event: ClientEvent.MarkRead,
      consoleOnly: false,
      valid: () => ({ conversationId, seq: 1 }),
      bad: [
        { conversationId },
        { seq: 1 },
        { conversationId, seq: -1 },
        { conversationId, seq: 1.5 },
        { conversationId, seq: '3' },
        { conversationId, seq: 2 ** 53 },
        { conversationId, seq: -(2 ** 60) },
        { conversationId, seq: null },
        { conversationId, seq: true },
        { conversationId, seq: [1] },
      ],
    },
    {
      event: ClientEvent.Typing,
      consoleOnly: false,
      valid: () => ({ conversationId, isTyping: false }),
      bad: [
        { conversationId },
        { isTyping: true },
        { conversationId, isTyping: 'yes' },
        { conversationId, isTyping: 1 },
        { conversationId, isTyping: null },
        { conversationId: 7, isTyping: true },
      ],
    },
    {
      // Visitors only: refused for the role after validation, so bad payloads are invalid first.
      event: ClientEvent.ReportContext,
      consoleOnly: false,
      valid: () => ({ url: 'https://shop.example.com/p/1', title: 'A product' }),
      bad: [
        { url: 'javascript:alert(1)' },
        { url: 'data:text/html,<script>alert(1)</script>' },
        { url: `https://shop.example.com/${long(2048)}` },
        { url: 42 },
        { url: 'https://shop.example.com/', title: long(301) },
        { url: 'https://shop.example.com/', title: { text: 'x' } },
        { referrer: 'ftp://files.example.com/' },
        { language: '"><script>' },
        { language: long(36) },
        { timeZone: 'Mars/Olympus_Mons' },
        { timeZone: '../../etc/passwd' },
        { visitorId: 'someone-else', url: 'https://shop.example.com/' },
      ],
    },
    {
      event: ClientEvent.SetStatus,
      consoleOnly: true,
      valid: () => ({ status: 'online' }),
      bad: [{}, { status: 'busy' }, { status: 'ONLINE' }, { status: 1 }, { status: null }],
    },
    {
      event: ClientEvent.ListConversations,
      consoleOnly: true,
      valid: () => ({}),
      bad: [
        { state: 'closed' },
        { state: 42 },
        { limit: 0 },
        { limit: 101 },
        { limit: -1 },
        { limit: 'abc' },
        { limit: 1.5 },
        { agentId: '' },
        { agentId: long(65) },
        { agentId: 42 },
        { q: '' },
        { q: '    ' },
        { q: long(65) },
        { before: -1 },
        { channelId: '' },
      ],
    },
    {
      event: ClientEvent.CreateNote,
      consoleOnly: true,
      valid: () => ({ conversationId, clientNoteId: 'note-1', body: 'a note' }),
      bad: [
        { conversationId, body: 'no client id' },
        { conversationId, clientNoteId: 'note-2' },
        { conversationId, clientNoteId: 'note-3', body: '' },
        { conversationId, clientNoteId: 'note-4', body: '   ' },
        { conversationId, clientNoteId: 'note-5', body: long(5001) },
        { conversationId, clientNoteId: 'not ok!', body: 'x' },
        { conversationId, clientNoteId: 'note-6', body: 42 },
        { clientNoteId: 'note-7', body: 'x' },
        { conversationId, clientNoteId: 'note-8', body: 'x', extra: true },
      ],
    },
    {
      event: ClientEvent.EndConversation,
      consoleOnly: true,
      valid: () => ({ conversationId }),
      bad: [{}, { conversationId: 42 }, { conversationId: '' }, { conversationId: long(65) }],
    },
    {
      event: ClientEvent.TransferConversation,
      consoleOnly: true,
      valid: () => ({ conversationId, agentId: agent.id }),
      bad: [
        { conversationId },
        { agentId: agent.id },
        { conversationId, agentId: 42 },
        { conversationId, agentId: '' },
        { conversationId, agentId: long(65) },
      ],
    },
    {
      event: ClientEvent.AssignConversation,
      consoleOnly: true,
      valid: () => ({ conversationId, agentId: agent.id }),
      bad: [
        { conversationId },
        { agentId: agent.id },
        { conversationId, agentId: null },
        { conversationId: [conversationId], agentId: agent.id },
      ],
    },
  ];

  /** Everything a rejected payload could have changed. */
  async function snapshot() {
    const c = await w.request('GET', `/api/v1/conversations/${conversationId}`, {
      token: t.adminToken,
    });
    const all = await w.request('GET', '/api/v1/conversations?limit=100', {
      token: t.adminToken,
    });
    const mine = await w.request('GET', '/api/v1/visitor/conversations', { token: visitor.token });
    const presence = await w.request('GET', '/api/v1/presence', { token: t.adminToken });
    const page = await w.request('GET', `/api/v1/conversations/${conversationId}/messages`, {
      token: t.adminToken,
    });
    const { lastMessage: _lastMessage, ...conversation } = Conversation.parse(
      bodyOf(c, ConversationResponse).conversation,
    );
    return {
      conversation,
      messages: MessagePage.parse(page.body).messages.map((m) => m.id),
      conversations: bodyOf(all, ConversationListResponse).conversations.length,
      visitorConversations: bodyOf(mine, VisitorConversationListResponse).conversations.length,
      agents: bodyOf(presence, AgentPresenceListResponse).agents,
    };
  }

  function expectRefused(ack: unknown, codes: string[], what: string): void {
    const parsed = AckError.safeParse(ack);
    expect(parsed.success, `${what}: ${JSON.stringify(ack)?.slice(0, 300)}`).toBe(true);
    const { code, message, issues } = parsed.data!.error;
    expect(codes, `${what}: ${code} ${message}`).toContain(code);
    expect(message.length).toBeGreaterThan(0);
    if (code === 'VALIDATION_FAILED') expect(issues?.length).toBeGreaterThan(0);
    // A refusal does not echo a huge input back.
    expect(JSON.stringify(ack).length, what).toBeLessThan(5000);
  }

  const describePayload = (payload: unknown) =>
    payload === undefined ? 'undefined' : (JSON.stringify(payload) ?? String(payload)).slice(0, 80);

  async function healthy(): Promise<void> {
    const health = await w.request('GET', '/healthz');
    expect(health.status).toBe(200);
    expect(HealthResponse.parse(health.body).status).toBe('ok');
  }

  beforeAll(async () => {
    w = await startWorld();
    t = w.app;
    ({
      id: conversationId,
      agent,
      visitor,
      visitorSocket,
      agentSocket,
    } = await w.servedConversation({ body: 'hello' }));
    expect((await w.conversation(conversationId)).state).toBe('active');
  });
  afterAll(async () => {
    for (const socket of rawSockets) socket.disconnect();
    await w.close();
  });

  it('refuses every bad payload on every client event with an ack error, changing nothing', async () => {
    const before = await snapshot();
    const all = specs();
    // Every client event is covered.
    expect(all.map((s) => s.event).sort()).toEqual(Object.values(ClientEvent).sort());

    let count = 0;
    for (const role of ['visitor', 'agent'] as const) {
      const socket = role === 'visitor' ? visitorSocket : agentSocket;
      const sends: Promise<void>[] = [];
      for (const spec of all) {
        const payloadOptional = spec.event === ClientEvent.ListConversations;
        const codes =
          role === 'visitor' && spec.consoleOnly
            ? ['VALIDATION_FAILED', 'FORBIDDEN']
            : ['VALIDATION_FAILED'];
        for (const payload of [...genericBad(spec.valid(role), payloadOptional), ...spec.bad]) {
          const what = `${role} ${spec.event} ${describePayload(payload)}`;
          count += 1;
          sends.push(
            ask(socket, spec.event, payload).then((ack) => expectRefused(ack, codes, what)),
          );
        }
      }
      // All at once: a barrage, not a polite queue.
      await Promise.all(sends);
    }
    expect(count).toBeGreaterThan(200);

    // Nothing was polluted in this process (the server runs in it).
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);

    expect(await snapshot()).toEqual(before);
    await healthy();

    // The same sockets still work.
    okAck(
      typed(
        SendAck,
        await ask(visitorSocket, ClientEvent.SendMessage, specs()[0]!.valid('visitor')),
      ),
    );
    const fromAgent = okAck(
      typed(SendAck, await ask(agentSocket, ClientEvent.SendMessage, specs()[0]!.valid('agent'))),
    );
    expect(fromAgent.message.seq).toBe(before.conversation.lastSeq + 2);
  });

  it('answers an absent payload to conversations.list as an empty filter, and refuses it elsewhere', async () => {
    const listed = await ask(agentSocket, ClientEvent.ListConversations);
    expect(listed).toMatchObject({ ok: true });
    expect(typed(ConversationListResponse, listed).conversations.map((c) => c.id)).toContain(
      conversationId,
    );
    for (const event of [ClientEvent.SendMessage, ClientEvent.MarkRead, ClientEvent.Typing]) {
      expectRefused(await ask(agentSocket, event), ['VALIDATION_FAILED'], event);
    }
  });

  it('refuses __proto__ and constructor keys by name, in an otherwise valid send', async () => {
    const valid = specs()[0]!.valid('agent');
    const { lastSeq } = (await snapshot()).conversation;
    for (const [payload, key] of [
      [withProtoKey(valid), '__proto__'],
      [{ ...valid, constructor: { prototype: { polluted: 'yes' } } }, 'constructor'],
    ] as const) {
      const ack = await ask(agentSocket, ClientEvent.SendMessage, payload);
      expectRefused(ack, ['VALIDATION_FAILED'], key);
      expect(AckError.parse(ack).error.issues?.[0]?.message).toContain(key);
    }
    expect((await snapshot()).conversation.lastSeq).toBe(lastSeq);
    // Nothing was stored under that client id: the valid send is a new message.
    const sent = okAck(typed(SendAck, await ask(agentSocket, ClientEvent.SendMessage, valid)));
    expect(sent.message).toMatchObject({ clientMsgId: valid.clientMsgId, seq: lastSeq + 1 });
  });

  it('refuses wrong types in conversations.list filters instead of coercing them', async () => {
    // The REST query schema coerces strings to numbers; a socket payload is typed JSON.
    for (const payload of [
      { limit: true },
      { limit: [5] },
      { limit: '5' },
      { before: null },
      { before: '' },
    ]) {
      expectRefused(
        await ask(agentSocket, ClientEvent.ListConversations, payload),
        ['VALIDATION_FAILED'],
        JSON.stringify(payload),
      );
    }
  });

  it('survives payloads sent without an ack callback, or with a non-function in its place', async () => {
    const before = await snapshot();
    const heard = record<unknown>(visitorSocket, 'message.created');
    for (const role of ['visitor', 'agent'] as const) {
      const socket = role === 'visitor' ? visitorSocket : agentSocket;
      for (const spec of specs()) {
        socket.emit(spec.event);
        for (const payload of [...genericBad(spec.valid(role), true), ...spec.bad]) {
          socket.emit(spec.event, payload);
          socket.emit(spec.event, payload, 'not a function');
          socket.emit(spec.event, payload, 42, { extra: 'argument' });
        }
      }
    }
    // A rejected payload is answered (to nobody) before any later frame is handled, so a
    // round trip on each socket shows they were all handled.
    expect(await ask(visitorSocket, ClientEvent.ListMessages, { conversationId })).toMatchObject({
      ok: true,
    });
    expect(await ask(agentSocket, ClientEvent.ListMessages, { conversationId })).toMatchObject({
      ok: true,
    });
    expect(await snapshot()).toEqual(before);
    expect(heard).toEqual([]);
    await healthy();

    // A valid send without an ack is still stored and delivered.
    const valid = specs()[0]!.valid('visitor');
    visitorSocket.emit(ClientEvent.SendMessage, valid);
    await eventually(() => expect(heard).toHaveLength(1));
    expect(typed(MessageCreatedPayload, heard[0]).message).toMatchObject({
      clientMsgId: valid.clientMsgId,
      body: 'valid',
    });
  });

  it('ignores unknown event names without crashing or answering', async () => {
    const before = await snapshot();
    for (const name of [
      'no.such.event',
      'message.delete',
      'hasOwnProperty',
      '__proto__',
      'constructor',
      'toString',
      long(1000),
    ]) {
      visitorSocket.emit(name, { conversationId });
      agentSocket.emit(name, { conversationId }, () => undefined);
    }
    // An unknown event gets no ack at all.
    await expect(visitorSocket.timeout(200).emitWithAck('no.such.event', {})).rejects.toThrow();
    expect(visitorSocket.connected && agentSocket.connected).toBe(true);
    const still = await ask(agentSocket, ClientEvent.ListMessages, {
      conversationId,
      limit: 1,
    });
    expect(still).toMatchObject({ ok: true });
    expect(await snapshot()).toEqual(before);
    await healthy();
  });

  describe('malformed frames', () => {
    /** A visitor socket that does not reconnect, to watch it be closed. */
    async function rawVisitorSocket(): Promise<Socket> {
      const socket = connectSocket(t.url, {
        auth: { token: visitor.token },
        transports: ['websocket'],
        reconnection: false,
      });
      rawSockets.push(socket);
      await nextEvent(socket, 'connect');
      return socket;
    }

    it('a frame the protocol cannot parse closes that connection only', async () => {
      const before = await snapshot();
      const frames = [
        '2["disconnect"]',
        '2["connect",{}]',
        '2["newListener","message.send"]',
        '2[{"a":1}]',
        '2["message.send",{"clientMsgId":',
        '2garbage',
        '9',
        '5-[]',
      ];
      for (const frame of frames) {
        const socket = await rawVisitorSocket();
        const closed = nextEvent<string>(socket, 'disconnect');
        (socket.io.engine as unknown as { write(data: string): void }).write(frame);
        expect(typeof (await closed), frame).toBe('string');
        // The others are fine.
        expect(visitorSocket.connected && agentSocket.connected, frame).toBe(true);
      }
      expect(await snapshot()).toEqual(before);
      expect(await ask(agentSocket, ClientEvent.ListMessages, { conversationId })).toMatchObject({
        ok: true,
      });
      await healthy();
    });

    it('a frame over the 1 MB limit closes that connection, stores nothing, and the server carries on', async () => {
      const before = await snapshot();
      const socket = await rawVisitorSocket();
      const closed = nextEvent<string>(socket, 'disconnect');
      socket.emit(ClientEvent.SendMessage, {
        clientMsgId: newClientMsgId(),
        type: 'text',
        body: long(1_200_000),
      });
      expect(await closed).toMatch(/transport (close|error)/);
      expect(await snapshot()).toEqual(before);
      expect(await ask(visitorSocket, ClientEvent.ListMessages, { conversationId })).toMatchObject({
        ok: true,
      });
      await healthy();
    });
  });

  it('answers numbers at the edge of the safe range instead of failing on them', async () => {
    const max = Number.MAX_SAFE_INTEGER;
    const { lastSeq } = (await snapshot()).conversation;
    const forward = await ask(agentSocket, ClientEvent.ListMessages, {
      conversationId,
      after: max,
    });
    expect.soft(forward).toEqual({ ok: true, messages: [], hasMore: false });
    const past32bit = await ask(agentSocket, ClientEvent.ListMessages, {
      conversationId,
      after: 2 ** 31,
    });
    expect.soft(past32bit).toEqual({ ok: true, messages: [], hasMore: false });
    const back = await ask(visitorSocket, ClientEvent.ListMessages, {
      conversationId,
      before: max,
      limit: 2,
    });
    expect.soft(back, JSON.stringify(back)).toMatchObject({ ok: true });
    expect
      .soft((MessagePage.safeParse(back).data?.messages ?? []).map((m) => m.seq))
      .toEqual([lastSeq - 1, lastSeq]);
    for (const query of [`?after=${max}`, `?before=${max}`, `?after=${2 ** 31}`]) {
      const answer = await w.request(
        'GET',
        `/api/v1/conversations/${conversationId}/messages${query}`,
        {
          token: visitor.token,
        },
      );
      expect.soft(answer.status, `${query}: ${JSON.stringify(answer.body)}`).toBe(200);
    }
    const listed = await ask(agentSocket, ClientEvent.ListConversations, { before: max });
    expect.soft(listed, JSON.stringify(listed)).toMatchObject({ ok: true });
    const rest = await w.request('GET', `/api/v1/conversations?before=${max}`, {
      token: agent.token,
    });
    expect.soft(rest.status).toBe(200);
    // Reading "up to the end of time" reads up to the last message.
    const read = await ask(agentSocket, ClientEvent.MarkRead, { conversationId, seq: max });
    expect.soft(read).toEqual({ ok: true, seq: lastSeq });
    const restRead = await w.request('POST', `/api/v1/conversations/${conversationId}/read`, {
      token: visitor.token,
      body: { seq: max },
    });
    expect.soft([restRead.status, restRead.body]).toEqual([200, { seq: lastSeq }]);
    await healthy();
  });
});
