import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import sharp from 'sharp';
import { io as connectSocket, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pageRoots } from '../../src/http/routes/pages.js';
import { countRows } from '../support/databaseRows.js';
import { adminPassword } from '../support/testApp.js';
import { newClientMsgId, request, startLiveApp, type LiveApp } from '../support/liveApp.js';

/** What a browser can be made to send: real HTTP requests with the headers browsers set. */
async function send(
  t: LiveApp,
  method: string,
  route: string,
  options: { cookie?: string; token?: string; headers?: Record<string, string>; body?: unknown },
) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.cookie) headers.cookie = `ss_session=${options.cookie}`;
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: FormData | string | undefined;
  if (options.body instanceof FormData) {
    body = options.body;
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(`${t.url}${route}`, { method, headers, body, redirect: 'manual' });
  const text = await response.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, body: json };
}

const pngDot = () =>
  sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } })
    .png()
    .toBuffer();

async function uploadForm(): Promise<FormData> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(await pngDot())], { type: 'image/png' }), 'dot.png');
  return form;
}

/** Everything a cross-site request could have changed, read from the database. */
async function snapshot(t: LiveApp) {
  const db = t.app.ctx.db;
  const all = async (table: 'accounts' | 'channels' | 'sessions' | 'conversations') =>
    db.selectFrom(table).selectAll().orderBy('id').execute();
  const count = (table: 'messages' | 'files' | 'visitors' | 'audit_log') => countRows(db, table);
  const sessions = (await all('sessions')).map(({ id, account_id }) => ({ id, account_id }));
  return {
    accounts: await all('accounts'),
    channels: await all('channels'),
    sessions,
    conversations: await all('conversations'),
    messages: await count('messages'),
    files: await count('files'),
    visitors: await count('visitors'),
    audit: await count('audit_log'),
  };
}

describe('cookie-authenticated changes from another site (CSRF)', () => {
  const publicOrigin = 'https://chat.example.test';
  let t: LiveApp;
  let adminCookie: string;
  let agent: Awaited<ReturnType<LiveApp['agent']>>;
  let channelId: string;
  let conversationId: string;

  beforeAll(async () => {
    t = await startLiveApp({ PUBLIC_URL: publicOrigin });
    adminCookie = await t.login('admin', adminPassword);
    agent = await t.agent({ status: 'online' });
    const visitor = await t.visitor();
    const sent = await t.request('POST', '/api/v1/visitor/messages', {
      token: visitor.token,
      body: { clientMsgId: newClientMsgId(), type: 'text', body: 'hello' },
    });
    conversationId = sent.body.conversation.id;
    const channel = await t.request('POST', '/api/v1/channels', {
      token: t.adminToken,
      body: { name: 'Target' },
    });
    channelId = channel.body.channel.id;
  });
  afterAll(() => t.close());

  /** Every registered route that changes something, with real ids, so an accepted call would. */
  function changingRoutes() {
    return t.app.routes
      .filter((r) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method))
      .map((r) => {
        const id = r.url.includes('/agents/')
          ? agent.id
          : r.url.includes('/conversations/')
            ? conversationId
            : channelId;
        return { method: r.method, route: `${r.method} ${r.url}`, path: r.url.replace(':id', id) };
      });
  }

  const crossSite: Record<string, Record<string, string>> = {
    'another site': { origin: 'https://evil.example' },
    'a sibling subdomain (same site: Lax cookies go there)': {
      origin: 'https://www.example.test',
    },
    'our host over plain http': { origin: 'http://chat.example.test' },
    'an opaque origin (sandboxed frame)': { origin: 'null' },
    'no Origin, Sec-Fetch-Site: cross-site': { 'sec-fetch-site': 'cross-site' },
    'no Origin, Sec-Fetch-Site: same-site': { 'sec-fetch-site': 'same-site' },
  };

  it('covers every state-changing route', () => {
    // A change without a route here would be untested: the list comes from the server itself.
    expect(changingRoutes().length).toBeGreaterThanOrEqual(20);
    expect(changingRoutes().map((r) => r.route)).toContain('POST /api/v1/uploads');
  });

  for (const [what, headers] of Object.entries(crossSite)) {
    it(`refuses every change from ${what} with 403 CROSS_SITE_REQUEST, and nothing changes`, async () => {
      const before = await snapshot(t);
      for (const { method, route, path: url } of changingRoutes()) {
        const body = route === 'POST /api/v1/uploads' ? await uploadForm() : {};
        const answer = await send(t, method, url, { cookie: adminCookie, headers, body });
        expect(answer.status, `${route}: ${answer.text}`).toBe(403);
        expect(answer.body, route).toEqual({
          error: { code: 'CROSS_SITE_REQUEST', message: expect.any(String) },
        });
      }
      expect(await snapshot(t)).toEqual(before);
      // The session survived the cross-site logout.
      expect((await send(t, 'GET', '/api/v1/me', { cookie: adminCookie })).status).toBe(200);
    });
  }

  it('accepts changes from our own pages: by PUBLIC_URL, by Host, or a same-origin fetch', async () => {
    const own: Record<string, string>[] = [
      { origin: publicOrigin },
      { origin: t.url },
      { 'sec-fetch-site': 'same-origin' },
    ];
    for (const [i, headers] of own.entries()) {
      const answer = await send(t, 'PATCH', '/api/v1/me', {
        cookie: adminCookie,
        headers,
        body: { displayName: `Admin ${i}` },
      });
      expect(answer.status, JSON.stringify(headers)).toBe(200);
      expect(answer.body.account.displayName).toBe(`Admin ${i}`);
    }
    const created = await send(t, 'POST', '/api/v1/channels', {
      cookie: adminCookie,
      headers: { origin: publicOrigin },
      body: { name: 'Made by cookie' },
    });
    expect(created.status).toBe(201);
    const uploaded = await send(t, 'POST', '/api/v1/uploads', {
      cookie: adminCookie,
      headers: { origin: t.url },
      body: await uploadForm(),
    });
    expect(uploaded.status).toBe(201);
    const removed = await send(t, 'DELETE', `/api/v1/channels/${created.body.channel.id}`, {
      cookie: adminCookie,
      headers: { origin: publicOrigin },
    });
    expect(removed.status).toBe(204);
    const login = await send(t, 'POST', '/api/v1/auth/login', {
      headers: { origin: publicOrigin },
      body: { username: 'admin', password: adminPassword },
    });
    expect(login.status).toBe(200);
  });

  it('lets a client that is no browser (no Origin, no Sec-Fetch-Site) use its own cookie', async () => {
    const answer = await send(t, 'PATCH', '/api/v1/me', {
      cookie: adminCookie,
      body: { displayName: 'Scripted' },
    });
    expect(answer.status).toBe(200);
  });

  it('refuses a login from another site (login CSRF), with or without a cookie', async () => {
    for (const headers of Object.values(crossSite)) {
      const answer = await send(t, 'POST', '/api/v1/auth/login', {
        headers,
        body: { username: 'admin', password: adminPassword },
      });
      expect(answer.status, JSON.stringify(headers)).toBe(403);
      expect(answer.body.error.code).toBe('CROSS_SITE_REQUEST');
      expect(answer.headers.get('set-cookie')).toBeNull();
    }
  });

  it('does not apply to bearer tokens, which no other site can make a browser send', async () => {
    const answer = await send(t, 'PATCH', '/api/v1/me', {
      token: agent.token,
      headers: { origin: 'https://evil.example' },
      body: { displayName: 'By token' },
    });
    expect(answer.status).toBe(200);
  });

  it('refuses a console socket with the cookie from another site, accepts it from our pages', async () => {
    const connect = (headers: Record<string, string>, transport: 'websocket' | 'polling') =>
      new Promise<{ ok: boolean; code?: string }>((resolve) => {
        const socket = connectSocket(t.url, {
          transports: [transport],
          reconnection: false,
          extraHeaders: { cookie: `ss_session=${adminCookie}`, ...headers },
        });
        socket.once('connect', () => {
          socket.disconnect();
          resolve({ ok: true });
        });
        socket.once('connect_error', (error: Error & { data?: { code: string } }) => {
          socket.disconnect();
          resolve({ ok: false, ...(error.data ? { code: error.data.code } : {}) });
        });
      });
    expect(await connect({ origin: t.url }, 'websocket')).toEqual({ ok: true });
    expect(await connect({ origin: publicOrigin }, 'websocket')).toEqual({ ok: true });
    expect(await connect({ 'sec-fetch-site': 'same-origin' }, 'polling')).toEqual({ ok: true });
    expect((await connect({ origin: 'https://evil.example' }, 'websocket')).ok).toBe(false);
    expect(await connect({ 'sec-fetch-site': 'cross-site' }, 'polling')).toEqual({
      ok: false,
      code: 'UNAUTHENTICATED',
    });
    expect(await connect({ 'sec-fetch-site': 'same-site' }, 'polling')).toEqual({
      ok: false,
      code: 'UNAUTHENTICATED',
    });
  });
});

describe('the session cookie', () => {
  const flags = (setCookie: string) =>
    setCookie
      .split(';')
      .slice(1)
      .map((part) => part.trim().toLowerCase())
      .sort();

  for (const [publicUrl, secure] of [
    ['https://chat.example.test', true],
    [undefined, false],
  ] as const) {
    it(`is HttpOnly, SameSite=Lax, Path=/, ${secure ? 'Secure with an https' : 'not Secure with an http'} PUBLIC_URL`, async () => {
      const t = await startLiveApp(publicUrl ? { PUBLIC_URL: publicUrl } : {});
      try {
        const login = await send(t, 'POST', '/api/v1/auth/login', {
          body: { username: 'admin', password: adminPassword },
        });
        expect(login.status).toBe(200);
        const setCookie = login.headers.get('set-cookie')!;
        expect(setCookie.startsWith(`ss_session=${login.body.token};`)).toBe(true);
        expect(flags(setCookie)).toEqual(
          [
            'httponly',
            'max-age=604800',
            'path=/',
            'samesite=lax',
            ...(secure ? ['secure'] : []),
          ].sort(),
        );
        // Renewed on use with the same flags; cleared on logout with the same flags.
        const out = await send(t, 'POST', '/api/v1/auth/logout', { cookie: login.body.token });
        expect(out.status).toBe(204);
        const cleared = out.headers.get('set-cookie')!;
        expect(cleared.startsWith('ss_session=;')).toBe(true);
        const clearedFlags = flags(cleared);
        expect(clearedFlags).toEqual(
          expect.arrayContaining(['httponly', 'path=/', 'samesite=lax']),
        );
        expect(clearedFlags.includes('secure')).toBe(secure);
        expect(clearedFlags.some((f) => f.startsWith('expires=thu, 01 jan 1970'))).toBe(true);
      } finally {
        await t.close();
      }
    });
  }
});

describe('CORS: only a channel’s websites, and only for Socket.IO', () => {
  const shop = 'https://shop.example.com';
  let t: LiveApp;
  let shopVisitor: { token: string };
  let defaultVisitor: { token: string };
  const open: Socket[] = [];

  beforeAll(async () => {
    t = await startLiveApp();
    const channel = await t.request('POST', '/api/v1/channels', {
      token: t.adminToken,
      body: { name: 'Shop', allowedOrigins: [shop] },
    });
    shopVisitor = await t.visitor({ channelId: channel.body.channel.id });
    defaultVisitor = await t.visitor();
  });
  afterAll(async () => {
    for (const socket of open) socket.disconnect();
    await t.close();
  });

  it('sends no Access-Control-Allow-Origin on the REST API, to anyone', async () => {
    for (const origin of [shop, 'https://evil.example']) {
      const preflight = await send(t, 'OPTIONS', '/api/v1/visitor/session', {
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,authorization',
        },
      });
      expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
      expect(preflight.headers.get('access-control-allow-methods')).toBeNull();
      for (const [method, route, options] of [
        ['GET', '/healthz', {}],
        ['GET', '/api/v1/channels', { token: t.adminToken }],
        ['GET', '/api/v1/visitor/unread', { token: shopVisitor.token }],
        ['POST', '/api/v1/visitor/session', { body: { channelId: 'x' } }],
        ['GET', '/chat/', {}],
        ['GET', '/console/', {}],
      ] as const) {
        const answer = await send(t, method, route, { ...options, headers: { origin } });
        expect(answer.headers.get('access-control-allow-origin'), route).toBeNull();
        expect(answer.headers.get('access-control-allow-credentials'), route).toBeNull();
      }
    }
    // The embed loader is a public script for any website: the one exception.
    const embed = await send(t, 'GET', '/embed.js', {
      headers: { origin: 'https://evil.example' },
    });
    if (embed.status === 200) expect(embed.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('answers a Socket.IO polling handshake from a channel’s website with CORS, and refuses others', async () => {
    const handshake = (origin?: string) =>
      send(t, 'GET', '/socket.io/?EIO=4&transport=polling', {
        headers: origin ? { origin } : {},
      });
    const fromShop = await handshake(shop);
    expect(fromShop.status).toBe(200);
    expect(fromShop.headers.get('access-control-allow-origin')).toBe(shop);
    expect(fromShop.headers.get('access-control-allow-credentials')).toBeNull();

    const fromEvil = await handshake('https://evil.example');
    expect(fromEvil.status).toBe(403);
    expect(fromEvil.headers.get('access-control-allow-origin')).toBeNull();

    const fromUs = await handshake(t.url);
    expect(fromUs.status).toBe(200);
    const noOrigin = await handshake();
    expect(noOrigin.status).toBe(200);
    expect(noOrigin.headers.get('access-control-allow-origin')).toBeNull();
  });

  function connect(
    token: string,
    origin: string | undefined,
    transport: 'websocket' | 'polling' = 'websocket',
  ) {
    return new Promise<{ ok: boolean; code?: string }>((resolve) => {
      const socket = connectSocket(t.url, {
        auth: { token },
        transports: [transport],
        reconnection: false,
        ...(origin ? { extraHeaders: { origin } } : {}),
      });
      open.push(socket);
      socket.once('connect', () => resolve({ ok: true }));
      socket.once('connect_error', (error: Error & { data?: { code: string } }) =>
        resolve({ ok: false, ...(error.data ? { code: error.data.code } : {}) }),
      );
    });
  }

  it('accepts a visitor socket from its channel’s website, our own origin, or no browser', async () => {
    expect(await connect(shopVisitor.token, shop)).toEqual({ ok: true });
    expect(await connect(shopVisitor.token, shop, 'polling')).toEqual({ ok: true });
    expect(await connect(shopVisitor.token, t.url)).toEqual({ ok: true });
    expect(await connect(defaultVisitor.token, undefined)).toEqual({ ok: true });
    expect(await connect(t.adminToken, t.url)).toEqual({ ok: true });
  });

  it('refuses sockets from other websites, and a channel’s website for another channel or the console', async () => {
    // Not listed on any channel: the handshake itself is refused (WebSocket and polling).
    expect((await connect(shopVisitor.token, 'https://evil.example')).ok).toBe(false);
    expect((await connect(shopVisitor.token, 'https://evil.example', 'polling')).ok).toBe(false);
    expect((await connect(shopVisitor.token, 'null')).ok).toBe(false);
    // Listed on the Shop channel only: not for the Default channel's visitors, not for consoles.
    expect(await connect(defaultVisitor.token, shop)).toEqual({
      ok: false,
      code: 'UNAUTHENTICATED',
    });
    expect(await connect(t.adminToken, shop)).toEqual({ ok: false, code: 'UNAUTHENTICATED' });
    // And a visitor socket that got in is a working one.
    const socket = connectSocket(t.url, {
      auth: { token: shopVisitor.token },
      transports: ['websocket'],
      extraHeaders: { origin: shop },
    });
    open.push(socket);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const ack = await request(socket, 'message.send', {
      clientMsgId: newClientMsgId(),
      type: 'text',
      body: 'from the shop website',
    });
    expect(ack.ok).toBe(true);
  });
});

describe('error answers', () => {
  let t: LiveApp;
  let conversationId: string;
  let channelId: string;
  let agentSocket: Socket;

  beforeAll(async () => {
    t = await startLiveApp({ LOG_LEVEL: 'silent' });
    const agent = await t.agent({ status: 'online' });
    const visitor = await t.visitor();
    const sent = await t.request('POST', '/api/v1/visitor/messages', {
      token: visitor.token,
      body: { clientMsgId: newClientMsgId(), type: 'text', body: 'hello' },
    });
    conversationId = sent.body.conversation.id;
    channelId = (await t.request('GET', '/api/v1/channels', { token: t.adminToken })).body
      .channels[0].id;
    agentSocket = await t.connect(agent.token);
  });
  afterAll(() => t.close());

  /** Nothing about the inside: no SQL, no table names, no file paths, no stack frames. */
  function expectBare(text: string) {
    expect(text).not.toMatch(
      /select|insert|relation|no such table|sqlite|postgres|syntax|unexpected token|json|\bat\s|\.ts\b|\.js\b|node_modules|\/work|\/tmp|stack|messages_away|channels/i,
    );
  }

  it('answers a failing query with a bare 500, over HTTP and in socket acks', async () => {
    const db = t.app.ctx.db;
    await sql`alter table messages rename to messages_away`.execute(db);
    try {
      const answer = await send(t, 'GET', `/api/v1/conversations/${conversationId}/messages`, {
        token: t.adminToken,
      });
      expect(answer.status).toBe(500);
      expect(answer.body).toEqual({ error: { code: 'INTERNAL', message: expect.any(String) } });
      expectBare(answer.text);

      const ack = await request(agentSocket, 'messages.list', { conversationId });
      expect(ack).toEqual({
        ok: false,
        error: { code: 'INTERNAL', message: expect.any(String) },
      });
      expectBare(JSON.stringify(ack));
    } finally {
      await sql`alter table messages_away rename to messages`.execute(db);
    }
    const healed = await send(t, 'GET', `/api/v1/conversations/${conversationId}/messages`, {
      token: t.adminToken,
    });
    expect(healed.status).toBe(200);
  });

  it('answers a corrupt stored row with a bare 500, not as the caller’s bad JSON', async () => {
    const db = t.app.ctx.db;
    const row = await db
      .selectFrom('channels')
      .select('allowed_origins')
      .where('id', '=', channelId)
      .executeTakeFirstOrThrow();
    await db
      .updateTable('channels')
      .set({ allowed_origins: '{not json' })
      .where('id', '=', channelId)
      .execute();
    try {
      const answer = await send(t, 'GET', `/api/v1/channels/${channelId}`, {
        token: t.adminToken,
      });
      expect(answer.status).toBe(500);
      expect(answer.body).toEqual({ error: { code: 'INTERNAL', message: expect.any(String) } });
      expectBare(answer.text);
    } finally {
      await db
        .updateTable('channels')
        .set({ allowed_origins: row.allowed_origins })
        .where('id', '=', channelId)
        .execute();
    }
  });

  it('answers client mistakes with 4xx and only {code, message[, issues]}', async () => {
    const cases = [
      await send(t, 'GET', '/api/v1/nope', {}),
      await send(t, 'POST', '/api/v1/channels', {
        token: t.adminToken,
        headers: { 'content-type': 'application/json' },
        body: undefined,
      }),
      await send(t, 'PATCH', `/api/v1/agents/${'x'.repeat(70)}`, {
        token: t.adminToken,
        body: {},
      }),
      await send(t, 'GET', '/api/v1/conversations?limit=-1', { token: t.adminToken }),
    ];
    for (const answer of cases) {
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
      expect(Object.keys(answer.body)).toEqual(['error']);
      expect(
        Object.keys(answer.body.error).every((k) => ['code', 'message', 'issues'].includes(k)),
      ).toBe(true);
      expect(answer.text).not.toMatch(/\bat\s|node_modules|\.ts\b|\.js\b|stack/i);
    }
  });
});

describe('secrets never leave in an answer', () => {
  let t: LiveApp;
  let agent: Awaited<ReturnType<LiveApp['agent']>>;
  let visitor: { token: string; id: string };
  let conversationId: string;
  let channelId: string;
  let fileId: string;

  beforeAll(async () => {
    t = await startLiveApp();
    agent = await t.agent({ status: 'online' });
    visitor = await t.visitor();
    const sent = await t.request('POST', '/api/v1/visitor/messages', {
      token: visitor.token,
      body: { clientMsgId: newClientMsgId(), type: 'text', body: 'hello' },
    });
    conversationId = sent.body.conversation.id;
    const form = await uploadForm();
    const uploaded = await send(t, 'POST', '/api/v1/uploads', { token: visitor.token, body: form });
    fileId = uploaded.body.file.id;
    await t.request('POST', '/api/v1/visitor/messages', {
      token: visitor.token,
      body: { clientMsgId: newClientMsgId(), type: 'image', fileId },
    });
    const channel = await t.request('POST', '/api/v1/channels', {
      token: t.adminToken,
      body: { name: 'Secretive', allowedOrigins: ['https://shop.example.com'] },
    });
    channelId = channel.body.channel.id;
    await t.request('POST', `/api/v1/channels/${channelId}/rotate-secret`, {
      token: t.adminToken,
    });
    await t.request('POST', `/api/v1/agents/${agent.id}/password`, {
      token: t.adminToken,
      body: { password: 'a-new-agent-password' },
    });
    agent.token = await t.login(agent.username, 'a-new-agent-password');
  });
  afterAll(() => t.close());

  async function secrets() {
    const db = t.app.ctx.db;
    const hashes = await db.selectFrom('accounts').select('password_hash').execute();
    const sessions = await db.selectFrom('sessions').select('id').execute();
    const settings = await db.selectFrom('settings').select('value').execute();
    const channels = await db.selectFrom('channels').select('identity_secret').execute();
    return {
      always: [
        ...hashes.map((r) => r.password_hash),
        ...sessions.map((r) => r.id),
        ...settings.map((r) => r.value),
        'a-new-agent-password',
        '$argon2',
      ],
      channelSecrets: channels.map((r) => r.identity_secret),
    };
  }

  it('never in any GET answer, for any caller; identity secrets only to admins, on channel routes', async () => {
    const { always, channelSecrets } = await secrets();
    const callers = {
      anonymous: undefined,
      visitor: visitor.token,
      agent: agent.token,
      admin: t.adminToken,
    };
    const reads = t.app.routes.filter((r) => r.method === 'GET' && r.url.startsWith('/api/'));
    expect(reads.map((r) => r.url)).toEqual(
      expect.arrayContaining(['/api/v1/agents', '/api/v1/channels', '/api/v1/audit']),
    );
    let answered = 0;
    for (const { url } of reads) {
      const id = url.includes('/agents/')
        ? agent.id
        : url.includes('/channels/')
          ? channelId
          : url.includes('/files/')
            ? fileId
            : conversationId;
      for (const [who, token] of Object.entries(callers)) {
        const answer = await send(t, 'GET', url.replace(':id', id), token ? { token } : {});
        if (answer.status === 200) answered += 1;
        for (const secret of always) expect(answer.text, `${who} ${url}`).not.toContain(secret);
        if (who !== 'admin' || !url.startsWith('/api/v1/channels')) {
          for (const secret of channelSecrets) {
            expect(answer.text, `${who} ${url}`).not.toContain(secret);
          }
        }
      }
    }
    // Not a test of refusals: most of these were read.
    expect(answered).toBeGreaterThan(reads.length);
    const adminChannels = await send(t, 'GET', '/api/v1/channels', { token: t.adminToken });
    expect(
      adminChannels.body.channels.map((c: { identitySecret: string }) => c.identitySecret),
    ).toEqual(expect.arrayContaining(channelSecrets));
  });

  it('no JSON answer opened with a token may be kept by a browser or a proxy (no-store)', async () => {
    const reads = t.app.routes.filter((r) => r.method === 'GET' && r.url.startsWith('/api/'));
    let checked = 0;
    for (const { url } of reads) {
      for (const token of [visitor.token, agent.token, t.adminToken]) {
        const answer = await send(t, 'GET', url.replace(':id', conversationId), { token });
        if (!String(answer.headers.get('content-type')).startsWith('application/json')) continue;
        expect(answer.headers.get('cache-control'), url).toBe('no-store');
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(reads.length);
    const me = await send(t, 'POST', '/api/v1/visitor/messages', {
      token: visitor.token,
      body: { clientMsgId: newClientMsgId(), type: 'text', body: 'kept nowhere' },
    });
    expect(me.headers.get('cache-control')).toBe('no-store');
  });

  it('never in socket acks and events', async () => {
    const { always, channelSecrets } = await secrets();
    const seen: unknown[] = [];
    for (const token of [agent.token, t.adminToken, visitor.token]) {
      const socket = await t.connect(token);
      socket.onAny((event, payload) => seen.push({ event, payload }));
      seen.push(await request(socket, 'messages.list', { conversationId }));
      if (token !== visitor.token) {
        seen.push(await request(socket, 'conversations.list', { state: 'active' }));
      }
    }
    const reply = await t.request('POST', `/api/v1/conversations/${conversationId}/messages`, {
      token: agent.token,
      body: { clientMsgId: newClientMsgId(), type: 'text', body: 'a reply' },
    });
    expect(reply.status).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const text = JSON.stringify(seen);
    expect(text).toContain('a reply');
    for (const secret of [...always, ...channelSecrets]) expect(text).not.toContain(secret);
  });
});

describe('pages: no inline script, a strict Content-Security-Policy', () => {
  const built =
    fs.existsSync(path.join(pageRoots.console, 'index.html')) &&
    fs.existsSync(path.join(pageRoots.widget, 'index.html'));

  it.runIf(built)('the built console and visitor page load scripts only from files', () => {
    for (const root of [pageRoots.console, pageRoots.widget]) {
      const html = fs.readFileSync(path.join(root, 'index.html'), 'utf8');
      const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
      expect(scripts.length).toBeGreaterThan(0);
      for (const [, attributes, content] of scripts) {
        expect(attributes).toMatch(/\bsrc="\/(console|chat)\/assets\/[^"]+\.js"/);
        expect(content!.trim()).toBe('');
      }
      // No handler attributes, no javascript: URLs.
      expect(html).not.toMatch(/\son[a-z]+\s*=/i);
      expect(html).not.toMatch(/javascript:/i);
    }
  });

  function directives(csp: string): Map<string, string[]> {
    return new Map(
      csp
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .filter((parts) => parts[0] !== '')
        .map(([name, ...values]) => [name!, values]),
    );
  }

  for (const [publicUrl, https] of [
    [undefined, false],
    ['https://chat.example.test', true],
  ] as const) {
    it.runIf(built)(
      `sends a CSP without inline script on the console and the visitor page (${https ? 'https' : 'http'})`,
      async () => {
        const t = await startLiveApp(publicUrl ? { PUBLIC_URL: publicUrl } : {});
        try {
          const channel = await t.request('POST', '/api/v1/channels', {
            token: t.adminToken,
            body: { name: 'Framed', allowedOrigins: ['https://shop.example.com'] },
          });
          for (const page of ['/console/', `/chat/?channel=${channel.body.channel.id}`]) {
            const answer = await send(t, 'GET', page, {});
            expect(answer.status).toBe(200);
            const csp = directives(answer.headers.get('content-security-policy') ?? '');
            expect(csp.get('default-src')).toEqual(["'self'"]);
            expect(csp.get('script-src')).toEqual(["'self'"]);
            expect(csp.get('script-src-attr')).toEqual(["'none'"]);
            expect(csp.get('object-src')).toEqual(["'none'"]);
            expect(csp.get('base-uri')).toEqual(["'self'"]);
            expect(csp.get('connect-src')).toEqual(["'self'"]);
            expect(csp.get('font-src')).toEqual(["'self'", 'data:']);
            expect(csp.get('style-src')).toEqual(["'self'", "'unsafe-inline'"]);
            // 'unsafe-inline' and 'unsafe-eval' appear for styles only.
            for (const [name, values] of csp) {
              if (name !== 'style-src') {
                expect(values.join(' '), name).not.toMatch(/unsafe/);
              }
            }
            expect(csp.has('upgrade-insecure-requests')).toBe(https);
            expect(csp.get('frame-ancestors')).toEqual(
              page === '/console/' ? ["'self'"] : ["'self'", 'https://shop.example.com'],
            );
          }
        } finally {
          await t.close();
        }
      },
    );
  }
});
