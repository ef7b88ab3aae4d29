import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { io, type Socket } from 'socket.io-client';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newClientMsgId } from '../support/liveApp.js';
import { startClusterNode } from '../support/clusterNode.js';
import { freePort, type Running } from '../support/processes.js';
import { api } from '../support/serverProcess.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

const deployDoc = fileURLToPath(new URL('../../../../docs/DEPLOY.md', import.meta.url));

/** The two nginx blocks docs/DEPLOY.md shows: the whole plain-HTTP config, the TLS server. */
async function documentedNginx(): Promise<{ plain: string; tls: string }> {
  const doc = await fs.readFile(deployDoc, 'utf8');
  const blocks = [...doc.matchAll(/```nginx\n([\s\S]*?)```/g)].map((m) => m[1]!);
  expect(blocks).toHaveLength(2);
  return { plain: blocks[0]!, tls: blocks[1]! };
}

/** The documented text with this machine's addresses, as an operator fills it in. */
function filled(
  text: string,
  values: { nodes: string[]; port: number; tlsPort?: number; cert?: string; key?: string },
) {
  const [first, ...others] = values.nodes;
  return text
    .replace(/server 10\.0\.0\.11:3000 /, `server ${first} `)
    .replace(/ {2}server 10\.0\.0\.12:3000 (.*)\n/, (_line, rest: string) =>
      others.map((node) => `  server ${node} ${rest}\n`).join(''),
    )
    .replace('listen 80;', `listen 127.0.0.1:${values.port};`)
    .replace('listen 443 ssl http2;', `listen 127.0.0.1:${values.tlsPort ?? 0} ssl http2;`)
    .replace('/etc/ssl/certs/chat.example.com.pem', values.cert ?? '')
    .replace('/etc/ssl/private/chat.example.com.key', values.key ?? '');
}

/** An nginx of our own (its own master process, prefix and pid file) around `http` text. */
async function nginxConf(dir: string, http: string): Promise<string> {
  for (const sub of ['logs', 'tmp']) await fs.mkdir(path.join(dir, sub), { recursive: true });
  const conf = path.join(dir, 'nginx.conf');
  await fs.writeFile(
    conf,
    [
      process.getuid?.() === 0 ? 'user root;' : '',
      'worker_processes 2;',
      'daemon off;',
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/logs/error.log warn;`,
      'events { worker_connections 512; }',
      'http {',
      '  access_log off;',
      `  client_body_temp_path ${dir}/tmp/body;`,
      `  proxy_temp_path ${dir}/tmp/proxy;`,
      `  fastcgi_temp_path ${dir}/tmp/fastcgi;`,
      `  uwsgi_temp_path ${dir}/tmp/uwsgi;`,
      `  scgi_temp_path ${dir}/tmp/scgi;`,
      http,
      '}',
    ].join('\n'),
  );
  return conf;
}

const hasNginx = (() => {
  try {
    execFileSync('nginx', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!hasNginx && process.env.CI !== 'true')('behind the documented nginx', () => {
  let dir: string;
  let db: TestDatabase;
  let nginx: ChildProcess | undefined;
  let browser: Browser | undefined;
  const nodes: { port: number; dataDir: string; process: Running }[] = [];
  const sockets: Socket[] = [];
  const prefix = `ss-nginx-${randomBytes(4).toString('hex')}`;
  let entry: string;

  const startNode = (port: number, dataDir: string): Promise<Running> =>
    startClusterNode(
      { databaseUrl: db.url, prefix, adminPassword: 'admin-password-1' },
      port,
      dataDir,
      { PUBLIC_URL: entry, TRUST_PROXY: '1', AGENT_OFFLINE_GRACE_SECONDS: '10' },
    );

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ss-nginx-'));
    db = await createTestDatabase('postgres');
    const port = await freePort();
    entry = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 2; i++) {
      const nodePort = await freePort();
      const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'ss-nginx-node-'));
      nodes.push({ port: nodePort, dataDir, process: await startNode(nodePort, dataDir) });
    }
    const { plain } = await documentedNginx();
    const conf = await nginxConf(
      dir,
      filled(plain, { nodes: nodes.map((n) => `127.0.0.1:${n.port}`), port }),
    );
    nginx = spawn('nginx', ['-p', dir, '-c', conf], { stdio: 'ignore' });
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${entry}/healthz`)).ok) break;
      } catch {
        // not yet
      }
      if (i > 100) throw new Error(await fs.readFile(`${dir}/logs/error.log`, 'utf8'));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    await browser?.close();
    nginx?.kill('SIGQUIT');
    for (const node of nodes) {
      node.process.child.kill('SIGKILL');
      await fs.rm(node.dataDir, { recursive: true, force: true });
    }
    await db?.drop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('both documented configs pass nginx -t as written (with the certificate paths filled in)', async () => {
    const { plain, tls } = await documentedNginx();
    const certDir = path.join(dir, 'cert');
    await fs.mkdir(certDir, { recursive: true });
    const cert = path.join(certDir, 'chat.pem');
    const key = path.join(certDir, 'chat.key');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=chat.example.com',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: 'ignore' },
    );
    const values = {
      nodes: ['127.0.0.1:3001', '127.0.0.1:3002'],
      port: await freePort(),
      tlsPort: await freePort(),
      cert,
      key,
    };
    const testDir = path.join(dir, 'check');
    const conf = await nginxConf(testDir, filled(`${plain}\n${tls}`, values));
    expect(() =>
      execFileSync('nginx', ['-t', '-p', testDir, '-c', conf], { stdio: 'pipe' }),
    ).not.toThrow();
  });

  it('a rolling restart: every node in turn stops and starts while visitors and agents keep writing', async () => {
    const login = await api(entry, 'POST', '/api/v1/auth/login', {
      body: { username: 'admin', password: 'admin-password-1' },
    });
    const adminToken = login.body.token as string;
    const channelId = (await api(entry, 'GET', '/api/v1/channels', { token: adminToken })).body
      .channels[0].id as string;

    /** A socket through nginx from its own loopback address (nginx hashes on it). */
    const gaps: number[] = [];
    let disconnects = 0;
    const connect = (token: string, localAddress: string) => {
      const socket = io(entry, {
        auth: { token },
        transports: ['websocket'],
        reconnectionDelay: 200,
        reconnectionDelayMax: 1000,
        localAddress,
      } as Parameters<typeof io>[1]);
      let lostAt = 0;
      socket.on('disconnect', () => {
        lostAt = Date.now();
        disconnects += 1;
      });
      socket.on('connect', () => {
        if (lostAt) gaps.push(Date.now() - lostAt);
        lostAt = 0;
      });
      sockets.push(socket);
      return socket;
    };

    // Two agents, each seeing every message it is sent exactly once.
    const heardById = new Map<string, number>();
    for (const name of ['ann', 'bob']) {
      await api(entry, 'POST', '/api/v1/accounts', {
        token: adminToken,
        body: { username: name, displayName: name, password: `${name}-password-1` },
      });
      const token = (
        await api(entry, 'POST', '/api/v1/auth/login', {
          body: { username: name, password: `${name}-password-1` },
        })
      ).body.token as string;
      const socket = connect(token, name === 'ann' ? '127.0.0.2' : '127.0.0.3');
      socket.on('message.created', (p: { message: { id: string; sender: { type: string } } }) => {
        if (p.message.sender.type !== 'visitor') return;
        heardById.set(p.message.id, (heardById.get(p.message.id) ?? 0) + 1);
      });
    }
    // Twelve visitors writing all along, each resending what was not acknowledged (same id).
    let writing = true;
    const acked = new Map<string, string>();
    const writers = await Promise.all(
      [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15].map(async (n) => {
        const session = await api(entry, 'POST', '/api/v1/visitor/session', {
          body: { channelId },
        });
        const socket = connect(session.body.visitorToken as string, `127.0.0.${n}`);
        // Wrapped: an async function returning the loop's promise would wait for the loop.
        return {
          done: (async () => {
            let pending: string | undefined;
            let i = 0;
            while (writing || pending) {
              if (!socket.connected) {
                await new Promise((resolve) => setTimeout(resolve, 50));
                continue;
              }
              pending ??= newClientMsgId();
              try {
                const ack = await socket.timeout(3000).emitWithAck('message.send', {
                  clientMsgId: pending,
                  type: 'text',
                  body: `visitor ${n} message ${i}`,
                });
                if (ack.ok) {
                  acked.set(pending, ack.message.id as string);
                  pending = undefined;
                  i += 1;
                }
              } catch {
                // No answer (the node went away): the same id again once connected.
              }
              await new Promise((resolve) => setTimeout(resolve, 60));
            }
          })(),
        };
      }),
    );
    // A visitor page in Chromium, through nginx.
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await page.goto(`${entry}/chat/?channel=${channelId}&locale=en`);
    await page.getByRole('textbox').fill('from the page before');
    await page.getByTestId('send').click();

    await new Promise((resolve) => setTimeout(resolve, 1500));
    const leftWith: number[] = [];
    for (const node of nodes) {
      const before = disconnects;
      node.process.child.kill('SIGTERM');
      expect((await node.process.finished).code).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      leftWith.push(disconnects - before);
      node.process = await startNode(node.port, node.dataDir);
      await new Promise((resolve) => setTimeout(resolve, 1500));
    }
    writing = false;
    await Promise.all(writers.map((w) => w.done));

    // The clients were spread over both nodes: the first stop sent some of them away, not all
    // (the second sends all: they had moved to it).
    expect(leftWith[0]).toBeGreaterThan(0);
    expect(leftWith[0]).toBeLessThan(sockets.length);
    // Nobody stayed away longer than 5 s.
    expect(gaps.length).toBeGreaterThan(0);
    expect(Math.max(...gaps)).toBeLessThan(5000);
    // Every acknowledged message is stored once, and no agent heard one twice.
    expect(acked.size).toBeGreaterThan(30);
    const ids = new Set(acked.values());
    expect(ids.size).toBe(acked.size);
    for (const count of heardById.values()) expect(count).toBe(1);
    const conversations = await api(entry, 'GET', '/api/v1/conversations?limit=100', {
      token: adminToken,
    });
    const stored: string[] = [];
    for (const c of conversations.body.conversations as { id: string }[]) {
      let after = 0;
      for (;;) {
        const pageOf = await api(
          entry,
          'GET',
          `/api/v1/conversations/${c.id}/messages?after=${after}&limit=100`,
          { token: adminToken },
        );
        const messages = pageOf.body.messages as {
          id: string;
          seq: number;
          clientMsgId: string | null;
        }[];
        stored.push(
          ...messages.filter((m) => m.clientMsgId && acked.has(m.clientMsgId)).map((m) => m.id),
        );
        if (!pageOf.body.hasMore) break;
        after = messages.at(-1)!.seq;
      }
    }
    expect(stored.sort()).toEqual([...ids].sort());

    // The page came back by itself: no banner, and it still sends.
    await page.getByTestId('connection-banner').waitFor({ state: 'detached', timeout: 5000 });
    await page.getByRole('textbox').fill('from the page after');
    await page.getByTestId('send').click();
    await page
      .locator('[data-testid=my-message][data-state=sent]', { hasText: 'from the page after' })
      .waitFor({ timeout: 10_000 });
  });
});
