import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditListResponse, type AuditEntry } from '@servicesystem/protocol';
import { doResetPassword } from '../../src/domain/accounts/resetAccountPassword.js';
import { adminPassword, startTestApp, type TestApp } from '../support/testApp.js';

/** The audit log of administrators' actions: GET /api/v1/audit. */
describe('audit log', () => {
  let t: TestApp;
  let adminId: string;
  // A clock the tests move: one second per reading, or frozen to make entries share a time.
  let clock = Date.UTC(2027, 0, 4, 9, 0, 0);
  let step = 1000;

  beforeAll(async () => {
    t = await startTestApp({}, { now: () => (clock += step) });
    adminId = (await t.request('GET', '/api/v1/me', { token: t.adminToken })).body.account.id;
  });
  afterAll(() => t.close());

  async function readLog(query = ''): Promise<AuditEntry[]> {
    const answer = await t.request('GET', `/api/v1/audit${query}`, { token: t.adminToken });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return AuditListResponse.parse(answer.body).entries;
  }

  /** The entries written since `mark` (an entry id, or null for the whole log), oldest first. */
  async function entriesSince(mark: string | null): Promise<AuditEntry[]> {
    const all = await readLog('?limit=100');
    const index = mark === null ? all.length : all.findIndex((e) => e.id === mark);
    return all.slice(0, index).reverse();
  }

  async function lastId(): Promise<string | null> {
    return (await readLog('?limit=1'))[0]?.id ?? null;
  }

  it('holds the first-run setup, by the first start', async () => {
    const setup = await entriesSince(null);
    expect(setup.map((e) => [e.action, e.target.label, e.actor])).toEqual([
      ['account.create', 'admin', { kind: 'setup', id: null, username: null }],
      ['channel.create', 'Default', { kind: 'setup', id: null, username: null }],
    ]);
  });

  it('records who did what to which account and channel, with only the changed fields', async () => {
    const mark = await lastId();
    const created = await t.request('POST', '/api/v1/agents', {
      token: t.adminToken,
      body: {
        username: 'alice',
        displayName: 'Alice',
        password: 'alice-first-pw',
        maxConcurrent: 3,
      },
    });
    const aliceId = created.body.agent.id as string;
    const edit = (body: unknown) =>
      t.request('PATCH', `/api/v1/agents/${aliceId}`, { token: t.adminToken, body });
    expect((await edit({ displayName: 'Alice Li', maxConcurrent: 5 })).status).toBe(200);
    expect((await edit({ enabled: false })).status).toBe(200);
    expect((await edit({ enabled: true, role: 'admin' })).status).toBe(200);
    const reset = await t.request('POST', `/api/v1/agents/${aliceId}/password`, {
      token: t.adminToken,
      body: { password: 'alice-second-pw' },
    });
    expect(reset.status).toBe(200);

    const channel = await t.request('POST', '/api/v1/channels', {
      token: t.adminToken,
      body: { name: 'Shop', allowedOrigins: ['https://shop.example.com'] },
    });
    const channelId = channel.body.channel.id as string;
    const firstSecret = channel.body.channel.identitySecret as string;
    await t.request('PATCH', `/api/v1/channels/${channelId}`, {
      token: t.adminToken,
      body: {
        name: 'Shop CN',
        welcomeMessage: 'Hi!',
        allowedOrigins: ['https://shop.example.com', 'https://shop.example.cn'],
      },
    });
    const rotated = await t.request('POST', `/api/v1/channels/${channelId}/rotate-secret`, {
      token: t.adminToken,
    });
    const secondSecret = rotated.body.channel.identitySecret as string;
    expect(
      (await t.request('DELETE', `/api/v1/channels/${channelId}`, { token: t.adminToken })).status,
    ).toBe(204);

    const entries = await entriesSince(mark);
    const admin = { kind: 'account', id: adminId, username: 'admin' };
    const alice = { type: 'account', id: aliceId, label: 'alice' };
    const shop = { type: 'channel', id: channelId };
    expect(
      entries.map(({ actor, action, target, changes }) => ({ actor, action, target, changes })),
    ).toEqual([
      {
        actor: admin,
        action: 'account.create',
        target: alice,
        changes: [
          { field: 'username', to: 'alice' },
          { field: 'displayName', to: 'Alice' },
          { field: 'role', to: 'agent' },
          { field: 'maxConcurrent', to: 3 },
          { field: 'password' },
        ],
      },
      {
        actor: admin,
        action: 'account.update',
        target: alice,
        changes: [
          { field: 'displayName', from: 'Alice', to: 'Alice Li' },
          { field: 'maxConcurrent', from: 3, to: 5 },
        ],
      },
      {
        actor: admin,
        action: 'account.disable',
        target: alice,
        changes: [{ field: 'enabled', from: true, to: false }],
      },
      {
        actor: admin,
        action: 'account.enable',
        target: alice,
        changes: [
          { field: 'role', from: 'agent', to: 'admin' },
          { field: 'enabled', from: false, to: true },
        ],
      },
      {
        actor: admin,
        action: 'account.resetPassword',
        target: alice,
        changes: [{ field: 'password' }],
      },
      {
        actor: admin,
        action: 'channel.create',
        target: { ...shop, label: 'Shop' },
        changes: [
          { field: 'name', to: 'Shop' },
          { field: 'allowedOrigins', to: ['https://shop.example.com'] },
        ],
      },
      {
        actor: admin,
        action: 'channel.update',
        target: { ...shop, label: 'Shop CN' },
        changes: [
          { field: 'name', from: 'Shop', to: 'Shop CN' },
          {
            field: 'allowedOrigins',
            from: ['https://shop.example.com'],
            to: ['https://shop.example.com', 'https://shop.example.cn'],
          },
          { field: 'welcomeMessage' },
        ],
      },
      {
        actor: admin,
        action: 'channel.rotateSecret',
        target: { ...shop, label: 'Shop CN' },
        changes: [{ field: 'identitySecret' }],
      },
      {
        actor: admin,
        action: 'channel.delete',
        target: { ...shop, label: 'Shop CN' },
        changes: [],
      },
    ]);
    // When: the clock of each action, newest first in the answer.
    const times = entries.map((e) => e.at);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(new Set(times).size).toBe(times.length);

    // Never a password, a hash or a secret.
    const text = JSON.stringify(await readLog('?limit=100'));
    const hashes = await t.app.ctx.db.selectFrom('accounts').select('password_hash').execute();
    for (const secret of [
      'alice-first-pw',
      'alice-second-pw',
      adminPassword,
      firstSecret,
      secondSecret,
      ...hashes.map((h) => h.password_hash),
    ]) {
      expect(text).not.toContain(secret);
    }
  });

  it('writes nothing for an edit that changes nothing, or for a refused action', async () => {
    const mark = await lastId();
    const bob = await t.createAccount({ displayName: 'Bob' });
    const afterCreate = await lastId();
    expect((await entriesSince(mark)).map((e) => e.action)).toEqual(['account.create']);

    const same = await t.request('PATCH', `/api/v1/agents/${bob.account.id}`, {
      token: t.adminToken,
      body: { displayName: 'Bob', enabled: true },
    });
    expect(same.status).toBe(200);
    const taken = await t.request('POST', '/api/v1/agents', {
      token: t.adminToken,
      body: { username: bob.account.username, displayName: 'Again' },
    });
    expect(taken.body.error.code).toBe('USERNAME_TAKEN');
    const byAgent = await t.request('PATCH', `/api/v1/agents/${bob.account.id}`, {
      token: bob.token,
      body: { displayName: 'Boss' },
    });
    expect(byAgent.status).toBe(403);
    const invalid = await t.request('POST', '/api/v1/channels', {
      token: t.adminToken,
      body: { name: '' },
    });
    expect(invalid.status).toBe(400);
    const missing = await t.request('POST', '/api/v1/agents/no-such-id/password', {
      token: t.adminToken,
      body: {},
    });
    expect(missing.status).toBe(404);
    const written = await entriesSince(afterCreate);
    expect(written).toEqual([]);
  });

  it('refuses the last admin’s demotion and records nothing for it', async () => {
    const mark = await lastId();
    // Every other admin disabled: the first admin is the last enabled one.
    const admins = (
      await t.request('GET', '/api/v1/agents', { token: t.adminToken })
    ).body.agents.filter(
      (a: { role: string; id: string; enabled: boolean }) =>
        a.role === 'admin' && a.id !== adminId && a.enabled,
    );
    for (const other of admins) {
      await t.request('PATCH', `/api/v1/agents/${other.id}`, {
        token: t.adminToken,
        body: { enabled: false },
      });
    }
    const disabledNow = await entriesSince(mark);
    const refused = await t.request('PATCH', `/api/v1/agents/${adminId}`, {
      token: t.adminToken,
      body: { role: 'agent' },
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('LAST_ADMIN');
    expect(await entriesSince(mark)).toEqual(disabledNow);
  });

  it('writes the entry in the transaction of the change: no entry, no change', async () => {
    const { db } = t.app.ctx;
    const channel = await t.request('POST', '/api/v1/channels', {
      token: t.adminToken,
      body: { name: 'Atomic' },
    });
    const channelId = channel.body.channel.id as string;
    const carol = await t.createAccount({ password: 'carol-first-pw' });
    const mark = await lastId();
    await sql`alter table audit_log rename to audit_log_away`.execute(db);
    try {
      const renamed = await t.request('PATCH', `/api/v1/channels/${channelId}`, {
        token: t.adminToken,
        body: { name: 'Renamed' },
      });
      expect(renamed.status).toBe(500);
      const rotated = await t.request('POST', `/api/v1/channels/${channelId}/rotate-secret`, {
        token: t.adminToken,
      });
      expect(rotated.status).toBe(500);
      const deleted = await t.request('DELETE', `/api/v1/channels/${channelId}`, {
        token: t.adminToken,
      });
      expect(deleted.status).toBe(500);
      const created = await t.request('POST', '/api/v1/agents', {
        token: t.adminToken,
        body: { username: 'dave', displayName: 'Dave', password: 'dave-password' },
      });
      expect(created.status).toBe(500);
      const disabled = await t.request('PATCH', `/api/v1/agents/${carol.account.id}`, {
        token: t.adminToken,
        body: { enabled: false },
      });
      expect(disabled.status).toBe(500);
      const reset = await t.request('POST', `/api/v1/agents/${carol.account.id}/password`, {
        token: t.adminToken,
        body: { password: 'carol-second-pw' },
      });
      expect(reset.status).toBe(500);
    } finally {
      await sql`alter table audit_log_away rename to audit_log`.execute(db);
    }
    const after = await t.request('GET', `/api/v1/channels/${channelId}`, { token: t.adminToken });
    expect(after.body.channel).toMatchObject({
      name: 'Atomic',
      identitySecret: channel.body.channel.identitySecret,
    });
    const agents = (await t.request('GET', '/api/v1/agents', { token: t.adminToken })).body
      .agents as { username: string }[];
    expect(agents.map((a) => a.username)).not.toContain('dave');
    // Carol is still enabled, her password and her session unchanged.
    expect((await t.request('GET', '/api/v1/me', { token: carol.token })).status).toBe(200);
    await t.login(carol.account.username, 'carol-first-pw');
    expect(await entriesSince(mark)).toEqual([]);
  });

  it('records the operator’s CLI actions with no account', async () => {
    const mark = await lastId();
    const erin = await t.createAccount();
    await doResetPassword(t.app.ctx, { username: erin.account.username }, undefined, 'cli');
    const [, entry] = await entriesSince(mark);
    expect(entry).toMatchObject({
      actor: { kind: 'cli', id: null, username: null },
      action: 'account.resetPassword',
      target: { type: 'account', id: erin.account.id, label: erin.account.username },
      changes: [{ field: 'password' }],
    });
  });

  it('pages newest first with before and limit, also through entries written in the same millisecond', async () => {
    step = 0;
    try {
      for (let i = 0; i < 7; i += 1) {
        await t.request('POST', '/api/v1/channels', {
          token: t.adminToken,
          body: { name: `Paged ${i}` },
        });
      }
    } finally {
      step = 1000;
    }
    const all = await readLog('?limit=100');
    const pages: AuditEntry[][] = [];
    let before = '';
    for (;;) {
      const answer = await t.request('GET', `/api/v1/audit?limit=3${before}`, {
        token: t.adminToken,
      });
      const page = AuditListResponse.parse(answer.body);
      pages.push(page.entries);
      expect(page.entries.length).toBeLessThanOrEqual(3);
      if (!page.hasMore) break;
      before = `&before=${page.entries.at(-1)!.id}`;
    }
    expect(pages.flat()).toEqual(all);
    expect(pages.length).toBe(Math.ceil(all.length / 3));
    const times = all.map((e) => e.at);
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it('filters by action, administrator and target', async () => {
    const frank = await t.createAccount({ role: 'admin' });
    const made = await t.request('POST', '/api/v1/channels', {
      token: frank.token,
      body: { name: 'Frank’s' },
    });
    const channelId = made.body.channel.id as string;
    await t.request('PATCH', `/api/v1/channels/${channelId}`, {
      token: frank.token,
      body: { name: 'Frank’s shop' },
    });

    const byFrank = await readLog(`?actorId=${frank.account.id}`);
    expect(byFrank.map((e) => e.action)).toEqual(['channel.update', 'channel.create']);
    expect(byFrank.every((e) => e.actor.username === frank.account.username)).toBe(true);
    const aboutChannel = await readLog(`?targetId=${channelId}`);
    expect(aboutChannel.map((e) => e.action)).toEqual(['channel.update', 'channel.create']);
    const updates = await readLog('?action=channel.update');
    expect(updates.length).toBeGreaterThan(0);
    expect(updates.every((e) => e.action === 'channel.update')).toBe(true);
    const resets = await readLog(`?action=account.create&targetId=${frank.account.id}`);
    expect(resets.map((e) => e.target.id)).toEqual([frank.account.id]);
  });

  it('validates the query with clear 400s', async () => {
    for (const query of [
      '?limit=0',
      '?limit=101',
      '?limit=ten',
      '?action=account.delete',
      '?sort=asc',
      `?actorId=${'x'.repeat(65)}`,
      '?before=no-such-entry',
    ]) {
      const answer = await t.request('GET', `/api/v1/audit${query}`, { token: t.adminToken });
      expect(answer.status, query).toBe(400);
      expect(answer.body.error.code, query).toBe('VALIDATION_FAILED');
      expect(answer.body.error.issues.length, query).toBeGreaterThan(0);
    }
  });

  it('is for admins only', async () => {
    const agent = await t.createAccount();
    const asAgent = await t.request('GET', '/api/v1/audit', { token: agent.token });
    expect(asAgent.status).toBe(403);
    expect(asAgent.body.error.code).toBe('FORBIDDEN');
    const anonymous = await t.request('GET', '/api/v1/audit');
    expect(anonymous.status).toBe(401);
    const channelId = (await t.request('GET', '/api/v1/channels', { token: t.adminToken })).body
      .channels[0].id as string;
    const visitor = await t.request('POST', '/api/v1/visitor/session', { body: { channelId } });
    const asVisitor = await t.request('GET', '/api/v1/audit', {
      token: visitor.body.visitorToken,
    });
    expect(asVisitor.status).toBe(401);
  });
});
