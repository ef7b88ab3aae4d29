import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createTestDatabase, testEngine, type TestDatabase } from '../support/testDatabase.js';

describe('first-run bootstrap', () => {
  let db: TestDatabase;
  afterEach(() => db.drop());

  async function start(env: Record<string, string>) {
    return createApp(
      loadConfig({ DATABASE_URL: db.url, DATA_DIR: db.dataDir, LOG_LEVEL: 'silent', ...env }),
    );
  }

  async function login(app: Awaited<ReturnType<typeof start>>, username: string, password: string) {
    return app.http.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username, password },
    });
  }

  it('creates the admin from ADMIN_* and a default channel once; later starts create nothing', async () => {
    db = await createTestDatabase();
    const first = await start({ ADMIN_USERNAME: 'Boss', ADMIN_PASSWORD: 'boss-password' });
    expect(first.bootstrap.admin).toEqual({ username: 'boss' });
    expect(first.bootstrap.channel?.name).toBe('Default');
    expect((await login(first, 'boss', 'boss-password')).statusCode).toBe(200);
    await first.http.close();

    const second = await start({ ADMIN_USERNAME: 'other', ADMIN_PASSWORD: 'other-password' });
    expect(second.bootstrap).toEqual({});
    expect((await login(second, 'other', 'other-password')).statusCode).toBe(401);
    const accounts = await second.ctx.db.selectFrom('accounts').selectAll().execute();
    const channels = await second.ctx.db.selectFrom('channels').selectAll().execute();
    expect(accounts.map((a) => a.username)).toEqual(['boss']);
    expect(accounts[0]?.password_hash).toMatch(/^\$argon2id\$/);
    expect(channels).toHaveLength(1);
    await second.http.close();
  });

  it('generates an admin password when ADMIN_PASSWORD is unset, and it works', async () => {
    db = await createTestDatabase();
    const app = await start({});
    const password = app.bootstrap.admin?.generatedPassword;
    expect(app.bootstrap.admin?.username).toBe('admin');
    expect(password).toMatch(/^[A-Za-z0-9]{16}$/);
    const answer = await login(app, 'admin', password!);
    expect(answer.statusCode).toBe(200);
    expect(answer.json().account.role).toBe('admin');
    await app.http.close();
  });

  // Several nodes share a database only on PostgreSQL; an SQLite file belongs to one process.
  it.runIf(testEngine === 'postgres')(
    'two nodes starting together create one admin and one channel',
    async () => {
      db = await createTestDatabase();
      const env = { ADMIN_PASSWORD: 'admin-password' };
      const [a, b] = await Promise.all([start(env), start(env)]);
      const accounts = await a.ctx.db.selectFrom('accounts').select('id').execute();
      const channels = await a.ctx.db.selectFrom('channels').select('id').execute();
      expect(accounts).toHaveLength(1);
      expect(channels).toHaveLength(1);
      expect([a.bootstrap.admin, b.bootstrap.admin].filter(Boolean)).toHaveLength(1);
      await Promise.all([a.http.close(), b.http.close()]);
    },
  );
});
