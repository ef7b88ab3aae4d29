import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './processes.js';

const run = promisify(execFile);

/**
 * A PostgreSQL cluster of the test's own (initdb in a temporary folder, its own port), so a test
 * can stop and start a real PostgreSQL server without touching the one other tests share.
 */
export interface PrivatePostgres {
  /** DATABASE_URL of the cluster's `postgres` database (trust authentication). */
  url: string;
  port: number;
  /** `pg_ctl stop -m fast`: sessions are terminated, as in a restart by an operator. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the cluster (if running) and removes its folder. */
  close(): Promise<void>;
}

/** The newest PostgreSQL's programs: Debian's /usr/lib/postgresql/<version>/bin. */
function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((name) => existsSync(path.join(root, name, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) throw new Error(`no PostgreSQL server programs under ${root}`);
  return path.join(root, versions[0]!, 'bin');
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binDir();
  const folder = await fs.mkdtemp(path.join(os.tmpdir(), 'ss-pg-'));
  const data = path.join(folder, 'data');
  // initdb and postgres refuse to run as root: run them as the postgres user, who must own
  // the folder.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    await fs.chown(folder, uid, gid);
  }
  const pgRun = (program: string, args: string[]) => {
    const command = asRoot ? 'runuser' : path.join(bin, program);
    const fullArgs = asRoot ? ['-u', 'postgres', '--', path.join(bin, program), ...args] : args;
    return run(command, fullArgs, { timeout: 60_000, cwd: folder });
  };
  const port = await freePort();
  const options = `-p ${port} -k ${folder} -c listen_addresses=127.0.0.1`;
  let running = false;
  const cluster: PrivatePostgres = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async start() {
      await pgRun('pg_ctl', [
        '-D',
        data,
        '-l',
        path.join(folder, 'server.log'),
        '-o',
        options,
        '-w',
        '-t',
        '30',
        'start',
      ]);
      running = true;
    },
    async stop() {
      await pgRun('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop']);
      running = false;
    },
    async close() {
      if (running) {
        await pgRun('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
        running = false;
      }
      await fs.rm(folder, { recursive: true, force: true });
    },
  };
  try {
    await pgRun('initdb', [
      '-D',
      data,
      '-U',
      'postgres',
      '--auth=trust',
      '--no-sync',
      '-E',
      'UTF8',
    ]);
    await cluster.start();
  } catch (error) {
    await cluster.close();
    throw error;
  }
  return cluster;
}
