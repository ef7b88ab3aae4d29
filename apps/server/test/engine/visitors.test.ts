import { createHmac } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnreadResponse, VisitorSessionResponse } from '@servicesystem/protocol';
import { newClientMsgId, startLiveApp, type LiveApp } from '../support/liveApp.js';

const docsFile = new URL('../../../../docs/INTEGRATION.md', import.meta.url);

/** The signing snippet exactly as docs/INTEGRATION.md shows it, as a module we can import. */
async function loadDocumentedSigner(): Promise<(user: object) => Promise<string>> {
  const doc = await fs.readFile(docsFile, 'utf8');
  const match = /<!-- snippet:sign-identity -->\s*```js\n([\s\S]*?)```/.exec(doc);
  if (!match) throw new Error('the signing snippet is missing from docs/INTEGRATION.md');
  const dir = await fs.mkdtemp(path.join(process.cwd(), 'node_modules', '.snippet-'));
  const file = path.join(dir, 'sign.mjs');
  await fs.writeFile(file, match[1]!);
  try {
    const module = (await import(pathToFileURL(file).href)) as {
      signVisitorIdentity: (user: object) => Promise<string>;
    };
    return module.signVisitorIdentity;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

/** The language-neutral recipe from the docs, done by hand with an HMAC. */
function signByHand(claims: object, secret: string): string {
  const input = `${base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${base64url(JSON.stringify(claims))}`;
  const signature = createHmac('sha256', Buffer.from(secret, 'utf8')).update(input).digest();
  return `${input}.${base64url(signature)}`;
}

describe('visitor sessions and identity', () => {
  let t: LiveApp;
  let secret: string;
  beforeAll(async () => {
    t = await startLiveApp();
    const channel = await t.request('GET', `/api/v1/channels/${t.channelId}`, {
      token: t.adminToken,
    });
    secret = channel.body.channel.identitySecret;
  });
  afterAll(() => t.close());

  const session = (body: object, token?: string) =>
    t.request('POST', '/api/v1/visitor/session', { body, ...(token ? { token } : {}) });

  it('the documented Node snippet signs an identity the server accepts', async () => {
    process.env.SERVICESYSTEM_IDENTITY_SECRET = secret;
    const signVisitorIdentity = await loadDocumentedSigner();
    const identity = await signVisitorIdentity({
      id: 42,
      name: 'Li Lei',
      avatarUrl: 'https://cdn.example.com/42.png',
      plan: 'gold',
    });
    const answer = await session({ channelId: t.channelId, identity });
    expect(answer.status).toBe(200);
    const body = VisitorSessionResponse.parse(answer.body);
    expect(body.visitor).toMatchObject({
      name: 'Li Lei',
      avatarUrl: 'https://cdn.example.com/42.png',
      identified: true,
    });
    expect(body.channel.id).toBe(t.channelId);
    // Agents see the host's user id and attributes.
    await t.request('POST', '/api/v1/visitor/messages', {
      token: body.visitorToken,
      body: { clientMsgId: newClientMsgId(), type: 'text', body: 'hello' },
    });
    const list = await t.request('GET', '/api/v1/conversations', { token: t.adminToken });
    const mine = list.body.conversations.find(
      (c: { visitor: { id: string } }) => c.visitor.id === body.visitor.id,
    );
    expect(mine.visitor).toMatchObject({ externalId: '42', attributes: { plan: 'gold' } });
  });

  it('the language-neutral recipe works, and the same sub is the same visitor everywhere', async () => {
    const exp = Math.floor(Date.now() / 1000) + 600;
    const first = await session({
      channelId: t.channelId,
      identity: signByHand({ sub: 'user-7', name: 'Han Meimei', exp }, secret),
    });
    expect(first.status).toBe(200);
    const second = await session({
      channelId: t.channelId,
      identity: signByHand({ sub: 'user-7', name: 'Han M.', exp }, secret),
    });
    expect(second.body.visitor.id).toBe(first.body.visitor.id);
    expect(second.body.visitor.name).toBe('Han M.');
  });

  it.each([
    [
      'another secret',
      (s: string) => signByHand({ sub: 'u', exp: nowS() + 60 }, s + 'x'),
      'IDENTITY_INVALID',
    ],
    ['no exp', (s: string) => signByHand({ sub: 'u' }, s), 'IDENTITY_INVALID'],
    [
      'a past exp',
      (s: string) => signByHand({ sub: 'u', exp: nowS() - 120 }, s),
      'IDENTITY_EXPIRED',
    ],
    [
      'exp over 30 days ahead',
      (s: string) => signByHand({ sub: 'u', exp: nowS() + 31 * 86400 }, s),
      'IDENTITY_INVALID',
    ],
    ['no sub', (s: string) => signByHand({ exp: nowS() + 60 }, s), 'IDENTITY_INVALID'],
    [
      'a numeric sub',
      (s: string) => signByHand({ sub: 5, exp: nowS() + 60 }, s),
      'IDENTITY_INVALID',
    ],
    ['garbage', () => 'not.a.jwt', 'IDENTITY_INVALID'],
    [
      'alg none',
      () => `${base64url('{"alg":"none"}')}.${base64url(`{"sub":"u","exp":${nowS() + 60}}`)}.`,
      'IDENTITY_INVALID',
    ],
  ])('refuses an identity with %s (401 %s)', async (_name, make, code) => {
    const answer = await session({ channelId: t.channelId, identity: make(secret) });
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe(code);
  });

  it("refuses another channel's identity token", async () => {
    const other = await t.request('POST', '/api/v1/channels', {
      token: t.adminToken,
      body: { name: 'App' },
    });
    const identity = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u1')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(other.body.channel.identitySecret));
    expect((await session({ channelId: other.body.channel.id, identity })).status).toBe(200);
    const crossed = await session({ channelId: t.channelId, identity });
    expect(crossed.status).toBe(401);
    expect(crossed.body.error.code).toBe('IDENTITY_INVALID');
    // Rotating the secret invalidates identities signed with the old one.
    await t.request('POST', `/api/v1/channels/${other.body.channel.id}/rotate-secret`, {
      token: t.adminToken,
    });
    expect((await session({ channelId: other.body.channel.id, identity })).status).toBe(401);
  });

  it('anonymous visitors come back with their token; a token from another channel does not carry over', async () => {
    const first = await session({ channelId: t.channelId });
    expect(first.status).toBe(200);
    expect(first.body.visitor.identified).toBe(false);
    const again = await session({ channelId: t.channelId }, first.body.visitorToken);
    expect(again.body.visitor.id).toBe(first.body.visitor.id);
    const fresh = await session({ channelId: t.channelId });
    expect(fresh.body.visitor.id).not.toBe(first.body.visitor.id);
    const other = await t.request('POST', '/api/v1/channels', {
      token: t.adminToken,
      body: { name: 'Elsewhere' },
    });
    const elsewhere = await session({ channelId: other.body.channel.id }, first.body.visitorToken);
    expect(elsewhere.body.visitor.id).not.toBe(first.body.visitor.id);
  });

  it('tells whether the channel is open now, so the page can say so before the first message', async () => {
    const open = await session({ channelId: t.channelId });
    expect(open.body.channel).toMatchObject({ open: true });
    const night = await t.request('POST', '/api/v1/channels', {
      token: t.adminToken,
      body: {
        name: 'Night',
        offHoursMessage: 'Closed for the night.',
        businessHours: { timezone: 'UTC', weekly: {} },
      },
    });
    const closed = await session({ channelId: night.body.channel.id });
    expect(closed.body.channel).toEqual({
      id: night.body.channel.id,
      name: 'Night',
      open: false,
      agentsOnline: false,
      // One string given: both languages have it. The welcome keeps the default per language.
      welcomeMessage: {
        'zh-CN': '您好！请问有什么可以帮您？',
        en: 'Hello! How can we help you today?',
      },
      offHoursMessage: { 'zh-CN': 'Closed for the night.', en: 'Closed for the night.' },
      // A new channel asks for ratings.
      ratingEnabled: true,
      // Nobody can answer: the page offers the leave-a-message form. No SMTP here: no mail.
      available: false,
      mail: false,
      // The channel's robot is off.
      robot: null,
    });
    // Whether anyone is online now, so the page can say so before the first message too.
    await t.agent({ status: 'online' });
    expect((await session({ channelId: t.channelId })).body.channel).toMatchObject({
      agentsOnline: true,
      available: true,
    });
    // Open hours are not enough when nobody is online, nor someone online out of hours.
    expect((await session({ channelId: night.body.channel.id })).body.channel).toMatchObject({
      agentsOnline: true,
      available: false,
    });
  });

  it('unknown channel → 404, bad body → 400', async () => {
    expect((await session({ channelId: 'nope' })).body.error.code).toBe('NOT_FOUND');
    expect((await session({})).body.error.code).toBe('VALIDATION_FAILED');
    expect((await session({ channelId: t.channelId, extra: 1 })).status).toBe(400);
  });

  it("lists one visitor's conversations for the visitor panel (visitorId filter)", async () => {
    const agent = await t.agent({ status: 'online' });
    const visitor = await t.visitor();
    const other = await t.visitor();
    const send = (token: string) =>
      t.request('POST', '/api/v1/visitor/messages', {
        token,
        body: { clientMsgId: newClientMsgId(), type: 'text', body: 'hi' },
      });
    const first = (await send(visitor.token)).body.conversation.id;
    await t.request('POST', `/api/v1/conversations/${first}/end`, { token: agent.token });
    const second = (await send(visitor.token)).body.conversation.id;
    await send(other.token);
    const ids = async (token: string) =>
      (
        await t.request('GET', `/api/v1/conversations?visitorId=${visitor.id}`, { token })
      ).body.conversations.map((c: { id: string }) => c.id);
    expect((await ids(t.adminToken)).sort()).toEqual([first, second].sort());
    expect((await ids(agent.token)).sort()).toEqual([first, second].sort());
    const stranger = await t.agent();
    expect(await ids(stranger.token)).toEqual([]);
    await t.setStatus(agent.token, 'offline');
  });

  it('GET /api/v1/visitor/unread answers the unread count for host apps', async () => {
    const visitor = await t.visitor();
    const unread = async () =>
      UnreadResponse.parse(
        (await t.request('GET', '/api/v1/visitor/unread', { token: visitor.token })).body,
      ).unread;
    expect(await unread()).toBe(0);
    const agent = await t.agent({ status: 'online' });
    const sent = await t.request('POST', '/api/v1/visitor/messages', {
      token: visitor.token,
      body: { clientMsgId: newClientMsgId(), type: 'text', body: 'hi' },
    });
    expect(sent.status).toBe(201);
    // welcome (1), own message (2), "assigned" (3): system notices and one's own never count.
    expect(await unread()).toBe(0);
    const conversationId = sent.body.conversation.id;
    for (const body of ['one', 'two']) {
      await t.request('POST', `/api/v1/conversations/${conversationId}/messages`, {
        token: agent.token,
        body: { clientMsgId: newClientMsgId(), type: 'text', body },
      });
    }
    // The agent's two messages (4, 5).
    expect(await unread()).toBe(2);
    await t.request('POST', `/api/v1/conversations/${conversationId}/read`, {
      token: visitor.token,
      body: { seq: 4 },
    });
    expect(await unread()).toBe(1);
    // A notice after them does not count either: ending adds one.
    await t.request('POST', `/api/v1/conversations/${conversationId}/end`, { token: agent.token });
    expect(await unread()).toBe(1);
    expect((await t.request('GET', '/api/v1/visitor/unread')).status).toBe(401);
    expect((await t.request('GET', '/api/v1/visitor/unread', { token: t.adminToken })).status).toBe(
      401,
    );
  });
});

function nowS(): number {
  return Math.floor(Date.now() / 1000);
}
