import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorBody } from '@servicesystem/protocol';
import { startTcpProxy } from '../support/tcpProxy.js';
import { startTestApp, type TestApp } from '../support/testApp.js';
import { createTestDatabase, testEngine } from '../support/testDatabase.js';

describe('HTTP edge', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('answers unknown routes with a JSON 404', async () => {
    const answer = await t.request('GET', '/api/v1/nothing-here?x=1');
    expect(answer.status).toBe(404);
    expect(ErrorBody.parse(answer.body).error).toEqual({
      code: 'ROUTE_NOT_FOUND',
      message: 'There is no route GET /api/v1/nothing-here',
    });
  });

  it('answers malformed JSON with 400 INVALID_JSON, never 500', async () => {
    for (const rawBody of ['{bad', '{"username":', 'nul', '[', '"unterminated']) {
      const answer = await t.request('POST', '/api/v1/auth/login', {
        rawBody,
        headers: { 'content-type': 'application/json' },
      });
      expect(answer.status, rawBody).toBe(400);
      expect(answer.body.error.code).toBe('INVALID_JSON');
    }
  });

  it('refuses prototype-poisoning keys and other content types', async () => {
    const poisoned = await t.request('POST', '/api/v1/agents', {
      token: t.adminToken,
      rawBody: '{"username":"x1","displayName":"X","__proto__":{"role":"admin"}}',
      headers: { 'content-type': 'application/json' },
    });
    expect(poisoned.status).toBe(400);
    expect(poisoned.body.error.code).toMatch(/INVALID_JSON|BAD_REQUEST/);

    const xml = await t.request('POST', '/api/v1/auth/login', {
      rawBody: '<login/>',
      headers: { 'content-type': 'application/xml' },
    });
    expect(xml.status).toBe(415);
    expect(xml.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('refuses a body over the size limit with 413', async () => {
    const answer = await t.request('POST', '/api/v1/auth/login', {
      rawBody: JSON.stringify({ username: 'a', password: 'x'.repeat(2 * 1024 * 1024) }),
      headers: { 'content-type': 'application/json' },
    });
    expect(answer.status).toBe(413);
    expect(answer.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('sends security headers', async () => {
    const answer = await t.request('GET', '/healthz');
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    expect(answer.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(answer.headers['content-security-policy']).toContain("default-src 'self'");
    expect(answer.headers['strict-transport-security']).toBeDefined();
  });
});

describe('GET /healthz', () => {
  it.runIf(testEngine === 'postgres')(
    'answers 503 while PostgreSQL cannot be reached, and 200 again once it can',
    async () => {
      const db = await createTestDatabase();
      const proxy = await startTcpProxy('127.0.0.1', 5432);
      const url = new URL(db.url);
      url.host = `127.0.0.1:${proxy.port}`;
      const t = await startTestApp({}, { db: { ...db, url: url.toString() } });
      try {
        expect((await t.request('GET', '/healthz')).body).toEqual({ status: 'ok' });
        proxy.cut();
        const down = await t.request('GET', '/healthz');
        expect(down.status).toBe(503);
        expect(down.body).toEqual({ status: 'unavailable' });
        // Other routes fail fast with a clear 503 rather than a 500 or a hang.
        const me = await t.request('GET', '/api/v1/me', { token: t.adminToken });
        expect(me.status).toBe(503);
        expect(me.body.error.code).toBe('SERVICE_UNAVAILABLE');
        proxy.restore();
        expect((await t.request('GET', '/healthz')).status).toBe(200);
        expect((await t.request('GET', '/api/v1/me', { token: t.adminToken })).status).toBe(200);
      } finally {
        await t.close();
        await proxy.close();
        await db.drop();
      }
    },
  );

  it.runIf(testEngine === 'sqlite')('answers 503 once the SQLite database is closed', async () => {
    const t = await startTestApp();
    try {
      expect((await t.request('GET', '/healthz')).status).toBe(200);
      await t.app.db.close();
      const down = await t.request('GET', '/healthz');
      expect(down.status).toBe(503);
      expect(down.body).toEqual({ status: 'unavailable' });
    } finally {
      await t.close();
    }
  });
});
