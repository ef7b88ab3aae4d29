import fs from 'node:fs/promises';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminPassword } from '../support/testApp.js';
import { newClientMsgId, startLiveApp, type LiveApp } from '../support/liveApp.js';

type Who = 'anonymous' | 'visitor' | 'agent' | 'admin';
/** 'ok': allowed (any answer but 401/403); a number: refused with that status. */
type Cell = 'ok' | 401 | 403;

/**
 * Every route, by who may call it. The visitor and the agent are the two participants of the
 * conversation the routes are called on (other visitors and agents: conversationAccess.test.ts).
 * A route missing from this table fails the test, so a new route cannot ship without a decision.
 */
const matrix: Record<string, Record<Who, Cell>> = {
  'GET /healthz': { anonymous: 'ok', visitor: 'ok', agent: 'ok', admin: 'ok' },
  'POST /api/v1/auth/login': { anonymous: 'ok', visitor: 'ok', agent: 'ok', admin: 'ok' },
  'POST /api/v1/auth/logout': { anonymous: 401, visitor: 401, agent: 'ok', admin: 'ok' },
  'GET /api/v1/me': { anonymous: 401, visitor: 401, agent: 'ok', admin: 'ok' },
  'PATCH /api/v1/me': { anonymous: 401, visitor: 401, agent: 'ok', admin: 'ok' },
  'POST /api/v1/me/password': { anonymous: 401, visitor: 401, agent: 'ok', admin: 'ok' },
  'PUT /api/v1/me/status': { anonymous: 401, visitor: 401, agent: 'ok', admin: 403 },
  'GET /api/v1/presence': { anonymous: 401, visitor: 401, agent: 'ok', admin: 'ok' },
  'GET /api/v1/agents': { anonymous: 401, visitor: 401, agent: 403, admin: 'ok' },
  'POST /api/v1/agents': { anonymous: 401, visitor: 401, agent: 403, admin: 'ok' },
  'GET /api/v1/agents/:id': { anonymous: 401, visitor: 401, agent: 403, admin: 'ok' },
  'PATCH /api/v1/agents/:id': { anonymous: 401, visitor: 401, agent: 403, admin: 'ok' },
  'POST /api/v1/agents/:id/password': { anonymous: 401, visitor: 401, agent: 403, admin: 'ok' },
  'GET /api/v1/channels': { anonymous: 401, visitor: 401, agent: 'ok', admin: 'ok' },
  'GET /api/v1/channels/:id': { anonymous: 401, visitor: 401, agent: 'ok', admin: 'ok' },
  'POST /api/v1/channels': { anonymous: 401, visitor: 401, agent: 403, admin: 'ok' },
  'PATCH /api/v1/channels/:id': { anonymous: 401, visitor: 401, agent: 403, admin: 'ok' },
  'POST /api/v1/channels/:id/rotate-secret': {
    anonymous: 401,
    visitor: 401,
    agent: 403,
    admin: 'ok',
  },
  'DELETE /api/v1/channels/:id': { anonymous: 401, visitor: 401, agent: 403, admin: 'ok' },
  'POST /api/v1/visitor/session': { anonymous: 'ok', visitor: 'ok', agent: 'ok', admin: 'ok' },
  'GET /api/v1/visitor/unread': { anonymous: 401, visitor: 'ok', agent: 401, admin: 401 },
  'GET /api/v1/visitor/conversations': { anonymous: 401, visitor: 'ok', agent: 401, admin: 401 },
  'POST /api/v1/visitor/messages': { anonymous: 401, visitor: 'ok', agent: 401, admin: 401 },
  'GET /api/v1/conversations': { anonymous: 401, visitor: 401, agent: 'ok', admin: 'ok' },
  'GET /api/v1/conversations/:id': { anonymous: 401, visitor: 401, agent: 'ok', admin: 'ok' },
  'GET /api/v1/conversations/:id/messages': {
    anonymous: 401,
    visitor: 'ok',
    agent: 'ok',
    admin: 'ok',
  },
  'POST /api/v1/conversations/:id/messages': {
    anonymous: 401,
    visitor: 401,
    agent: 'ok',
    admin: 403,
  },
  'POST /api/v1/conversations/:id/read': { anonymous: 401, visitor: 'ok', agent: 'ok', admin: 403 },
  'POST /api/v1/conversations/:id/typing': {
    anonymous: 401,
    visitor: 'ok',
    agent: 'ok',
    admin: 403,
  },
  'POST /api/v1/conversations/:id/end': { anonymous: 401, visitor: 401, agent: 'ok', admin: 'ok' },
  'POST /api/v1/conversations/:id/transfer': {
    anonymous: 401,
    visitor: 401,
    agent: 'ok',
    admin: 'ok',
  },
  'POST /api/v1/conversations/:id/assign': {
    anonymous: 401,
    visitor: 401,
    agent: 403,
    admin: 'ok',
  },
  'GET /api/v1/stats': { anonymous: 401, visitor: 401, agent: 403, admin: 'ok' },
  'GET /console': { anonymous: 'ok', visitor: 'ok', agent: 'ok', admin: 'ok' },
  'GET /console/*': { anonymous: 'ok', visitor: 'ok', agent: 'ok', admin: 'ok' },
  'GET /chat': { anonymous: 'ok', visitor: 'ok', agent: 'ok', admin: 'ok' },
  'GET /chat/*': { anonymous: 'ok', visitor: 'ok', agent: 'ok', admin: 'ok' },
  'GET /embed.js': { anonymous: 'ok', visitor: 'ok', agent: 'ok', admin: 'ok' },
  'POST /api/v1/uploads': { anonymous: 401, visitor: 'ok', agent: 'ok', admin: 'ok' },
  'GET /api/v1/files/:id': { anonymous: 401, visitor: 'ok', agent: 'ok', admin: 'ok' },
  'GET /api/v1/files/:id/thumbnail': { anonymous: 401, visitor: 'ok', agent: 'ok', admin: 'ok' },
  'GET /api/v1/files/:id/cover': { anonymous: 401, visitor: 'ok', agent: 'ok', admin: 'ok' },
};

/** Routes whose allowed call changes something even with an empty body: each gets a fresh
 * fixture so the other rows still see the original. */
const consumesFixture = new Set(['POST /api/v1/conversations/:id/end', 'POST /api/v1/auth/logout']);

describe('permission matrix', () => {
  let t: LiveApp;
  let agent: { id: string; token: string; username: string; password: string };
  let visitorToken: string;
  let conversationId: string;
  let channelId: string;
  let fileId: string;

  async function startConversation(): Promise<{ visitorToken: string; conversationId: string }> {
    const visitor = await t.visitor();
    const sent = await t.request('POST', '/api/v1/visitor/messages', {
      token: visitor.token,
      body: { clientMsgId: newClientMsgId(), type: 'text', body: 'hello' },
    });
    return { visitorToken: visitor.token, conversationId: sent.body.conversation.id };
  }

  beforeAll(async () => {
    t = await startLiveApp();
    agent = await t.agent({ status: 'online' });
    ({ visitorToken, conversationId } = await startConversation());
    // A file the visitor sent in the conversation: its agent and admins may read it too.
    const form = new FormData();
    form.append(
      'file',
      new Blob([
        await sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } })
          .png()
          .toBuffer(),
      ]),
      'dot.png',
    );
    const uploaded = await fetch(`${t.url}/api/v1/uploads`, {
      method: 'POST',
      body: form,
      headers: { authorization: `Bearer ${visitorToken}` },
    });
    fileId = ((await uploaded.json()) as { file: { id: string } }).file.id;
    await t.request('POST', '/api/v1/visitor/messages', {
      token: visitorToken,
      body: { clientMsgId: newClientMsgId(), type: 'image', fileId },
    });
    const channel = await t.request('POST', '/api/v1/channels', {
      token: t.adminToken,
      body: { name: 'Matrix' },
    });
    channelId = channel.body.channel.id;
  });
  afterAll(() => t.close());

  it('documents every registered route in docs/PROTOCOL.md', async () => {
    const doc = await fs.readFile(new URL('../../../../docs/PROTOCOL.md', import.meta.url), 'utf8');
    const missing = t.app.routes.filter((r) => r.url !== '/healthz' && !doc.includes(r.url));
    expect(missing).toEqual([]);
  });

  it('has a row for every registered route', () => {
    const registered = t.app.routes.map((r) => `${r.method} ${r.url}`).sort();
    expect(registered).toEqual(Object.keys(matrix).sort());
  });

  async function tokenFor(who: Who, route: string, fresh: { visitorToken: string }) {
    if (who === 'anonymous') return undefined;
    if (who === 'visitor') return fresh.visitorToken;
    if (route === 'POST /api/v1/auth/logout') {
      return who === 'admin'
        ? t.login('admin', adminPassword)
        : t.login(agent.username, agent.password);
    }
    return who === 'admin' ? t.adminToken : agent.token;
  }

  for (const [route, cells] of Object.entries(matrix)) {
    for (const who of ['anonymous', 'visitor', 'agent', 'admin'] as const) {
      const expected = cells[who];
      it(`${route}: ${who} → ${expected === 'ok' ? 'allowed' : expected}`, async () => {
        const [method, pattern] = route.split(' ') as [string, string];
        const fixture =
          consumesFixture.has(route) && expected === 'ok' && route.includes('/conversations/')
            ? await startConversation()
            : { visitorToken, conversationId };
        const id = pattern.includes('/agents/')
          ? agent.id
          : pattern.includes('/files/')
            ? fileId
            : pattern.includes('/conversations/')
              ? fixture.conversationId
              : method === 'DELETE'
                ? 'no-such-channel'
                : channelId;
        // A body that fails validation: an allowed caller gets past authorization and is told
        // about the body (400), so nothing changes; a refused caller is stopped first.
        const body = method === 'GET' || method === 'DELETE' ? undefined : { '': 'invalid' };
        const token = await tokenFor(who, route, fixture);
        const answer = await t.request(method, pattern.replace(':id', id), {
          ...(token ? { token } : {}),
          ...(body ? { body } : {}),
        });
        if (expected === 'ok') {
          expect(answer.status, JSON.stringify(answer.body)).toBeLessThan(500);
          expect([401, 403]).not.toContain(answer.status);
        } else {
          expect(answer.status).toBe(expected);
          expect(answer.body.error.code).toBe(expected === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN');
        }
      });
    }
  }

  it('left every fixture as it was: refused calls changed nothing', async () => {
    const read = await t.request('GET', `/api/v1/agents/${agent.id}`, { token: t.adminToken });
    expect(read.body.agent.enabled).toBe(true);
    const channel = await t.request('GET', `/api/v1/channels/${channelId}`, {
      token: t.adminToken,
    });
    expect(channel.body.channel.name).toBe('Matrix');
    const conversation = await t.request('GET', `/api/v1/conversations/${conversationId}`, {
      token: t.adminToken,
    });
    expect(conversation.body.conversation).toMatchObject({
      state: 'active',
      lastSeq: 4,
      agent: { id: agent.id },
    });
  });
});
