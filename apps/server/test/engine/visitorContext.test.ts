import { SignJWT } from 'jose';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ClientEvent,
  ServerEvent,
  VisitorContextResponse,
  type VisitorContext,
} from '@servicesystem/protocol';
import { record } from '../support/liveApp.js';
import {
  ackFailure,
  ask,
  bodyOf,
  errorOf,
  startWorld,
  waitFor,
  type ServedConversation,
  type World,
} from '../support/world.js';

const userAgents = {
  desktopChrome:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  iphoneSafari:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1',
  androidWeChat:
    'Mozilla/5.0 (Linux; Android 13; V2183A Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/107.0.5304.141 Mobile Safari/537.36 XWEB/5023 MMWEBSDK/20230303 MMWEBID/2585 MicroMessenger/8.0.34.2340(0x2800225D) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64',
};

describe("the visitor's context", () => {
  let w: World;
  let secret: string;

  beforeAll(async () => {
    w = await startWorld();
    const channel = await w.request('GET', `/api/v1/channels/${w.app.channelId}`, {
      token: w.adminToken,
    });
    secret = (channel.body as { channel: { identitySecret: string } }).channel.identitySecret;
  });
  afterAll(() => w.close());

  async function contextOf(conversationId: string, token = w.adminToken): Promise<VisitorContext> {
    const answer = await w.request(
      'GET',
      `/api/v1/conversations/${conversationId}/visitor-context`,
      {
        token,
      },
    );
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return bodyOf(answer, VisitorContextResponse).context;
  }

  /** A served conversation whose visitor's socket says it is `userAgent`. */
  async function servedWith(userAgent: string): Promise<ServedConversation> {
    const served = await w.servedConversation();
    served.visitorSocket.disconnect();
    const visitorSocket = await w.app.connect(served.visitor.token, {
      headers: { 'user-agent': userAgent },
    });
    return { ...served, visitorSocket };
  }

  const report = (socket: Socket, payload: unknown) =>
    ask(socket, ClientEvent.ReportContext, payload);

  it('a page change is stored and reaches the agent and the admins live, never the visitor', async () => {
    const served = await servedWith(userAgents.desktopChrome);
    const admin = await w.connect(w.adminToken);
    const bystander = await w.agent();
    const bystanderSocket = await w.connect(bystander.token);
    const heardByBystander = record(bystanderSocket, ServerEvent.VisitorUpdated);
    const heardByVisitor = record(served.visitorSocket, ServerEvent.VisitorUpdated);

    const toAgent = waitFor(served.agentSocket, ServerEvent.VisitorUpdated);
    const toAdmin = waitFor(admin, ServerEvent.VisitorUpdated);
    const ack = await report(served.visitorSocket, {
      url: 'https://shop.example.com/products/42?color=red#reviews',
      title: '  Red   shoes\n– Shop ',
      referrer: 'https://search.example.org/?q=shoes',
      language: 'zh-CN',
      timeZone: 'Asia/Shanghai',
    });
    expect(ack).toEqual({ ok: true, changed: true });

    const live = await toAgent;
    expect(live.visitorId).toBe(served.visitor.id);
    expect(live.conversationId).toBe(served.id);
    expect(live.context).toMatchObject({
      pages: [
        {
          url: 'https://shop.example.com/products/42?color=red#reviews',
          title: 'Red shoes – Shop',
        },
      ],
      referrer: 'https://search.example.org/?q=shoes',
      language: 'zh-CN',
      timeZone: 'Asia/Shanghai',
      browser: { name: 'Chrome', version: '120.0.0.0' },
      os: { name: 'Windows', version: '10' },
      device: { type: 'desktop', vendor: null, model: null },
    });
    expect((await toAdmin).context).toEqual(live.context);
    // What the console reads later is what it heard.
    expect(await contextOf(served.id, served.agent.token)).toEqual(live.context);

    // The same report again changes nothing and says so: no write, no event.
    expect(
      await report(served.visitorSocket, {
        url: 'https://shop.example.com/products/42?color=red#reviews',
        title: 'Red shoes – Shop',
      }),
    ).toEqual({ ok: true, changed: false });

    await w.consoleFence(served.agentSocket, admin, bystanderSocket);
    await w.visitorFence(served.visitorSocket, served.agentSocket, served.id);
    expect(heardByBystander).toEqual([]);
    expect(heardByVisitor).toEqual([]);
    // Another agent may not read it either.
    const refused = await w.request('GET', `/api/v1/conversations/${served.id}/visitor-context`, {
      token: bystander.token,
    });
    expect(refused.status).toBe(403);
  });

  it('keeps the last ten pages, newest first; a page seen again moves up; a new title replaces the old', async () => {
    const served = await servedWith(userAgents.desktopChrome);
    for (let i = 1; i <= 12; i += 1) {
      expect(
        await report(served.visitorSocket, {
          url: `https://shop.example.com/p/${i}`,
          title: `P${i}`,
        }),
      ).toMatchObject({ ok: true, changed: true });
    }
    let context = await contextOf(served.id);
    expect(context.pages.map((p) => p.title)).toEqual(
      [12, 11, 10, 9, 8, 7, 6, 5, 4, 3].map((i) => `P${i}`),
    );
    await report(served.visitorSocket, { url: 'https://shop.example.com/p/5', title: 'P5' });
    // A single-page app changes the title after the URL.
    const retitled = waitFor(
      served.agentSocket,
      ServerEvent.VisitorUpdated,
      (p) => p.context.pages[0]?.title === 'P5 – loaded',
    );
    await report(served.visitorSocket, {
      url: 'https://shop.example.com/p/5',
      title: 'P5 – loaded',
    });
    await retitled;
    context = await contextOf(served.id);
    expect(context.pages.map((p) => p.title)).toEqual([
      'P5 – loaded',
      'P12',
      'P11',
      'P10',
      'P9',
      'P8',
      'P7',
      'P6',
      'P4',
      'P3',
    ]);
    // Times are the server's, newest first.
    const times = context.pages.map((p) => p.at);
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it.each([
    [
      'an iPhone with Safari',
      userAgents.iphoneSafari,
      {
        browser: { name: 'Mobile Safari', version: '17.2' },
        os: { name: 'iOS', version: '17.2' },
        device: { type: 'mobile', vendor: 'Apple', model: 'iPhone' },
      },
    ],
    [
      'an Android phone in WeChat',
      userAgents.androidWeChat,
      {
        browser: { name: 'WeChat', version: '8.0.34.2340' },
        os: { name: 'Android', version: '13' },
        device: { type: 'mobile', vendor: 'Vivo', model: 'V2183A' },
      },
    ],
    [
      'desktop Chrome',
      userAgents.desktopChrome,
      {
        browser: { name: 'Chrome', version: '120.0.0.0' },
        os: { name: 'Windows', version: '10' },
        device: { type: 'desktop', vendor: null, model: null },
      },
    ],
    ['no User-Agent worth the name', 'curl/8.4.0', { os: null, device: null }],
  ])('reads %s from the User-Agent at the session start', async (_name, userAgent, expected) => {
    const visitor = await w.request('POST', '/api/v1/visitor/session', {
      body: { channelId: w.app.channelId },
      headers: { 'user-agent': userAgent },
    });
    expect(visitor.status).toBe(200);
    const { visitorToken } = visitor.body as { visitorToken: string };
    const id = await w.startConversation(visitorToken);
    const context = await contextOf(id);
    expect(context).toMatchObject(expected);
    expect(context.lastSeenAt).toEqual(expect.any(Number));
  });

  it('the session start may bring the first page, language and time zone', async () => {
    const started = await w.request('POST', '/api/v1/visitor/session', {
      body: {
        channelId: w.app.channelId,
        context: {
          url: 'https://app.example.com/billing',
          title: 'Billing',
          language: 'en-GB',
          timeZone: 'Europe/London',
        },
      },
      headers: { 'user-agent': userAgents.iphoneSafari },
    });
    expect(started.status).toBe(200);
    const id = await w.startConversation((started.body as { visitorToken: string }).visitorToken);
    expect(await contextOf(id)).toMatchObject({
      pages: [{ url: 'https://app.example.com/billing', title: 'Billing' }],
      language: 'en-GB',
      timeZone: 'Europe/London',
      device: { type: 'mobile' },
    });

    // A bad context refuses the whole session request, clearly.
    const bad = await w.request('POST', '/api/v1/visitor/session', {
      body: { channelId: w.app.channelId, context: { url: 'javascript:alert(1)' } },
    });
    expect(bad.status).toBe(400);
    expect(errorOf(bad)).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(errorOf(bad).message).toContain('context.url');
  });

  it('refuses bad reports with an error code and stores nothing of them', async () => {
    const served = await servedWith(userAgents.desktopChrome);
    await report(served.visitorSocket, { url: 'https://shop.example.com/ok', title: 'OK' });
    const before = await contextOf(served.id);
    const heard = record(served.agentSocket, ServerEvent.VisitorUpdated);
    for (const payload of [
      { url: 'javascript:alert(document.cookie)', title: 'x' },
      { url: 'JAVASCRIPT:alert(1)' },
      { url: 'data:text/html,<b>hi</b>' },
      { url: `https://shop.example.com/${'a'.repeat(2100)}` },
      { url: 'https://shop.example.com/long-title', title: 't'.repeat(301) },
      { url: 'https://shop.example.com/', title: 7 },
      { url: ['https://shop.example.com/'] },
      { referrer: 'file:///etc/passwd' },
      { language: 'zh CN' },
      { timeZone: 'Not/AZone' },
      { timeZone: 42 },
      { url: 'https://shop.example.com/x', extra: true },
      'https://shop.example.com/',
    ]) {
      const ack = await report(served.visitorSocket, payload);
      expect(
        ackFailure(ack, 'VALIDATION_FAILED').error.message.length,
        JSON.stringify(payload),
      ).toBeGreaterThan(0);
    }
    await w.consoleFence(served.agentSocket);
    expect(heard).toEqual([]);
    expect(await contextOf(served.id)).toEqual(before);
  });

  it("no one writes another visitor's context: the report names no visitor, console users may not report", async () => {
    const a = await servedWith(userAgents.desktopChrome);
    await report(a.visitorSocket, { url: 'https://shop.example.com/a', title: 'A' });
    const before = await contextOf(a.id);

    const b = await w.visitor();
    const bSocket = await w.connect(b.token);
    // B names A: refused as an unknown field, nothing stored for anyone.
    ackFailure(
      await report(bSocket, { visitorId: a.visitor.id, url: 'https://evil.example.com/' }),
      'VALIDATION_FAILED',
    );
    // B's own report writes B's context only.
    expect(await report(bSocket, { url: 'https://evil.example.com/' })).toMatchObject({ ok: true });
    // The agent serving A cannot write A's context either.
    ackFailure(await report(a.agentSocket, { url: 'https://evil.example.com/' }), 'FORBIDDEN');
    ackFailure(
      await report(await w.connect(w.adminToken), { url: 'https://evil.example.com/' }),
      'FORBIDDEN',
    );
    expect(await contextOf(a.id)).toEqual(before);
    const stored = await w.app.app.ctx.db
      .selectFrom('visitor_contexts')
      .select(['visitor_id', 'context'])
      .where('visitor_id', 'in', [a.visitor.id, b.id])
      .execute();
    const byVisitor = new Map(stored.map((r) => [r.visitor_id, r.context]));
    expect(byVisitor.get(a.visitor.id)).not.toContain('evil.example.com');
    expect(byVisitor.get(b.id)).toContain('evil.example.com');
  });

  it('a visitor without an open conversation is stored quietly; the agent who takes them reads it', async () => {
    const visitor = await w.visitor();
    const socket = await w.connect(visitor.token);
    const admin = await w.connect(w.adminToken);
    const heard = record(admin, ServerEvent.VisitorUpdated);
    expect(
      await report(socket, { url: 'https://shop.example.com/browsing', title: 'Browsing' }),
    ).toEqual({ ok: true, changed: true });
    await w.consoleFence(admin);
    expect(heard).toEqual([]);
    const id = await w.startConversation(visitor.token);
    expect((await contextOf(id)).pages[0]).toMatchObject({
      url: 'https://shop.example.com/browsing',
    });
  });

  it("a visitor's context goes with the visitor when their channel is deleted", async () => {
    const made = await w.request('POST', '/api/v1/channels', {
      token: w.adminToken,
      body: { name: 'Pop-up shop' },
    });
    const channelId = (made.body as { channel: { id: string } }).channel.id;
    const started = await w.request('POST', '/api/v1/visitor/session', {
      body: { channelId, context: { url: 'https://popup.example.com/', title: 'Pop-up' } },
    });
    const visitorId = (started.body as { visitor: { id: string } }).visitor.id;
    const stored = () =>
      w.app.app.ctx.db
        .selectFrom('visitor_contexts')
        .select('visitor_id')
        .where('visitor_id', '=', visitorId)
        .execute();
    expect(await stored()).toHaveLength(1);
    const removed = await w.request('DELETE', `/api/v1/channels/${channelId}`, {
      token: w.adminToken,
    });
    expect(removed.status).toBe(204);
    expect(await stored()).toEqual([]);
  });

  describe('identity attributes', () => {
    const nowS = () => Math.floor(Date.now() / 1000);
    const sign = (claims: Record<string, unknown>) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime(nowS() + 600)
        .sign(new TextEncoder().encode(secret));

    it('a small object, nested values allowed, reaches the agents', async () => {
      const attributes = {
        plan: 'Pro',
        vip: true,
        lifetimeValue: 1280.5,
        lastOrder: { id: 'SO-20260611-0042', total: 199, items: ['shoes', 'socks'] },
        note: null,
      };
      const started = await w.request('POST', '/api/v1/visitor/session', {
        body: { channelId: w.app.channelId, identity: await sign({ sub: 'attr-1', attributes }) },
      });
      expect(started.status, JSON.stringify(started.body)).toBe(200);
      const id = await w.startConversation((started.body as { visitorToken: string }).visitorToken);
      expect((await w.conversation(id)).visitor.attributes).toEqual(attributes);
    });

    it.each([
      [
        '31 keys',
        Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`k${i}`, i])),
        'at most 30 keys',
      ],
      ['over 2 KB of JSON', { blob: 'x'.repeat(2100) }, 'at most 2048 bytes'],
      ['2 KB in Chinese (bytes, not characters)', { note: '汉'.repeat(700) }, 'at most 2048 bytes'],
      ['an array, not an object', ['plan', 'Pro'], 'attributes'],
    ])('refuses %s with IDENTITY_INVALID, saying why', async (_name, attributes, why) => {
      const answer = await w.request('POST', '/api/v1/visitor/session', {
        body: { channelId: w.app.channelId, identity: await sign({ sub: 'attr-2', attributes }) },
      });
      expect(answer.status).toBe(401);
      expect(errorOf(answer).code).toBe('IDENTITY_INVALID');
      expect(errorOf(answer).message).toContain('attributes');
      expect(errorOf(answer).message).toContain(why);
    });
  });
});
