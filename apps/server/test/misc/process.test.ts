import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freePort, runNode } from '../support/processes.js';

/** The built server (`npm start` runs the same files), as a real process. */
describe('server process', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'servicesystem-proc-'));
  });
  afterEach(() => fs.rm(dataDir, { recursive: true, force: true }));

  it.each([
    [
      { PORT: 'abc' },
      /^Invalid configuration: PORT must be a whole number from 1 to 65535 \(got "abc"\)\n$/,
    ],
    [
      { DATABASE_URL: 'mysql://x' },
      /^Invalid configuration: DATABASE_URL must be sqlite:<file path> or a postgres:\/\/ URL \(got "mysql:\/\/x"\)\n$/,
    ],
  ])('stops with one clear line and a non-zero exit for %o', async (env, line) => {
    const result = await runNode('main.js', [], { DATA_DIR: dataDir, ...env }).finished;
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(line);
  });

  it('starts on the embedded defaults, prints how to log in, serves, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const server = runNode('main.js', [], {
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    });
    await server.waitFor('Admin password:');
    const { stdout } = server.output();
    const password = /Admin password: (\S+)/.exec(stdout)?.[1];
    expect(stdout).toContain(`Console:       http://127.0.0.1:${port}/console/`);
    expect(stdout).toMatch(
      new RegExp(`Visitor page:  http://127.0.0.1:${port}/chat/\\?channel=[0-9a-f-]{36}`),
    );
    await expect(fs.stat(path.join(dataDir, 'servicesystem.db'))).resolves.toBeTruthy();

    const base = `http://127.0.0.1:${port}`;
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    expect(login.status).toBe(200);
    const { token } = (await login.json()) as { token: string };
    const created = await fetch(`${base}/api/v1/agents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ username: 'zoe', displayName: 'Zoe', password: 'zoe-password' }),
    });
    expect(created.status).toBe(201);

    server.child.kill('SIGTERM');
    const result = await server.finished;
    expect(result.code).toBe(0);

    // A second start on the same data creates nothing and prints no password.
    const again = runNode('main.js', [], {
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    });
    await again.waitFor('Log in:');
    expect(again.output().stdout).not.toContain('Admin password');
    again.child.kill('SIGINT');
    expect((await again.finished).code).toBe(0);
  });

  it('operator CLI: create-admin and reset-password print a working new password', async () => {
    const env = { DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
    const created = await runNode('cli/admin.js', ['create-admin', 'ops'], env).finished;
    expect(created.code).toBe(0);
    const first = /password: (\S+)/.exec(created.stdout)?.[1];
    expect(first).toMatch(/^[A-Za-z0-9]{16}$/);

    const reset = await runNode('cli/admin.js', ['reset-password', 'OPS'], env).finished;
    expect(reset.code).toBe(0);
    const second = /New password for ops: (\S+)/.exec(reset.stdout)?.[1];
    expect(second).toMatch(/^[A-Za-z0-9]{16}$/);
    expect(second).not.toBe(first);

    const port = await freePort();
    const server = runNode('main.js', [], { ...env, PORT: String(port), HOST: '127.0.0.1' });
    await server.waitFor('Log in:');
    const login = async (password: string) =>
      (
        await fetch(`http://127.0.0.1:${port}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'ops', password }),
        })
      ).status;
    expect(await login(second!)).toBe(200);
    expect(await login(first!)).toBe(401);
    server.child.kill('SIGTERM');
    await server.finished;

    const missing = await runNode('cli/admin.js', ['reset-password', 'ghost'], env).finished;
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('The account was not found');
    const usage = await runNode('cli/admin.js', ['frobnicate'], env).finished;
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('Usage:');
  });
});
