import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { demoFaq } from '../../src/demo/demoData.js';
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

    // The password is also kept in a file only its owner reads, until the admin changes it.
    const kept = path.join(dataDir, 'initial-admin-password');
    expect(stdout).toContain(`(also in ${kept} until you change it)`);
    expect(stdout).toContain('Next steps');
    expect((await fs.stat(kept)).mode & 0o777).toBe(0o600);
    expect(await fs.readFile(kept, 'utf8')).toContain(`password: ${password}`);
    const changed = await fetch(`${base}/api/v1/me/password`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ currentPassword: password, newPassword: 'a-new-admin-password' }),
    });
    expect(changed.status).toBeLessThan(300);
    await expect
      .poll(() =>
        fs.stat(kept).then(
          () => true,
          () => false,
        ),
      )
      .toBe(false);

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
    await again.waitFor('Console:');
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
    await server.waitFor('Console:');
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

  it('logs no identity, token or file signature a request carried in its URL', async () => {
    const port = await freePort();
    const server = runNode('main.js', [], {
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'info',
    });
    await server.waitFor('Console:');
    const secret = 'eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LWlkZW50aXR5.c2lnbmF0dXJl';
    await fetch(`http://127.0.0.1:${port}/chat/?channel=abc&identity=${secret}&locale=en`);
    await fetch(`http://127.0.0.1:${port}/api/v1/files/x?exp=1&sig=${secret}`);
    await fetch(`http://127.0.0.1:${port}/api/v1/visitor/conversations?token=${secret}`);
    server.child.kill('SIGTERM');
    await server.finished;
    const { stdout } = server.output();
    // The requests were logged, with what the URL says apart from the credentials.
    expect(stdout).toContain('/chat/?channel=abc&identity=[redacted]&locale=en');
    expect(stdout).toContain('sig=[redacted]');
    expect(stdout).not.toContain(secret);
    expect(stdout).not.toContain('c2VjcmV0LWlkZW50aXR5');
  });

  it('writes short readable lines on a terminal, without a line per request', async () => {
    const port = await freePort();
    const server = runNode('main.js', [], {
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_FORMAT: 'pretty',
    });
    await server.waitFor('Console:');
    for (let i = 0; i < 5; i++) await fetch(`http://127.0.0.1:${port}/healthz`);
    await fetch(`http://127.0.0.1:${port}/api/v1/me`);
    server.child.kill('SIGTERM');
    await server.finished;
    const lines = server.output().stdout.split('\n');
    expect(lines.some((line) => /^\d\d:\d\d:\d\d INFO {2}Server listening at/.test(line))).toBe(
      true,
    );
    expect(lines.filter((line) => line.startsWith('{'))).toEqual([]);
    expect(lines.filter((line) => /incoming request|request completed/.test(line))).toEqual([]);
  });

  it('demo mode: nine users whose signed identities open visitor sessions; /demo/ is 404 otherwise', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const plain = runNode('main.js', [], {
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
    });
    await plain.waitFor('Console:');
    expect((await fetch(`${base}/demo/`)).status).toBe(404);
    expect((await fetch(`${base}/demo/api/users`)).status).toBe(404);
    plain.child.kill('SIGTERM');
    await plain.finished;

    const demoDir = path.join(dataDir, 'demo');
    const demo = runNode('main.js', ['--demo'], {
      DATA_DIR: demoDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      ADMIN_USERNAME: 'admin',
      ADMIN_PASSWORD: 'demo-admin-password-1',
    });
    await demo.waitFor('Demo page:');
    const { stdout } = demo.output();
    expect(stdout).toContain('DEMO MODE');
    const agentPassword = /^\s+xiaomei\s+(\S+)/m.exec(stdout)?.[1];
    expect(agentPassword).toMatch(/^[A-Za-z0-9]{16}$/);
    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'xiaomei', password: agentPassword }),
    });
    expect(login.status).toBe(200);

    const page = await fetch(`${base}/demo/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
    const { channelId, users } = (await (await fetch(`${base}/demo/api/users`)).json()) as {
      channelId: string;
      users: { name: string; avatarUrl: string; identity: string }[];
    };
    expect(users.map((u) => u.name)).toEqual([
      '王小二',
      '海底月捞不起',
      '谒词笙歌拟墨画扇',
      '巷子小仙女',
      '乐曲',
      '水乳交融',
      '敷诋',
      '十六鹤井',
      '梦清云凉泽',
    ]);
    const avatar = await fetch(users[0]!.avatarUrl);
    expect(avatar.headers.get('content-type')).toContain('image/svg+xml');
    const session = await fetch(`${base}/api/v1/visitor/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ channelId, identity: users[1]!.identity }),
    });
    expect(session.status).toBe(200);
    const { visitor } = (await session.json()) as {
      visitor: { name: string; identified: boolean };
    };
    expect(visitor).toMatchObject({ name: '海底月捞不起', identified: true });

    // The demo shop's robot knows its FAQ, ready for "Try it" (the robot itself is off).
    const faqOf = async () => {
      const admin = await fetch(`${base}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: 'demo-admin-password-1' }),
      });
      const { token } = (await admin.json()) as { token: string };
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const list = await fetch(`${base}/api/v1/channels/${channelId}/faq`, { headers });
      const tried = await fetch(`${base}/api/v1/channels/${channelId}/faq/try`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ text: '退款要多久才到账' }),
      });
      return {
        entries: ((await list.json()) as { entries: { questions: string[] }[] }).entries,
        tried: (await tried.json()) as { outcome: string; answer: string | null },
      };
    };
    const seeded = await faqOf();
    expect(seeded.entries.map((e) => e.questions[0])).toEqual(demoFaq.map((e) => e.questions[0]));
    expect(seeded.tried.outcome).toBe('answer');
    expect(seeded.tried.answer).toBe(demoFaq[0].answer);
    demo.child.kill('SIGTERM');
    await demo.finished;

    // A second demo start finds its data again and prints the same agent password.
    const again = runNode('main.js', ['--demo'], {
      DATA_DIR: demoDir,
      PORT: String(port),
      HOST: '127.0.0.1',
    });
    await again.waitFor('Demo page:');
    expect(again.output().stdout).toContain(agentPassword);
    // Seeded once: the second start adds no second copy.
    expect((await faqOf()).entries).toHaveLength(demoFaq.length);
    again.child.kill('SIGTERM');
    await again.finished;
  });
});
