import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import { newClientMsgId, startLiveApp, type LiveApp } from '../support/liveApp.js';

/**
 * What one address or one client may take from the server: new visitor sessions per address,
 * client events per socket (reads included), sockets per visitor, and one typing broadcast a
 * second however many typing events arrive at once.
 */
describe('per-address and per-socket limits', () => {
  let t: LiveApp;
  beforeAll(async () => {
    t = await startLiveApp({
      VISITOR_SESSIONS_PER_ADDRESS_PER_MINUTE: '5',
      SOCKET_EVENTS_BURST: '10',
      SOCKET_EVENTS_PER_MINUTE: '60',
    });
  });
  afterAll(() => t.close());

  const session = (ip: string) =>
    t.request('POST', '/api/v1/visitor/session', { body: { channelId: t.channelId }, ip });

  it('holds one address to its new visitors a minute, with 429 and Retry-After; others go on', async () => {
    const first = await session('203.0.113.7');
    expect(first.status).toBe(200);
    for (let i = 0; i < 4; i++) expect((await session('203.0.113.7')).status).toBe(200);
    const refused = await session('203.0.113.7');
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('RATE_LIMITED');
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((await session('203.0.113.8')).status).toBe(200);
    // A returning visitor (a page reload, its token) is not a new one: not counted, not refused.
    const returning = await t.request('POST', '/api/v1/visitor/session', {
      body: { channelId: t.channelId },
      token: first.body.visitorToken as string,
      ip: '203.0.113.7',
    });
    expect(returning.status).toBe(200);
    expect(returning.body.visitor.id).toBe(first.body.visitor.id);
  });

  it('limits every event on a socket, reads included, answering RATE_LIMITED in the ack', async () => {
    const visitor = await session('198.51.100.1');
    const token = visitor.body.visitorToken as string;
    const sent = await t.request('POST', '/api/v1/visitor/messages', {
      token,
      body: { clientMsgId: newClientMsgId(), type: 'text', body: 'hello' },
    });
    const conversationId = sent.body.conversation.id as string;
    const socket = await t.connect(token);
    const answers: { ok: boolean; error?: { code: string; retryAfterSeconds?: number } }[] = [];
    for (let i = 0; i < 25; i++) {
      answers.push(await socket.emitWithAck('messages.list', { conversationId }));
    }
    expect(answers.slice(0, 10).every((a) => a.ok)).toBe(true);
    const limited = answers.filter((a) => !a.ok);
    expect(limited.length).toBeGreaterThanOrEqual(14);
    expect(limited[0]!.error!.code).toBe('RATE_LIMITED');
    expect(limited[0]!.error!.retryAfterSeconds).toBeGreaterThan(0);
    // Another socket has its own allowance, and the limited one stays connected.
    const other = await t.connect(visitor.body.visitorToken as string);
    expect((await other.emitWithAck('messages.list', { conversationId })).ok).toBe(true);
    expect(socket.connected).toBe(true);
  });

  it('accepts at most 10 sockets for one visitor', async () => {
    const visitor = await session('198.51.100.2');
    const token = visitor.body.visitorToken as string;
    const open: Socket[] = [];
    for (let i = 0; i < 10; i++) open.push(await t.connect(token));
    const eleventh = await t.connect(token, { autoConnect: false });
    const refused = new Promise<{ message: string; data?: { code: string } }>((resolve) =>
      eleventh.once('connect_error', (error) => resolve(error as never)),
    );
    eleventh.connect();
    expect((await refused).data?.code).toBe('RATE_LIMITED');
    // One closed makes room again.
    open[0]!.disconnect();
    await expect
      .poll(async () => {
        const again = await t.connect(token).then(
          (s) => s,
          () => null,
        );
        again?.disconnect();
        return again !== null;
      })
      .toBe(true);
  });
});

describe('per client address behind a trusted proxy: new conversations and open sockets', () => {
  let t: LiveApp;
  beforeAll(async () => {
    t = await startLiveApp({
      TRUST_PROXY: '1',
      CONVERSATIONS_PER_ADDRESS_PER_MINUTE: '3',
      SOCKETS_PER_ADDRESS: '4',
    });
  });
  afterAll(() => t.close());

  const from = (address: string) => ({ 'x-forwarded-for': address });
  const firstMessage = (token: string, address: string) =>
    t.request('POST', '/api/v1/visitor/messages', {
      token,
      headers: from(address),
      body: { clientMsgId: newClientMsgId(), type: 'text', body: 'hello' },
    });
  const refusalOf = (socket: Socket) =>
    new Promise<{ data?: { code: string } }>((resolve) =>
      socket.once('connect_error', (error) => resolve(error as never)),
    );

  it('holds one address to its new conversations a minute, over REST and sockets alike', async () => {
    const visitors = await Promise.all(Array.from({ length: 5 }, () => t.visitor()));
    for (const visitor of visitors.slice(0, 3)) {
      expect((await firstMessage(visitor.token, '203.0.113.20')).status).toBe(201);
    }
    const refused = await firstMessage(visitors[3]!.token, '203.0.113.20');
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('RATE_LIMITED');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // Nothing was started for it.
    const mine = await t.request('GET', '/api/v1/visitor/conversations', {
      token: visitors[3]!.token,
    });
    expect(mine.body.conversations).toEqual([]);
    // A visitor already in a conversation goes on writing; another address starts its own.
    expect((await firstMessage(visitors[0]!.token, '203.0.113.20')).status).toBe(201);
    expect((await firstMessage(visitors[4]!.token, '203.0.113.21')).status).toBe(201);
    // The socket's address comes from the same trusted header.
    const socket = await t.connect(visitors[3]!.token, { headers: from('203.0.113.20') });
    const ack = await socket.emitWithAck('message.send', {
      clientMsgId: newClientMsgId(),
      type: 'text',
      body: 'hello?',
    });
    expect(ack).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
  });

  it('accepts a set number of open sockets per address, and room again once one closes', async () => {
    const visitor = await t.visitor();
    const open: Socket[] = [];
    for (let i = 0; i < 4; i++) {
      open.push(await t.connect(visitor.token, { headers: from('198.51.100.30') }));
    }
    const fifth = await t.connect(visitor.token, {
      autoConnect: false,
      headers: from('198.51.100.30'),
    });
    const refused = refusalOf(fifth);
    fifth.connect();
    expect((await refused).data?.code).toBe('RATE_LIMITED');
    // Another address is not held back by this one.
    const elsewhere = await t.connect(visitor.token, { headers: from('198.51.100.31') });
    expect(elsewhere.connected).toBe(true);
    open[0]!.disconnect();
    await expect
      .poll(async () => {
        const again = await t
          .connect(visitor.token, { headers: from('198.51.100.30') })
          .catch(() => null);
        again?.disconnect();
        return again !== null;
      })
      .toBe(true);
  });
});

describe('typing', () => {
  let t: LiveApp;
  beforeAll(async () => {
    t = await startLiveApp();
  });
  afterAll(() => t.close());

  it('broadcasts one "is typing" a second however many arrive at once', async () => {
    const agent = await t.agent({ status: 'online' });
    const visitor = await t.visitor();
    const sent = await t.request('POST', '/api/v1/visitor/messages', {
      token: visitor.token,
      body: { clientMsgId: newClientMsgId(), type: 'text', body: 'hello' },
    });
    const conversationId = sent.body.conversation.id as string;
    const agentSocket = await t.connect(agent.token);
    const heard: unknown[] = [];
    agentSocket.on('typing', (payload) => heard.push(payload));
    const visitorSocket = await t.connect(visitor.token);
    const answers = await Promise.all(
      Array.from({ length: 50 }, () =>
        visitorSocket.emitWithAck('typing', { conversationId, isTyping: true }),
      ),
    );
    expect(answers.every((a: { ok: boolean }) => a.ok)).toBe(true);
    expect(answers.filter((a: { throttled?: boolean }) => !a.throttled)).toHaveLength(1);
    // A fence: stopping typing is always sent, and arrives after any earlier broadcast.
    await visitorSocket.emitWithAck('typing', { conversationId, isTyping: false });
    await expect.poll(() => heard.length).toBe(2);
    expect(heard[0]).toMatchObject({ conversationId, isTyping: true });
  });
});
