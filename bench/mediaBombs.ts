/**
 * `node --import tsx bench/mediaBombs.ts [count]`: uploads `count` (default 8) video decompression
 * bombs at once to a fresh server (the built one, SQLite) and reports the peak resident memory of
 * the server and every process it started (FFmpeg, ffprobe), sampled every 20 ms, with each
 * upload's answer. The bomb is a 2-frame 12000×12000 PNG video in a MOV: under a megabyte on disk,
 * 144 megapixels a frame.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../', import.meta.url));
const count = Number(process.argv[2] ?? 8);

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resident KiB of `pid` and all its descendants, from /proc. */
async function treeRssKb(pid: number): Promise<number> {
  const parents = new Map<number, number>();
  const rss = new Map<number, number>();
  for (const entry of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = await fs.readFile(`/proc/${entry}/status`, 'utf8');
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]);
      const kb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
      parents.set(Number(entry), ppid);
      rss.set(Number(entry), kb);
    } catch {
      // the process ended meanwhile
    }
  }
  const inTree = (p: number): boolean => {
    for (let at: number | undefined = p; at; at = parents.get(at)) if (at === pid) return true;
    return false;
  };
  let total = 0;
  for (const [p, kb] of rss) if (inTree(p)) total += kb;
  return total;
}

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ss-bombs-'));
const bomb = path.join(dir, 'bomb.mov');
await run('ffmpeg', [
  ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=black:s=12000x12000:d=2:r=1'],
  ...['-c:v', 'png', '-f', 'mov', bomb],
]);
const port = await freePort();
const url = `http://127.0.0.1:${port}`;
const server = spawn(process.execPath, [path.join(root, 'apps/server/dist/main.js')], {
  env: {
    PATH: process.env.PATH ?? '',
    DATA_DIR: dir,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'error',
    NODE_ENV: 'production',
    ADMIN_PASSWORD: 'bomb-admin-password',
    ...(process.env.MEDIA_CONCURRENCY ? { MEDIA_CONCURRENCY: process.env.MEDIA_CONCURRENCY } : {}),
  },
  stdio: 'ignore',
});
try {
  for (let i = 0; ; i++) {
    if (i > 200) throw new Error('the server did not start');
    if (
      await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const token = (await (
    await fetch(`${url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'bomb-admin-password' }),
    })
  ).json()) as { token: string };
  const channels = (await (
    await fetch(`${url}/api/v1/channels`, {
      headers: { authorization: `Bearer ${token.token}` },
    })
  ).json()) as { channels: { id: string }[] };
  const session = (await (
    await fetch(`${url}/api/v1/visitor/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ channelId: channels.channels[0]!.id }),
    })
  ).json()) as { visitorToken: string };

  const idleKb = await treeRssKb(server.pid!);
  let peakKb = idleKb;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peakKb = Math.max(peakKb, await treeRssKb(server.pid!));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  const bytes = await fs.readFile(bomb);
  const started = performance.now();
  const answers = await Promise.all(
    Array.from({ length: count }, async () => {
      const form = new FormData();
      form.append('file', new Blob([bytes], { type: 'video/quicktime' }), 'bomb.mov');
      const response = await fetch(`${url}/api/v1/uploads`, {
        method: 'POST',
        body: form,
        headers: { authorization: `Bearer ${session.visitorToken}` },
      });
      const body = (await response.json()) as { error?: { code: string } };
      return `${response.status} ${body.error?.code ?? ''}`.trim();
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  sampling = false;
  await sampler;
  const tally = new Map<string, number>();
  for (const a of answers) tally.set(a, (tally.get(a) ?? 0) + 1);
  console.log(
    `${count} bombs of ${(bytes.length / 1024).toFixed(0)} KiB at once: ${[...tally].map(([a, n]) => `${n}× ${a}`).join(', ')} in ${seconds.toFixed(2)} s; ` +
      `server and its processes: ${(idleKb / 1024).toFixed(0)} MiB before, peak ${(peakKb / 1024).toFixed(0)} MiB`,
  );
} finally {
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  await fs.rm(dir, { recursive: true, force: true });
}
