import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, runNode, type Running } from '../support/processes.js';
import { api } from '../support/serverProcess.js';
import { startS3Server, type S3Server } from '../support/s3Server.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

/**
 * Nodes of a new deployment started at the same moment against an empty database and an empty
 * S3-compatible store: all come up; the bucket, the schema, one admin and one channel are made
 * once.
 */
describe('three nodes started together on nothing', () => {
  let db: TestDatabase;
  let s3: S3Server;
  const started: { process: Running; dataDir: string }[] = [];

  beforeAll(async () => {
    [db, s3] = await Promise.all([createTestDatabase('postgres'), startS3Server()]);
  });
  afterAll(async () => {
    for (const node of started) {
      node.process.child.kill('SIGKILL');
      await fs.rm(node.dataDir, { recursive: true, force: true });
    }
    await s3?.close();
    await db?.drop();
  });

  it('all start; the bucket, the schema, one admin and one channel are made once', async () => {
    const prefix = `ss-together-${randomBytes(4).toString('hex')}`;
    const bucket = `together-${randomBytes(4).toString('hex')}`;
    const nodes = await Promise.all(
      [0, 1, 2].map(async () => {
        const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'ss-together-'));
        const port = await freePort();
        return { dataDir, port };
      }),
    );
    for (const { dataDir, port } of nodes) {
      started.push({
        dataDir,
        process: runNode('main.js', [], {
          DATABASE_URL: db.url,
          REDIS_URL: 'redis://127.0.0.1:6379',
          REDIS_PREFIX: prefix,
          S3_ENDPOINT: s3.endpoint,
          S3_BUCKET: bucket,
          S3_ACCESS_KEY_ID: 'S3RVER',
          S3_SECRET_ACCESS_KEY: 'S3RVER',
          DATA_DIR: dataDir,
          PORT: String(port),
          HOST: '127.0.0.1',
          LOG_LEVEL: 'warn',
        }),
      });
    }
    await Promise.all(started.map((node) => node.process.waitFor('Console:', 30_000)));
    for (const node of started) expect(node.process.child.exitCode).toBeNull();

    // Exactly one node generated (and printed) the admin's password.
    const printed = started.filter((n) => n.process.output().stdout.includes('Admin password:'));
    expect(printed).toHaveLength(1);
    const stdout = printed[0]!.process.output().stdout;
    const password = /Admin password: (\S+)/.exec(stdout)![1]!;
    const url = /Console: +(http:\/\/[^/]+)\//.exec(stdout)![1]!;
    const login = await api(url, 'POST', '/api/v1/auth/login', {
      body: { username: 'admin', password },
    });
    const token = login.body.token as string;
    const accounts = await api(url, 'GET', '/api/v1/accounts', { token });
    expect(accounts.body.accounts.map((a: { username: string }) => a.username)).toEqual(['admin']);
    const channels = await api(url, 'GET', '/api/v1/channels', { token });
    expect(channels.body.channels.map((c: { name: string }) => c.name)).toEqual(['Default']);
  });
});
