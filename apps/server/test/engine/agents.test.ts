import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AccountListResponse,
  AccountResponse,
  AgentListResponse,
  CreateAccountResponse,
  CreateAgentResponse,
  ResetPasswordResponse,
} from '@servicesystem/protocol';
import { adminPassword, startTestApp, type TestApp } from '../support/testApp.js';

describe('account management', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('manages every account under /api/v1/accounts, as /api/v1/agents does with other keys', async () => {
    const created = await t.request('POST', '/api/v1/accounts', {
      token: t.adminToken,
      body: { username: 'Dora', displayName: 'Dora', role: 'admin' },
    });
    expect(created.status).toBe(201);
    const { account, password } = CreateAccountResponse.strict().parse(created.body);
    expect(account).toMatchObject({ username: 'dora', role: 'admin', enabled: true });
    expect(password).toMatch(/.{12,}/);
    await t.login('dora', password!);

    const listed = AccountListResponse.parse(
      (await t.request('GET', '/api/v1/accounts', { token: t.adminToken })).body,
    );
    const olderList = AgentListResponse.parse(
      (await t.request('GET', '/api/v1/agents', { token: t.adminToken })).body,
    );
    expect(listed.accounts.map((a) => a.id)).toContain(account.id);
    expect(listed.accounts).toEqual(olderList.agents);

    const read = await t.request('GET', `/api/v1/accounts/${account.id}`, { token: t.adminToken });
    expect(AccountResponse.parse(read.body).account).toEqual(account);
    const edited = await t.request('PATCH', `/api/v1/accounts/${account.id}`, {
      token: t.adminToken,
      body: { displayName: 'Dora Admin' },
    });
    expect(edited.status).toBe(200);
    expect(AccountResponse.parse(edited.body).account.displayName).toBe('Dora Admin');
    const reset = await t.request('POST', `/api/v1/accounts/${account.id}/password`, {
      token: t.adminToken,
      body: {},
    });
    const fresh = ResetPasswordResponse.parse(reset.body).password;
    expect(fresh).not.toBe(password);
    await t.login('dora', fresh);
  });

  it('an admin creates an agent, who logs in and reads and edits their own profile', async () => {
    const created = await t.request('POST', '/api/v1/agents', {
      token: t.adminToken,
      body: {
        username: 'Alice',
        displayName: '  Alice   Li ',
        password: 'alice-password',
        maxConcurrent: 5,
      },
    });
    expect(created.status).toBe(201);
    const { agent } = CreateAgentResponse.parse(created.body);
    expect(agent).toMatchObject({
      username: 'alice',
      displayName: 'Alice Li',
      role: 'agent',
      maxConcurrent: 5,
      enabled: true,
      avatarUrl: null,
    });
    expect(created.body.password).toBeUndefined();

    const token = await t.login('alice', 'alice-password');
    const me = await t.request('GET', '/api/v1/me', { token });
    expect(me.body.account).toEqual(agent);

    const edited = await t.request('PATCH', '/api/v1/me', {
      token,
      body: { displayName: 'Alice', avatarUrl: 'https://cdn.example.com/a.png' },
    });
    expect(edited.status).toBe(200);
    expect(edited.body.account).toMatchObject({
      displayName: 'Alice',
      avatarUrl: 'https://cdn.example.com/a.png',
    });
    // An agent cannot raise their own cap or role through their profile.
    const sneaky = await t.request('PATCH', '/api/v1/me', { token, body: { role: 'admin' } });
    expect(sneaky.status).toBe(400);
    expect(sneaky.body.error.code).toBe('VALIDATION_FAILED');

    const list = await t.request('GET', '/api/v1/agents', { token: t.adminToken });
    expect(list.status).toBe(200);
    const names = AgentListResponse.parse(list.body).agents.map((a) => a.username);
    expect(names).toContain('alice');
    expect(JSON.stringify(list.body)).not.toMatch(/hash|argon/i);
  });

  it('generates a password when none is given and answers it once', async () => {
    const created = await t.request('POST', '/api/v1/agents', {
      token: t.adminToken,
      body: { username: 'bob', displayName: 'Bob' },
    });
    expect(created.status).toBe(201);
    expect(created.body.password).toMatch(/^[A-Za-z0-9]{16}$/);
    await expect(t.login('bob', created.body.password)).resolves.toMatch(/^sst_/);
  });

  it('refuses a taken username (case-insensitively) and invalid fields', async () => {
    await t.createAccount({ username: 'carol' });
    const taken = await t.request('POST', '/api/v1/agents', {
      token: t.adminToken,
      body: { username: 'CAROL', displayName: 'Carol 2', password: 'password-123' },
    });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('USERNAME_TAKEN');

    const cases: [unknown, string][] = [
      [{ username: 'a', displayName: 'A', password: 'password-123' }, 'username'],
      [{ username: 'has space', displayName: 'A', password: 'password-123' }, 'username'],
      [{ username: 'dave', displayName: '', password: 'password-123' }, 'displayName'],
      [{ username: 'dave', displayName: 'Dave', password: 'short' }, 'password'],
      [{ username: 'dave', displayName: 'Dave', role: 'root' }, 'role'],
      [{ username: 'dave', displayName: 'Dave', maxConcurrent: -1 }, 'maxConcurrent'],
      [{ username: 'dave', displayName: 'Dave', avatarUrl: 'javascript:alert(1)' }, 'avatarUrl'],
      [{ username: 'dave', displayName: 'Dave', extra: 1 }, ''],
      [[1, 2], ''],
    ];
    for (const [body, path] of cases) {
      const answer = await t.request('POST', '/api/v1/agents', { token: t.adminToken, body });
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.error.code).toBe('VALIDATION_FAILED');
      expect(answer.body.error.issues[0].path).toBe(path);
    }
    const list = await t.request('GET', '/api/v1/agents', { token: t.adminToken });
    expect(list.body.agents.map((a: { username: string }) => a.username)).not.toContain('dave');
  });

  it('an admin edits cap, name and role; unknown ids are 404', async () => {
    const { account } = await t.createAccount();
    const edited = await t.request('PATCH', `/api/v1/agents/${account.id}`, {
      token: t.adminToken,
      body: { maxConcurrent: 8, displayName: 'Renamed' },
    });
    expect(edited.status).toBe(200);
    expect(edited.body.agent).toMatchObject({ maxConcurrent: 8, displayName: 'Renamed' });
    const uncapped = await t.request('PATCH', `/api/v1/agents/${account.id}`, {
      token: t.adminToken,
      body: { maxConcurrent: null },
    });
    expect(uncapped.body.agent.maxConcurrent).toBeNull();
    const read = await t.request('GET', `/api/v1/agents/${account.id}`, { token: t.adminToken });
    expect(read.body.agent.displayName).toBe('Renamed');

    const missing = await t.request('PATCH', '/api/v1/agents/no-such-id', {
      token: t.adminToken,
      body: { displayName: 'X' },
    });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('NOT_FOUND');
  });

  it('disabling an account ends its sessions at once and refuses new logins; enabling restores it', async () => {
    const { account, password, token } = await t.createAccount();
    const second = await t.login(account.username, password);
    const off = await t.request('PATCH', `/api/v1/agents/${account.id}`, {
      token: t.adminToken,
      body: { enabled: false },
    });
    expect(off.status).toBe(200);
    expect(off.body.agent.enabled).toBe(false);
    for (const tk of [token, second]) {
      expect((await t.request('GET', '/api/v1/me', { token: tk })).status).toBe(401);
    }
    const refused = await t.request('POST', '/api/v1/auth/login', {
      body: { username: account.username, password },
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('ACCOUNT_DISABLED');

    await t.request('PATCH', `/api/v1/agents/${account.id}`, {
      token: t.adminToken,
      body: { enabled: true },
    });
    await expect(t.login(account.username, password)).resolves.toMatch(/^sst_/);
  });

  it('resetting a password ends every session of the account; the new password works', async () => {
    const { account, password, token } = await t.createAccount();
    const reset = await t.request('POST', `/api/v1/agents/${account.id}/password`, {
      token: t.adminToken,
    });
    expect(reset.status).toBe(200);
    expect(reset.body.password).toMatch(/^[A-Za-z0-9]{16}$/);
    expect((await t.request('GET', '/api/v1/me', { token })).status).toBe(401);
    const old = await t.request('POST', '/api/v1/auth/login', {
      body: { username: account.username, password },
    });
    expect(old.status).toBe(401);
    await expect(t.login(account.username, reset.body.password)).resolves.toMatch(/^sst_/);

    const chosen = await t.request('POST', `/api/v1/agents/${account.id}/password`, {
      token: t.adminToken,
      body: { password: 'chosen-password' },
    });
    expect(chosen.body.password).toBe('chosen-password');
    await expect(t.login(account.username, 'chosen-password')).resolves.toMatch(/^sst_/);
  });

  it('changing one’s own password needs the old one and ends the other sessions only', async () => {
    const { account, password, token } = await t.createAccount();
    const other = await t.login(account.username, password);
    const wrong = await t.request('POST', '/api/v1/me/password', {
      token,
      body: { currentPassword: 'wrong-one', newPassword: 'brand-new-password' },
    });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error.code).toBe('WRONG_PASSWORD');
    const ok = await t.request('POST', '/api/v1/me/password', {
      token,
      body: { currentPassword: password, newPassword: 'brand-new-password' },
    });
    expect(ok.status).toBe(204);
    expect((await t.request('GET', '/api/v1/me', { token })).status).toBe(200);
    expect((await t.request('GET', '/api/v1/me', { token: other })).status).toBe(401);
    await expect(t.login(account.username, 'brand-new-password')).resolves.toMatch(/^sst_/);
  });
});

describe('last admin protection', () => {
  it('the last enabled admin can be neither disabled nor demoted; with two, one can', async () => {
    const t = await startTestApp();
    try {
      const me = await t.request('GET', '/api/v1/me', { token: t.adminToken });
      const adminId = me.body.account.id as string;
      for (const body of [{ enabled: false }, { role: 'agent' }]) {
        const answer = await t.request('PATCH', `/api/v1/agents/${adminId}`, {
          token: t.adminToken,
          body,
        });
        expect(answer.status).toBe(409);
        expect(answer.body.error.code).toBe('LAST_ADMIN');
      }
      const still = await t.request('GET', '/api/v1/me', { token: t.adminToken });
      expect(still.body.account).toMatchObject({ role: 'admin', enabled: true });

      // A disabled second admin does not count.
      const second = await t.createAccount({ role: 'admin' });
      await t.request('PATCH', `/api/v1/agents/${second.account.id}`, {
        token: t.adminToken,
        body: { enabled: false },
      });
      const stillRefused = await t.request('PATCH', `/api/v1/agents/${adminId}`, {
        token: t.adminToken,
        body: { role: 'agent' },
      });
      expect(stillRefused.status).toBe(409);

      const third = await t.createAccount({ role: 'admin' });
      const demoted = await t.request('PATCH', `/api/v1/agents/${adminId}`, {
        token: third.token,
        body: { role: 'agent' },
      });
      expect(demoted.status).toBe(200);
      expect(demoted.body.agent.role).toBe('agent');
      // The demoted admin has lost admin rights at once.
      const list = await t.request('GET', '/api/v1/agents', { token: t.adminToken });
      expect(list.status).toBe(403);
      // And the one admin left is protected again.
      const last = await t.request('PATCH', `/api/v1/agents/${third.account.id}`, {
        token: third.token,
        body: { enabled: false },
      });
      expect(last.status).toBe(409);
      await expect(t.login('admin', adminPassword)).resolves.toMatch(/^sst_/);
    } finally {
      await t.close();
    }
  });
});
