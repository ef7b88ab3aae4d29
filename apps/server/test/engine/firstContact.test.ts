import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AgentStatusPayload, QueuePositionPayload } from '@servicesystem/protocol';
import {
  ChannelResponse,
  Conversation,
  EmbedCheckResponse,
  SetupStatus,
  ServerEvent,
} from '@servicesystem/protocol';
import { maxOriginsPerChannel } from '../../src/domain/channels/embedSightings.js';
import {
  newClientMsgId,
  nextEvent,
  record,
  startLiveApp,
  type LiveApp,
} from '../support/liveApp.js';
import { startTestApp, type TestApp } from '../support/testApp.js';

const text = (body: string) => ({ clientMsgId: newClientMsgId(), type: 'text', body });

describe('the embed check: embed.js asks before it draws, and admins see where it ran', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ PUBLIC_URL: 'https://chat.example.com' });
  });
  afterAll(() => t.close());

  const check = (channel: string, origin?: string, ip = '198.51.100.1') =>
    t.request('GET', `/api/v1/embed/check?channel=${encodeURIComponent(channel)}`, {
      ...(origin === undefined ? {} : { headers: { origin } }),
      ip,
    });
  const channel = async () =>
    ChannelResponse.parse(
      (await t.request('GET', `/api/v1/channels/${channelId}`, { token: t.adminToken })).body,
    ).channel;
  let channelId: string;
  beforeAll(async () => {
    const made = await t.request('POST', '/api/v1/channels', {
      token: t.adminToken,
      body: { name: 'Shop' },
    });
    channelId = made.body.channel.id as string;
  });

  it('answers whether the asking page may show the bubble, readable from any site', async () => {
    const refused = await check(channelId, 'https://shop.example');
    expect(refused.status).toBe(200);
    expect(refused.headers['access-control-allow-origin']).toBe('*');
    expect(EmbedCheckResponse.strict().parse(refused.body)).toEqual({
      allowed: false,
      origin: 'https://shop.example',
    });
    // Our own pages (the demo page, the visitor page) and a same-origin call without Origin.
    expect((await check(channelId, 'https://chat.example.com')).body.allowed).toBe(true);
    expect((await check(channelId)).body).toEqual({ allowed: true, origin: null });
    // A sandboxed frame, a file, nonsense: never allowed, never recorded.
    for (const odd of ['null', 'javascript:alert(1)', 'https://a.example/path', 'x'.repeat(300)]) {
      expect((await check(channelId, odd)).body).toEqual({ allowed: false, origin: null });
    }
    const unknown = await check('no-such-channel', 'https://shop.example');
    expect(unknown.status).toBe(404);
    expect(unknown.headers['access-control-allow-origin']).toBe('*');
    expect(unknown.body.error.code).toBe('NOT_FOUND');
    for (const bad of ['', '\u0000abc', 'x'.repeat(65)]) {
      const refused = await check(bad, 'https://shop.example');
      expect(refused.status).toBe(400);
      expect(refused.body.error.code).toBe('VALIDATION_FAILED');
    }
  });

  it('lists blocked sites for admins with counts, and an allowed site as loaded instead', async () => {
    await check(channelId, 'https://blog.example');
    await check(channelId, 'https://blog.example');
    await t.app.sightings.flush();
    const seen = await channel();
    const blog = seen.blockedOrigins!.find((s) => s.origin === 'https://blog.example');
    expect(blog).toMatchObject({ count: 2 });
    expect(blog!.lastSeenAt).toBeGreaterThan(Date.now() - 60_000);
    expect(seen.blockedOrigins!.map((s) => s.origin)).not.toContain('null');
    expect(seen.loadedOrigins).toEqual([]);

    // One click: allowed. The site leaves the blocked list; its next load is a "loaded".
    const allowed = await t.request('PATCH', `/api/v1/channels/${channelId}`, {
      token: t.adminToken,
      body: { allowedOrigins: ['https://blog.example'] },
    });
    expect(
      allowed.body.channel.blockedOrigins.map((s: { origin: string }) => s.origin),
    ).not.toContain('https://blog.example');
    expect((await check(channelId, 'https://blog.example')).body.allowed).toBe(true);
    await t.app.sightings.flush();
    expect((await channel()).loadedOrigins).toEqual([
      expect.objectContaining({ origin: 'https://blog.example', count: 1 }),
    ]);

    // Agents read channels but never where the embed ran.
    const agent = await t.createAccount();
    const asAgent = await t.request('GET', `/api/v1/channels/${channelId}`, { token: agent.token });
    expect(asAgent.body.channel.blockedOrigins).toBeUndefined();
    expect(asAgent.body.channel.loadedOrigins).toBeUndefined();
  });

  it('keeps the 50 most recent sites per channel, and writes a flood as one row per site', async () => {
    const now = Date.now();
    for (let i = 0; i < maxOriginsPerChannel + 10; i++) {
      // The ten oldest strictly older than the rest: sightings in one millisecond tie.
      if (i === 10) await new Promise((resolve) => setTimeout(resolve, 5));
      // Straight to the recorder: the route's per-address limit would stop one test address.
      await t.app.sightings.check(
        channelId,
        `https://site-${i}.example`,
        'https://chat.example.com',
      );
    }
    for (let i = 0; i < 200; i++) {
      await t.app.sightings.check(channelId, 'https://busy.example', 'https://chat.example.com');
    }
    await t.app.sightings.flush();
    const blocked = (await channel()).blockedOrigins!;
    expect(blocked).toHaveLength(maxOriginsPerChannel);
    expect(blocked.find((s) => s.origin === 'https://busy.example')?.count).toBe(200);
    expect(blocked.map((s) => s.origin)).not.toContain('https://site-0.example');
    expect(blocked.every((s) => s.lastSeenAt >= now - 60_000)).toBe(true);
    const rows = await t.app.ctx.db
      .selectFrom('channel_origins')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('channel_id', '=', channelId)
      .where('outcome', '=', 'blocked')
      .executeTakeFirstOrThrow();
    expect(Number(rows.n)).toBe(maxOriginsPerChannel);
  });

  it('limits each address: past its allowance a clear 429, still readable by the page', async () => {
    const ip = '203.0.113.9';
    const answers = [];
    for (let i = 0; i < 40; i++) answers.push(await check(channelId, 'https://shop.example', ip));
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]!.body.error.code).toBe('RATE_LIMITED');
    expect(limited[0]!.headers['retry-after']).toBeDefined();
    expect(limited[0]!.headers['access-control-allow-origin']).toBe('*');
    // Another address is not held back.
    expect((await check(channelId, 'https://shop.example', '203.0.113.10')).status).toBe(200);
  });

  it('a deleted channel takes its sightings with it, also those still waiting to be written', async () => {
    const made = await t.request('POST', '/api/v1/channels', {
      token: t.adminToken,
      body: { name: 'Doomed' },
    });
    const doomed = made.body.channel.id as string;
    await check(doomed, 'https://gone.example', '198.51.100.77');
    const removed = await t.request('DELETE', `/api/v1/channels/${doomed}`, {
      token: t.adminToken,
    });
    expect(removed.status).toBe(204);
    await t.app.sightings.flush();
    const left = await t.app.ctx.db
      .selectFrom('channel_origins')
      .selectAll()
      .where('channel_id', '=', doomed)
      .execute();
    expect(left).toEqual([]);
  });
});

describe('the setup checklist ticks itself from real state', () => {
  let t: LiveApp;
  beforeEach(async () => {
    t = await startLiveApp();
  });
  afterEach(() => t.close());

  it('through a whole first run', async () => {
    const status = async () =>
      SetupStatus.strict().parse(
        (await t.request('GET', '/api/v1/setup', { token: t.adminToken })).body,
      );
    const fresh = await status();
    expect(fresh).toEqual({
      steps: {
        agentCreated: false,
        siteAllowed: false,
        snippetLoaded: false,
        agentOnline: false,
        firstConversation: false,
      },
      complete: false,
      channelId: t.channelId,
    });

    const agent = await t.agent();
    expect((await status()).steps).toMatchObject({ agentCreated: true, agentOnline: false });
    const forbidden = await t.request('GET', '/api/v1/setup', { token: agent.token });
    expect(forbidden.status).toBe(403);

    await t.request('PATCH', `/api/v1/channels/${t.channelId}`, {
      token: t.adminToken,
      body: { allowedOrigins: ['https://shop.example'] },
    });
    expect((await status()).steps.siteAllowed).toBe(true);

    await t.request('GET', `/api/v1/embed/check?channel=${t.channelId}`, {
      headers: { origin: 'https://shop.example' },
    });
    await t.app.sightings.flush();
    expect((await status()).steps.snippetLoaded).toBe(true);

    await t.setStatus(agent.token, 'online');
    expect((await status()).steps.agentOnline).toBe(true);

    const visitor = await t.visitor();
    await t.request('POST', '/api/v1/visitor/messages', { token: visitor.token, body: text('Hi') });
    const done = await status();
    expect(done.steps.firstConversation).toBe(true);
    expect(done.complete).toBe(true);
  });
});

describe('an agent’s status is theirs across logins', () => {
  let t: LiveApp;
  beforeEach(async () => {
    t = await startLiveApp({ AGENT_OFFLINE_GRACE_SECONDS: '1' });
  });
  afterEach(() => t.close());

  it('a new agent starts online at their first console login; later logins bring back their choice', async () => {
    const admin = await t.connect(t.adminToken);
    const created = await t.request('POST', '/api/v1/accounts', {
      token: t.adminToken,
      body: { username: 'newbie', displayName: 'Newbie', password: 'newbie-password' },
    });
    const agentId = created.body.account.id as string;
    const token = await t.login('newbie', 'newbie-password');
    const statusOf = (wanted: string) =>
      nextEvent<AgentStatusPayload>(
        admin,
        ServerEvent.AgentStatus,
        (p) => p.id === agentId && p.status === wanted,
      );

    const online = statusOf('online');
    let socket = await t.connect(token);
    expect((await online).status).toBe('online');

    // They choose away, close the console, and are offline once the grace has passed.
    await t.setStatus(token, 'away');
    const offline = statusOf('offline');
    socket.disconnect();
    await offline;
    // Back the next day: away, as they left it.
    const away = statusOf('away');
    socket = await t.connect(token);
    await away;

    // Chosen offline: logging in does not switch them on.
    await t.setStatus(token, 'offline');
    socket.disconnect();
    const events = record<AgentStatusPayload>(admin, ServerEvent.AgentStatus);
    await t.connect(token);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(events.filter((e) => e.id === agentId && e.status !== 'offline')).toEqual([]);
    const presence = await t.request('GET', '/api/v1/presence', { token: t.adminToken });
    expect(presence.body.agents.find((a: { id: string }) => a.id === agentId).status).toBe(
      'offline',
    );
  });
});

describe('true words while waiting', () => {
  let t: LiveApp;
  beforeEach(async () => {
    t = await startLiveApp();
  });
  afterEach(() => t.close());

  const queuedConversation = async (token: string) => {
    const sent = await t.request('POST', '/api/v1/visitor/messages', {
      token,
      body: text('Anyone there?'),
    });
    expect(sent.status).toBe(201);
    return sent.body.conversation as { id: string; queueReason: string; state: string };
  };

  it('nobody online, then busy agents, then off hours: the visitor is told which, live', async () => {
    const visitor = await t.visitor();
    const first = await queuedConversation(visitor.token);
    expect(first).toMatchObject({ state: 'queued', queueReason: 'nobodyOnline' });

    // An agent with room for one comes online and takes it.
    const agent = await t.agent({ maxConcurrent: 1 });
    await t.setStatus(agent.token, 'online');
    const served = await t.request('GET', `/api/v1/conversations/${first.id}`, {
      token: t.adminToken,
    });
    expect(Conversation.parse(served.body.conversation).state).toBe('active');

    // The next visitor waits because the only agent is busy.
    const second = await t.visitor();
    const socket = await t.connect(second.token);
    const waiting = await queuedConversation(second.token);
    expect(waiting).toMatchObject({ state: 'queued', queueReason: 'busy' });

    // The last agent leaves: whoever waits is told nobody is online now.
    const told = nextEvent<QueuePositionPayload>(
      socket,
      ServerEvent.QueuePosition,
      (p) => p.conversationId === waiting.id,
    );
    await t.setStatus(agent.token, 'offline');
    expect(await told).toEqual({ conversationId: waiting.id, position: 1, reason: 'nobodyOnline' });
    const now = await t.request('GET', `/api/v1/conversations/${waiting.id}`, {
      token: t.adminToken,
    });
    expect(now.body.conversation.queueReason).toBe('nobodyOnline');

    // A closed channel with nobody online: off hours.
    const night = await t.request('POST', '/api/v1/channels', {
      token: t.adminToken,
      body: { name: 'Night', businessHours: { timezone: 'UTC', weekly: {} } },
    });
    const late = await t.visitor({ channelId: night.body.channel.id as string });
    expect((await queuedConversation(late.token)).queueReason).toBe('offHours');
  });
});

describe('unread counts only the other side’s messages, and previews skip notices', () => {
  let t: LiveApp;
  beforeAll(async () => {
    t = await startLiveApp();
  });
  afterAll(() => t.close());

  it('one visitor message: a badge of 1 and the visitor’s question as the preview', async () => {
    const agent = await t.agent({ status: 'online' });
    const visitor = await t.visitor();
    const sent = await t.request('POST', '/api/v1/visitor/messages', {
      token: visitor.token,
      body: text('Where is my order?'),
    });
    const id = sent.body.conversation.id as string;
    const list = await t.request('GET', `/api/v1/conversations?agentId=${agent.id}`, {
      token: agent.token,
    });
    const row = Conversation.parse(
      list.body.conversations.find((c: { id: string }) => c.id === id),
    );
    // welcome (1), the question (2), "assigned" (3): one unread, the question previewed.
    expect(row).toMatchObject({ lastSeq: 3, unread: 1 });
    expect(row.lastMessage).toMatchObject({ seq: 2, body: 'Where is my order?' });
    await t.request('POST', `/api/v1/conversations/${id}/end`, { token: agent.token });
    const ended = Conversation.parse(
      (await t.request('GET', `/api/v1/conversations/${id}`, { token: agent.token })).body
        .conversation,
    );
    expect(ended.lastMessage?.body).toBe('Where is my order?');
    await t.setStatus(agent.token, 'away');
  });

  it('matches a count of the stored messages after any mix of sends, reads and notices', async () => {
    const agent = await t.agent({ status: 'online', maxConcurrent: null });
    type Step =
      | { kind: 'visitor' }
      | { kind: 'agent' }
      | { kind: 'read'; side: 'visitor' | 'agent'; back: number };
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.constant({ kind: 'visitor' as const }),
      fc.constant({ kind: 'agent' as const }),
      fc.record({
        kind: fc.constant('read' as const),
        side: fc.constantFrom('visitor' as const, 'agent' as const),
        back: fc.integer({ min: 0, max: 3 }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 10 }), async (steps) => {
        const visitor = await t.visitor();
        const first = await t.request('POST', '/api/v1/visitor/messages', {
          token: visitor.token,
          body: text('start'),
        });
        const id = first.body.conversation.id as string;
        for (const s of steps) {
          if (s.kind === 'visitor') {
            await t.request('POST', '/api/v1/visitor/messages', {
              token: visitor.token,
              body: text('v'),
            });
          } else if (s.kind === 'agent') {
            await t.request('POST', `/api/v1/conversations/${id}/messages`, {
              token: agent.token,
              body: text('a'),
            });
          } else {
            const row = await t.app.ctx.db
              .selectFrom('conversations')
              .select('last_seq')
              .where('id', '=', id)
              .executeTakeFirstOrThrow();
            await t.request('POST', `/api/v1/conversations/${id}/read`, {
              token: s.side === 'agent' ? agent.token : visitor.token,
              body: { seq: Math.max(0, row.last_seq - s.back) },
            });
          }
        }
        // The end notice comes last: it must not count for anyone.
        await t.request('POST', `/api/v1/conversations/${id}/end`, { token: agent.token });
        const c = Conversation.parse(
          (await t.request('GET', `/api/v1/conversations/${id}`, { token: agent.token })).body
            .conversation,
        );
        const messages = await t.app.ctx.db
          .selectFrom('messages')
          .select(['seq', 'sender_type'])
          .where('conversation_id', '=', id)
          .execute();
        const count = (sender: string, after: number) =>
          messages.filter((m) => m.sender_type === sender && m.seq > after).length;
        expect(c.unread).toBe(count('visitor', c.agentReadSeq));
        const mine = await t.request('GET', '/api/v1/visitor/conversations', {
          token: visitor.token,
        });
        expect(mine.body.conversations[0].unread).toBe(count('agent', c.visitorReadSeq));
        const nonSystem = messages.filter((m) => m.sender_type !== 'system');
        expect(c.lastMessage?.seq).toBe(Math.max(...nonSystem.map((m) => m.seq)));
      }),
      { numRuns: 12 },
    );
  });
});
