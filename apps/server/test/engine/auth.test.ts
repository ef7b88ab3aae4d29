import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorBody, LoginResponse, MeResponse } from '@servicesystem/protocol';
import { adminPassword, startTestApp, type TestApp } from '../support/testApp.js';

describe('console login and sessions', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('logs in with username and password: token, account, and an httpOnly SameSite=Lax cookie', async () => {
    const answer = await t.request('POST', '/api/v1/auth/login', {
      body: { username: 'ADMIN', password: adminPassword },
    });
    expect(answer.status).toBe(200);
    const body = LoginResponse.parse(answer.body);
    expect(body.account).toMatchObject({ username: 'admin', role: 'admin', enabled: true });
    expect(JSON.stringify(body)).not.toContain('password');
    const cookie = answer.cookies.find((c) => c.name === 'ss_session');
    expect(cookie).toMatchObject({ value: body.token, httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(cookie?.maxAge).toBe(7 * 24 * 3600);
    expect(cookie?.secure).toBeFalsy();

    const viaBearer = await t.request('GET', '/api/v1/me', { token: body.token });
    expect(viaBearer.status).toBe(200);
    expect(MeResponse.parse(viaBearer.body).account.id).toBe(body.account.id);
    const viaCookie = await t.request('GET', '/api/v1/me', { cookies: { ss_session: body.token } });
    expect(viaCookie.status).toBe(200);
    expect(viaCookie.body.account.username).toBe('admin');
  });

  it('refuses a wrong password or an unknown user with the same answer', async () => {
    const wrong = await t.request('POST', '/api/v1/auth/login', {
      body: { username: 'admin', password: 'not-the-password' },
      ip: '10.0.0.1',
    });
    const unknown = await t.request('POST', '/api/v1/auth/login', {
      body: { username: 'nobody', password: 'not-the-password' },
      ip: '10.0.0.1',
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(ErrorBody.parse(wrong.body).error.code).toBe('INVALID_CREDENTIALS');
    expect(unknown.body).toEqual(wrong.body);
  });

  it('rejects a malformed login body with a validation error', async () => {
    const answer = await t.request('POST', '/api/v1/auth/login', { body: { username: 'admin' } });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('VALIDATION_FAILED');
    expect(answer.body.error.issues[0].path).toBe('password');
  });

  it('logout revokes the session for bearer and cookie alike, and clears the cookie', async () => {
    const token = await t.login('admin', adminPassword);
    const out = await t.request('POST', '/api/v1/auth/logout', { token });
    expect(out.status).toBe(204);
    expect(out.cookies.find((c) => c.name === 'ss_session')?.value).toBe('');
    expect((await t.request('GET', '/api/v1/me', { token })).status).toBe(401);
    expect((await t.request('GET', '/api/v1/me', { cookies: { ss_session: token } })).status).toBe(
      401,
    );
    expect((await t.request('POST', '/api/v1/auth/logout', { token })).status).toBe(401);
  });

  it('answers 401 with a JSON body for missing, malformed and unknown tokens', async () => {
    for (const headers of <Record<string, string>[]>[
      {},
      { authorization: 'Bearer nonsense' },
      { authorization: `Bearer sst_${'A'.repeat(43)}` },
      { authorization: 'Basic YWRtaW46eA==' },
    ]) {
      const answer = await t.request('GET', '/api/v1/me', { headers });
      expect(answer.status).toBe(401);
      expect(answer.body.error.code).toBe('UNAUTHENTICATED');
    }
  });

  it('refuses a cookie-authenticated change sent from another site', async () => {
    const token = await t.login('admin', adminPassword);
    const crossSite = await t.request('PATCH', '/api/v1/me', {
      cookies: { ss_session: token },
      headers: { origin: 'https://evil.example' },
      body: { displayName: 'Hacked' },
    });
    expect(crossSite.status).toBe(403);
    expect(crossSite.body.error.code).toBe('CROSS_SITE_REQUEST');
    const me = await t.request('GET', '/api/v1/me', { token });
    expect(me.body.account.displayName).not.toBe('Hacked');

    const sameSite = await t.request('PATCH', '/api/v1/me', {
      cookies: { ss_session: token },
      headers: { origin: 'http://localhost:80', host: 'localhost:80' },
      body: { displayName: 'Admin Person' },
    });
    expect(sameSite.status).toBe(200);
    expect(sameSite.body.account.displayName).toBe('Admin Person');
  });
});

describe('failed-login limit', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      LOGIN_MAX_FAILURES: '3',
      LOGIN_MAX_FAILURES_PER_ADDRESS: '3',
      LOGIN_WINDOW_MINUTES: '15',
    });
  });
  afterAll(() => t.close());

  const login = (username: string, password: string, ip: string) =>
    t.request('POST', '/api/v1/auth/login', { body: { username, password }, ip });

  it('never locks the owner out: guesses from many addresses do not refuse the right password from another', async () => {
    const { account, password } = await t.createAccount();
    for (let i = 0; i < 6; i++) {
      expect((await login(account.username, 'wrong-password', `10.1.0.${i + 1}`)).status).toBe(401);
    }
    expect((await login(account.username, password, '10.1.0.99')).status).toBe(200);
    // A wrong password from a fresh address is an ordinary failure, not a lockout.
    expect((await login(account.username, 'wrong-password', '10.1.0.98')).status).toBe(401);
  });

  it('refuses an address that failed for one username, with 429 and Retry-After, right password or not', async () => {
    const { account, password } = await t.createAccount();
    for (let i = 0; i < 3; i++) {
      expect((await login(account.username, 'wrong-password', '10.3.0.1')).status).toBe(401);
    }
    const limited = await login(account.username, password, '10.3.0.1');
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('TOO_MANY_LOGIN_ATTEMPTS');
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(14 * 60);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    expect((await login(account.username, password, '10.3.0.2')).status).toBe(200);
  });

  it('limits failures per address, whatever the username', async () => {
    const { account, password } = await t.createAccount();
    for (let i = 0; i < 3; i++) {
      await login(`someone${i}`, 'wrong-password', '10.2.0.1');
    }
    expect((await login(account.username, password, '10.2.0.1')).status).toBe(429);
    expect((await login(account.username, password, '10.2.0.2')).status).toBe(200);
  });

  it('a success clears only its own count: signing in between guesses does not reset the address', async () => {
    const { account, password } = await t.createAccount();
    await login('target1', 'wrong-password', '10.4.0.1');
    await login('target2', 'wrong-password', '10.4.0.1');
    expect((await login(account.username, password, '10.4.0.1')).status).toBe(200);
    await login('target3', 'wrong-password', '10.4.0.1');
    expect((await login('target4', 'wrong-password', '10.4.0.1')).status).toBe(429);
  });

  it('guards the current password on POST /me/password the same way', async () => {
    const { account, password } = await t.createAccount();
    const token = (await login(account.username, password, '10.5.0.1')).body.token as string;
    const change = (currentPassword: string) =>
      t.request('POST', '/api/v1/me/password', {
        token,
        body: { currentPassword, newPassword: 'a-new-password-1' },
        ip: '10.5.0.1',
      });
    for (let i = 0; i < 3; i++) expect((await change('wrong-password')).status).toBe(403);
    const limited = await change(password);
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('TOO_MANY_LOGIN_ATTEMPTS');
  });
});

describe('idle expiry', () => {
  it('ends a session idle for longer than SESSION_IDLE_DAYS, and keeps an active one alive', async () => {
    let now = Date.now();
    const t = await startTestApp({ SESSION_IDLE_DAYS: '2' }, { now: () => now });
    try {
      const day = 24 * 3600 * 1000;
      const active = t.adminToken;
      const idle = await t.login('admin', adminPassword);
      // One session is used every 1.5 days, the other not at all.
      for (let i = 0; i < 3; i++) {
        now += 1.5 * day;
        expect((await t.request('GET', '/api/v1/me', { token: active })).status).toBe(200);
      }
      expect((await t.request('GET', '/api/v1/me', { token: idle })).status).toBe(401);
      now += 2 * day + 60_000;
      expect((await t.request('GET', '/api/v1/me', { token: active })).status).toBe(401);
    } finally {
      await t.close();
    }
  });
});

describe('client addresses behind a proxy', () => {
  const login = (t: TestApp, username: string, password: string, forwardedFor?: string) =>
    t.request('POST', '/api/v1/auth/login', {
      body: { username, password },
      // The proxy (nginx on the same machine) is the socket's peer.
      ip: '127.0.0.1',
      ...(forwardedFor ? { headers: { 'x-forwarded-for': forwardedFor } } : {}),
    });

  it.each([
    ['one trusted hop', '1'],
    ['the proxy by address', '127.0.0.1'],
  ])(
    '%s: the real address counts, and one the client wrote itself changes nothing',
    async (_name, trust) => {
      const t = await startTestApp({
        TRUST_PROXY: trust,
        LOGIN_MAX_FAILURES: '3',
        LOGIN_MAX_FAILURES_PER_ADDRESS: '3',
      });
      try {
        const { account, password } = await t.createAccount();
        // nginx appends the address it saw ($proxy_add_x_forwarded_for) to what the client sent.
        const via = (client: string, forged?: string) => (forged ? `${forged}, ${client}` : client);
        for (let i = 0; i < 3; i++) {
          await login(t, `nobody${i}`, 'wrong-password', via('198.51.100.20'));
        }
        expect((await login(t, account.username, password, via('198.51.100.20'))).status).toBe(429);
        // Naming another address in its own header does not get the client through.
        const forged = await login(
          t,
          account.username,
          password,
          via('198.51.100.20', '203.0.113.7'),
        );
        expect(forged.status).toBe(429);
        // Another real client behind the same proxy is not held back.
        expect((await login(t, account.username, password, via('198.51.100.21'))).status).toBe(200);
      } finally {
        await t.close();
      }
    },
  );

  it('without TRUST_PROXY the header is ignored: everyone behind the proxy is one address', async () => {
    const t = await startTestApp({ LOGIN_MAX_FAILURES: '3', LOGIN_MAX_FAILURES_PER_ADDRESS: '3' });
    try {
      const { account, password } = await t.createAccount();
      for (let i = 0; i < 3; i++) await login(t, `nobody${i}`, 'wrong-password', '198.51.100.30');
      expect((await login(t, account.username, password, '198.51.100.31')).status).toBe(429);
    } finally {
      await t.close();
    }
  });
});
