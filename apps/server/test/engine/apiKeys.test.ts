import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiKeyListResponse,
  AuditListResponse,
  CreateApiKeyResponse,
  ErrorBody,
  type ApiKeyScope,
} from '@servicesystem/protocol';
import { startLiveApp, type LiveApp } from '../support/liveApp.js';
import { startTestApp, type TestApp } from '../support/testApp.js';

/**
 * Scoped API keys: administrators create them (the token shown once, its secret stored hashed),
 * rename them, change their rate limit and revoke them, each change in the audit log. A key gets
 * exactly its scopes and never more than the account it acts as; a revoked key, a disabled
 * account's key, a wrong or malformed token are refused at once.
 */

let clock = Date.now();
const now = () => clock;

describe('API keys', () => {
  let t: TestApp;
  let agent: Awaited<ReturnType<TestApp['createAccount']>>;

  const create = async (body: Record<string, unknown>, token = t.adminToken) =>
    t.request('POST', '/api/v1/api-keys', { token, body });
  const newKey = async (scopes: ApiKeyScope[], extra: Record<string, unknown> = {}) => {
    const answer = await create({ name: `key ${randomUUID().slice(0, 6)}`, scopes, ...extra });
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    return CreateApiKeyResponse.parse(answer.body);
  };
  const code = (answer: { body: unknown }) => ErrorBody.parse(answer.body).error.code;

  beforeAll(async () => {
    t = await startTestApp({}, { now });
    agent = await t.createAccount({ username: 'integration', displayName: 'Integration' });
  });
  afterAll(() => t.close());

  it('shows the token once, keeps only the hash of its secret, and lists the key without it', async () => {
    const { apiKey, token } = await newKey(['conversations:read']);
    expect(token).toMatch(/^ssk_[0-9a-f-]{36}_[A-Za-z0-9_-]{43}$/);
    expect(token.startsWith(apiKey.tokenStart)).toBe(true);
    expect(apiKey).toMatchObject({
      scopes: ['conversations:read'],
      account: { username: 'admin', role: 'admin', enabled: true },
      rateLimitPerMinute: 600,
      lastUsedAt: null,
      revokedAt: null,
    });
    const list = await t.request('GET', '/api/v1/api-keys', { token: t.adminToken });
    expect(list.status).toBe(200);
    expect(ApiKeyListResponse.parse(list.body).apiKeys.map((k) => k.id)).toContain(apiKey.id);
    const secret = token.slice(apiKey.tokenStart.length);
    expect(JSON.stringify(list.body)).not.toContain(secret);
    const row = await t.app.ctx.db
      .selectFrom('api_keys')
      .selectAll()
      .where('id', '=', apiKey.id)
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(secret);
    expect(row.secret_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('gets exactly its scopes: allowed routes answer, others 403 KEY_SCOPE_MISSING naming the scope', async () => {
    const { token } = await newKey(['conversations:read']);
    const me = await t.request('GET', '/api/v1/me', { token });
    expect(me.status).toBe(200);
    expect(me.body.account.username).toBe('admin');
    expect((await t.request('GET', '/api/v1/conversations', { token })).status).toBe(200);
    const refused = await t.request('POST', '/api/v1/labels', {
      token,
      body: { name: 'From a key', color: '#123456' },
    });
    expect([refused.status, code(refused)]).toEqual([403, 'KEY_SCOPE_MISSING']);
    expect(refused.body.error.message).toContain('"admin"');
    const report = await t.request('GET', '/api/v1/reports?from=2026-03-01&to=2026-03-02', {
      token,
    });
    expect([report.status, code(report)]).toEqual([403, 'KEY_SCOPE_MISSING']);
    expect(report.body.error.message).toContain('"reports:read"');
  });

  it('is refused on routes that are not for keys, and cannot manage keys', async () => {
    const { token } = await newKey([
      'admin',
      'conversations:read',
      'conversations:write',
      'messages:write',
      'reports:read',
    ]);
    for (const [method, url] of [
      ['GET', '/api/v1/api-keys'],
      ['POST', '/api/v1/api-keys'],
      ['POST', '/api/v1/me/password'],
      ['POST', '/api/v1/auth/logout'],
      ['GET', '/api/v1/visitor/conversations'],
    ] as const) {
      const answer = await t.request(method, url, {
        token,
        ...(method === 'POST' ? { body: { name: 'x', scopes: ['admin'] } } : {}),
      });
      expect([answer.status, code(answer)], `${method} ${url}`).toEqual([403, 'FORBIDDEN']);
    }
  });

  it('never does more than the account it acts as: an agent’s key with `admin` is still an agent', async () => {
    const { apiKey, token } = await newKey(['admin', 'conversations:read'], {
      accountId: agent.account.id,
    });
    expect(apiKey.account).toMatchObject({ username: 'integration', role: 'agent' });
    const accounts = await t.request('GET', '/api/v1/accounts', { token });
    expect([accounts.status, code(accounts)]).toEqual([403, 'FORBIDDEN']);
    const me = await t.request('GET', '/api/v1/me', { token });
    expect(me.body.account.username).toBe('integration');
  });

  it('needs no Origin header on writes, and its changes are audited as its account through the key', async () => {
    const { apiKey, token } = await newKey(['admin']);
    const label = await t.request('POST', '/api/v1/labels', {
      token,
      body: { name: 'Made by a key', color: '#abcdef' },
    });
    expect(label.status, JSON.stringify(label.body)).toBe(201);
    const audit = AuditListResponse.parse(
      (
        await t.request('GET', `/api/v1/audit?targetId=${label.body.label.id}`, {
          token: t.adminToken,
        })
      ).body,
    );
    expect(audit.entries).toHaveLength(1);
    expect(audit.entries[0]!.actor.username).toBe('admin');
    expect(audit.entries[0]!.changes).toContainEqual({ field: 'viaApiKey', to: apiKey.id });
  });

  describe('bad input', () => {
    const cases: [string, Record<string, unknown>][] = [
      ['an unknown scope', { name: 'k', scopes: ['conversations:delete'] }],
      ['no scope', { name: 'k', scopes: [] }],
      ['scopes not a list', { name: 'k', scopes: 'admin' }],
      ['a repeated scope', { name: 'k', scopes: ['admin', 'admin'] }],
      ['a huge name', { name: 'n'.repeat(100_000), scopes: ['admin'] }],
      ['an empty name', { name: '   ', scopes: ['admin'] }],
      ['a rate limit of 0', { name: 'k', scopes: ['admin'], rateLimitPerMinute: 0 }],
      ['a rate limit over 100,000', { name: 'k', scopes: ['admin'], rateLimitPerMinute: 100_001 }],
      ['a fractional rate limit', { name: 'k', scopes: ['admin'], rateLimitPerMinute: 1.5 }],
      ['a rate limit as text', { name: 'k', scopes: ['admin'], rateLimitPerMinute: '600' }],
      ['an unknown field', { name: 'k', scopes: ['admin'], secret: 'mine' }],
      ['a NUL in the account id', { name: 'k', scopes: ['admin'], accountId: 'a\u0000b' }],
    ];
    for (const [what, body] of cases) {
      it(`refuses ${what} with 400`, async () => {
        const answer = await create(body);
        expect([answer.status, code(answer)], JSON.stringify(answer.body)).toEqual([
          400,
          'VALIDATION_FAILED',
        ]);
      });
    }

    it('refuses an unknown account with 404 and a disabled one with 409', async () => {
      const missing = await create({ name: 'k', scopes: ['admin'], accountId: randomUUID() });
      expect([missing.status, code(missing)]).toEqual([404, 'NOT_FOUND']);
      const off = await t.createAccount();
      await t.request('PATCH', `/api/v1/accounts/${off.account.id}`, {
        token: t.adminToken,
        body: { enabled: false },
      });
      const disabled = await create({ name: 'k', scopes: ['admin'], accountId: off.account.id });
      expect([disabled.status, code(disabled)]).toEqual([409, 'INVALID_STATE']);
    });

    it('refuses a wrong secret, a malformed token, and an unknown key with 401', async () => {
      const { token } = await newKey(['conversations:read']);
      const wrong = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
      for (const bad of [
        wrong,
        'ssk_',
        'ssk_nonsense',
        `${token}x`,
        `ssk_${randomUUID()}_${'A'.repeat(43)}`,
      ]) {
        const answer = await t.request('GET', '/api/v1/me', { token: bad });
        expect([answer.status, code(answer)], bad).toEqual([401, 'UNAUTHENTICATED']);
      }
    });

    it('refuses bad changes: rate limits out of range, unknown fields, an unknown key', async () => {
      const { apiKey } = await newKey(['conversations:read']);
      for (const body of [
        { rateLimitPerMinute: 0 },
        { rateLimitPerMinute: 1_000_000 },
        { scopes: ['admin'] },
        { name: '' },
      ]) {
        const answer = await t.request('PATCH', `/api/v1/api-keys/${apiKey.id}`, {
          token: t.adminToken,
          body,
        });
        expect([answer.status, code(answer)], JSON.stringify(body)).toEqual([
          400,
          'VALIDATION_FAILED',
        ]);
      }
      const missing = await t.request('PATCH', `/api/v1/api-keys/${randomUUID()}`, {
        token: t.adminToken,
        body: { name: 'x' },
      });
      expect([missing.status, code(missing)]).toEqual([404, 'NOT_FOUND']);
    });

    it('is for administrators only: agents and visitors are refused', async () => {
      const asAgent = await create({ name: 'k', scopes: ['admin'] }, agent.token);
      expect([asAgent.status, code(asAgent)]).toEqual([403, 'FORBIDDEN']);
      const anonymous = await t.request('GET', '/api/v1/api-keys');
      expect([anonymous.status, code(anonymous)]).toEqual([401, 'UNAUTHENTICATED']);
    });
  });

  it('is refused at once when revoked, stays listed as revoked, and cannot be changed after', async () => {
    const { apiKey, token } = await newKey(['conversations:read']);
    expect((await t.request('GET', '/api/v1/me', { token })).status).toBe(200);
    const revoked = await t.request('DELETE', `/api/v1/api-keys/${apiKey.id}`, {
      token: t.adminToken,
    });
    expect(revoked.status).toBe(200);
    expect(revoked.body.apiKey.revokedAt).toBe(clock);
    const after = await t.request('GET', '/api/v1/me', { token });
    expect([after.status, code(after)]).toEqual([401, 'UNAUTHENTICATED']);
    const again = await t.request('DELETE', `/api/v1/api-keys/${apiKey.id}`, {
      token: t.adminToken,
    });
    expect(again.body.apiKey.revokedAt).toBe(clock);
    const change = await t.request('PATCH', `/api/v1/api-keys/${apiKey.id}`, {
      token: t.adminToken,
      body: { name: 'back' },
    });
    expect([change.status, code(change)]).toEqual([409, 'INVALID_STATE']);
    const list = ApiKeyListResponse.parse(
      (await t.request('GET', '/api/v1/api-keys', { token: t.adminToken })).body,
    );
    expect(list.apiKeys.find((k) => k.id === apiKey.id)?.revokedAt).toBe(clock);
  });

  it('stops working while its account is disabled, and works again once it is enabled', async () => {
    const owner = await t.createAccount();
    const { token } = await newKey(['conversations:read'], { accountId: owner.account.id });
    expect((await t.request('GET', '/api/v1/me', { token })).status).toBe(200);
    const toggle = (enabled: boolean) =>
      t.request('PATCH', `/api/v1/accounts/${owner.account.id}`, {
        token: t.adminToken,
        body: { enabled },
      });
    await toggle(false);
    const refused = await t.request('GET', '/api/v1/me', { token });
    expect([refused.status, code(refused)]).toEqual([401, 'UNAUTHENTICATED']);
    const listed = ApiKeyListResponse.parse(
      (await t.request('GET', '/api/v1/api-keys', { token: t.adminToken })).body,
    );
    expect(listed.apiKeys.find((k) => k.account.id === owner.account.id)?.account.enabled).toBe(
      false,
    );
    await toggle(true);
    expect((await t.request('GET', '/api/v1/me', { token })).status).toBe(200);
  });

  it('writes its last use at most once a minute', async () => {
    const { apiKey, token } = await newKey(['conversations:read']);
    const lastUsed = async () =>
      (
        await t.app.ctx.db
          .selectFrom('api_keys')
          .select('last_used_at')
          .where('id', '=', apiKey.id)
          .executeTakeFirstOrThrow()
      ).last_used_at;
    const start = clock;
    await t.request('GET', '/api/v1/me', { token });
    expect(Number(await lastUsed())).toBe(start);
    clock += 30_000;
    await t.request('GET', '/api/v1/me', { token });
    expect(Number(await lastUsed())).toBe(start);
    clock += 31_000;
    await t.request('GET', '/api/v1/me', { token });
    expect(Number(await lastUsed())).toBe(clock);
  });

  it('has its own rate limit: 429 with Retry-After and a JSON body, then allowed again', async () => {
    const { apiKey, token } = await newKey(['conversations:read'], { rateLimitPerMinute: 3 });
    const other = await newKey(['conversations:read'], { rateLimitPerMinute: 3 });
    for (let i = 0; i < 3; i += 1) {
      expect((await t.request('GET', '/api/v1/me', { token })).status).toBe(200);
    }
    const limited = await t.request('GET', '/api/v1/me', { token });
    expect([limited.status, code(limited)]).toEqual([429, 'RATE_LIMITED']);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Another key has its own count.
    expect((await t.request('GET', '/api/v1/me', { token: other.token })).status).toBe(200);
    // A higher limit applies at once.
    const raised = await t.request('PATCH', `/api/v1/api-keys/${apiKey.id}`, {
      token: t.adminToken,
      body: { rateLimitPerMinute: 10 },
    });
    expect(raised.body.apiKey.rateLimitPerMinute).toBe(10);
    expect((await t.request('GET', '/api/v1/me', { token })).status).toBe(200);
    clock += 61_000;
  });

  it('records every creation, change and revocation in the audit log, never the secret', async () => {
    const { apiKey, token } = await newKey(['reports:read']);
    await t.request('PATCH', `/api/v1/api-keys/${apiKey.id}`, {
      token: t.adminToken,
      body: { name: 'Renamed key', rateLimitPerMinute: 42 },
    });
    await t.request('DELETE', `/api/v1/api-keys/${apiKey.id}`, { token: t.adminToken });
    const audit = AuditListResponse.parse(
      (await t.request('GET', `/api/v1/audit?targetId=${apiKey.id}`, { token: t.adminToken })).body,
    );
    expect(audit.entries.map((e) => e.action).sort()).toEqual([
      'apiKey.create',
      'apiKey.revoke',
      'apiKey.update',
    ]);
    const update = audit.entries.find((e) => e.action === 'apiKey.update')!;
    expect(update.changes).toEqual(
      expect.arrayContaining([
        { field: 'rateLimitPerMinute', from: 600, to: 42 },
        expect.objectContaining({ field: 'name', to: 'Renamed key' }),
      ]),
    );
    const text = JSON.stringify(audit);
    expect(text).not.toContain(token.slice(apiKey.tokenStart.length));
    const row = await t.app.ctx.db
      .selectFrom('api_keys')
      .select('secret_hash')
      .where('id', '=', apiKey.id)
      .executeTakeFirstOrThrow();
    expect(text).not.toContain(row.secret_hash);
  });
});

describe('API keys on two nodes sharing Redis', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    const env = {
      REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
      REDIS_PREFIX: `ss-keys-${randomUUID().slice(0, 8)}`,
    };
    a = await startTestApp(env);
    b = await startTestApp(env, { db: a.db });
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it('counts one rate limit across nodes, and a revocation on one node holds on the other', async () => {
    const created = await a.request('POST', '/api/v1/api-keys', {
      token: a.adminToken,
      body: { name: 'shared', scopes: ['conversations:read'], rateLimitPerMinute: 4 },
    });
    const { apiKey, token } = CreateApiKeyResponse.parse(created.body);
    for (const node of [a, b, a, b]) {
      expect((await node.request('GET', '/api/v1/me', { token })).status).toBe(200);
    }
    expect((await a.request('GET', '/api/v1/me', { token })).status).toBe(429);
    expect((await b.request('GET', '/api/v1/me', { token })).status).toBe(429);

    const second = CreateApiKeyResponse.parse(
      (
        await a.request('POST', '/api/v1/api-keys', {
          token: a.adminToken,
          body: { name: 'second', scopes: ['conversations:read'] },
        })
      ).body,
    );
    expect((await b.request('GET', '/api/v1/me', { token: second.token })).status).toBe(200);
    await a.request('DELETE', `/api/v1/api-keys/${second.apiKey.id}`, { token: a.adminToken });
    expect((await b.request('GET', '/api/v1/me', { token: second.token })).status).toBe(401);
    expect(apiKey.id).not.toBe(second.apiKey.id);
  });
});

describe('API keys and Socket.IO', () => {
  let t: LiveApp;
  beforeAll(async () => {
    t = await startLiveApp();
  });
  afterAll(() => t.close());

  it('are for the REST API only: the socket handshake refuses a key', async () => {
    const created = await t.request('POST', '/api/v1/api-keys', {
      token: t.adminToken,
      body: { name: 'no sockets', scopes: ['conversations:read'] },
    });
    const { token } = CreateApiKeyResponse.parse(created.body);
    expect((await t.request('GET', '/api/v1/me', { token })).status).toBe(200);
    const refused = t.connect(token, { autoConnect: false });
    const socket = await refused;
    socket.io.reconnection(false);
    const error = new Promise<Error & { data?: { code: string } }>((resolve) =>
      socket.once('connect_error', resolve),
    );
    socket.connect();
    expect((await error).data?.code).toBe('UNAUTHENTICATED');
    expect(socket.connected).toBe(false);
  });
});
