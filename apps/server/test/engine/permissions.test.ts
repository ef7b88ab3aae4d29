import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminPassword, startTestApp, type TestApp } from '../support/testApp.js';

type Who = 'anonymous' | 'agent' | 'admin';
type Expect = 'allowed' | 'denied';

/**
 * Every route, by who may call it. A route missing from this table fails the test, so a new
 * route cannot ship without a decision about who may call it.
 */
const matrix: Record<string, Record<Who, Expect>> = {
  'GET /healthz': { anonymous: 'allowed', agent: 'allowed', admin: 'allowed' },
  'POST /api/v1/auth/login': { anonymous: 'allowed', agent: 'allowed', admin: 'allowed' },
  'POST /api/v1/auth/logout': { anonymous: 'denied', agent: 'allowed', admin: 'allowed' },
  'GET /api/v1/me': { anonymous: 'denied', agent: 'allowed', admin: 'allowed' },
  'PATCH /api/v1/me': { anonymous: 'denied', agent: 'allowed', admin: 'allowed' },
  'POST /api/v1/me/password': { anonymous: 'denied', agent: 'allowed', admin: 'allowed' },
  'GET /api/v1/agents': { anonymous: 'denied', agent: 'denied', admin: 'allowed' },
  'POST /api/v1/agents': { anonymous: 'denied', agent: 'denied', admin: 'allowed' },
  'GET /api/v1/agents/:id': { anonymous: 'denied', agent: 'denied', admin: 'allowed' },
  'PATCH /api/v1/agents/:id': { anonymous: 'denied', agent: 'denied', admin: 'allowed' },
  'POST /api/v1/agents/:id/password': { anonymous: 'denied', agent: 'denied', admin: 'allowed' },
  'GET /api/v1/channels': { anonymous: 'denied', agent: 'allowed', admin: 'allowed' },
  'GET /api/v1/channels/:id': { anonymous: 'denied', agent: 'allowed', admin: 'allowed' },
  'POST /api/v1/channels': { anonymous: 'denied', agent: 'denied', admin: 'allowed' },
  'PATCH /api/v1/channels/:id': { anonymous: 'denied', agent: 'denied', admin: 'allowed' },
  'POST /api/v1/channels/:id/rotate-secret': {
    anonymous: 'denied',
    agent: 'denied',
    admin: 'allowed',
  },
  'DELETE /api/v1/channels/:id': { anonymous: 'denied', agent: 'denied', admin: 'allowed' },
};

describe('permission matrix', () => {
  let t: TestApp;
  let tokens: Record<Who, string | undefined>;
  let ids: { agent: string; channel: string };
  let agentLogin: { username: string; password: string };

  beforeAll(async () => {
    t = await startTestApp();
    const agent = await t.createAccount();
    const target = await t.createAccount();
    const channel = await t.request('POST', '/api/v1/channels', {
      token: t.adminToken,
      body: { name: 'Matrix' },
    });
    ids = { agent: target.account.id, channel: channel.body.channel.id };
    tokens = { anonymous: undefined, agent: agent.token, admin: t.adminToken };
    agentLogin = { username: agent.account.username, password: agent.password };
  });
  afterAll(() => t.close());

  it('has a row for every registered route', () => {
    const registered = t.app.routes.map((r) => `${r.method} ${r.url}`).sort();
    expect(registered).toEqual(Object.keys(matrix).sort());
  });

  for (const [route, expectations] of Object.entries(matrix)) {
    for (const who of ['anonymous', 'agent', 'admin'] as const) {
      it(`${route} is ${expectations[who]} for ${who}`, async () => {
        const [method, path] = route.split(' ') as [string, string];
        const id = path.includes('/agents/') ? ids.agent : ids.channel;
        // A body that fails validation: an allowed caller gets past authorization and is told
        // about the body (400), so nothing changes; a denied caller is refused first.
        const body = method === 'GET' || method === 'DELETE' ? undefined : { '': 'invalid' };
        // Deleting for real would remove the fixture; an unknown id shows authorization too.
        const url = path.replace(':id', method === 'DELETE' ? 'no-such-channel' : id);
        // Logging out ends the session: give that row a session of its own.
        const token =
          route === 'POST /api/v1/auth/logout' && who !== 'anonymous'
            ? await (who === 'admin'
                ? t.login('admin', adminPassword)
                : t.login(agentLogin.username, agentLogin.password))
            : tokens[who];
        const answer = await t.request(method, url, {
          ...(token ? { token } : {}),
          ...(body ? { body } : {}),
        });
        if (expectations[who] === 'denied') {
          expect(answer.status).toBe(who === 'anonymous' ? 401 : 403);
          expect(answer.body.error.code).toBe(
            who === 'anonymous' ? 'UNAUTHENTICATED' : 'FORBIDDEN',
          );
        } else {
          expect([200, 204, 400, 404]).toContain(answer.status);
          if (answer.status >= 400) expect(answer.body.error.code).not.toMatch(/FORBIDDEN|UNAUTH/);
        }
      });
    }
  }

  it('left every fixture as it was: denied calls changed nothing', async () => {
    const agent = await t.request('GET', `/api/v1/agents/${ids.agent}`, { token: t.adminToken });
    expect(agent.body.agent.enabled).toBe(true);
    const channel = await t.request('GET', `/api/v1/channels/${ids.channel}`, {
      token: t.adminToken,
    });
    expect(channel.body.channel.name).toBe('Matrix');
  });
});
