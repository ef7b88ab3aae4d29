import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClusterNode } from '../support/clusterNode.js';
import { queryRows } from '../support/databaseRows.js';
import { freePort, type Running } from '../support/processes.js';
import { api } from '../support/serverProcess.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import {
  eventually,
  startWebhookReceiver,
  verifySignature,
  type WebhookReceiver,
} from '../support/webhookReceiver.js';

/**
 * Two server processes on one PostgreSQL database, both delivering webhooks: many events written
 * through both nodes all reach the receiver, each exactly once (it always answers 200), and no
 * delivery is ever attempted by both nodes at once (each row's attempts stay at 1, and no copy of
 * an event arrives while another is being answered).
 */
describe('webhook deliveries shared by two nodes on PostgreSQL', () => {
  let db: TestDatabase;
  let receiver: WebhookReceiver;
  const nodes: { url: string; process: Running; dataDir: string }[] = [];
  const prefix = `ss-test-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    receiver = await startWebhookReceiver({ delayMs: 30 });
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'ss-node-'));
      const running = await startClusterNode(
        { databaseUrl: db.url, prefix, adminPassword: 'admin-password-1' },
        port,
        dataDir,
        { WEBHOOK_ALLOW_PRIVATE: '1' },
      );
      nodes.push({ url: `http://127.0.0.1:${port}`, process: running, dataDir });
    }
  });

  afterAll(async () => {
    for (const node of nodes) {
      node.process.child.kill('SIGKILL');
      await fs.rm(node.dataDir, { recursive: true, force: true });
    }
    await receiver?.close();
    await db?.drop();
  });

  it('delivers every event once, each claimed by one node at a time', async () => {
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    const login = await api(a.url, 'POST', '/api/v1/auth/login', {
      body: { username: 'admin', password: 'admin-password-1' },
    });
    const adminToken = login.body.token as string;
    const channelId = (await api(b.url, 'GET', '/api/v1/channels', { token: adminToken })).body
      .channels[0].id as string;
    const made = await api(a.url, 'POST', '/api/v1/webhooks', {
      token: adminToken,
      body: {
        url: `${receiver.url}/many`,
        events: ['conversation.created', 'message.created'],
      },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const secret = made.body.webhook.secret as string;
    // Node B reads the endpoints again within 2 s (the documented delay for a new endpoint).
    await eventually(async () => {
      const visitor = await api(b.url, 'POST', '/api/v1/visitor/session', { body: { channelId } });
      await api(b.url, 'POST', '/api/v1/visitor/messages', {
        token: visitor.body.visitorToken,
        body: {
          clientMsgId: `probe-${randomBytes(4).toString('hex')}`,
          type: 'text',
          body: 'probe',
        },
      });
      const rows = await queryRows<{ n: string }>(
        db.url,
        'select count(*) as n from webhook_deliveries',
      );
      return Number(rows[0]!.n) > 3;
    }, 'node B to know the endpoint');

    // 30 visitors, each writing 4 messages, alternately through node A and node B, at once.
    await Promise.all(
      Array.from({ length: 30 }, async (_, v) => {
        const node = nodes[v % 2]!;
        const visitor = await api(node.url, 'POST', '/api/v1/visitor/session', {
          body: { channelId },
        });
        for (let m = 0; m < 4; m++) {
          const target = nodes[(v + m) % 2]!;
          const sent = await api(target.url, 'POST', '/api/v1/visitor/messages', {
            token: visitor.body.visitorToken,
            body: { clientMsgId: `v${v}-m${m}`, type: 'text', body: `message ${m}` },
          });
          expect(sent.status).toBe(201);
        }
      }),
    );

    const rows = await eventually(
      async () => {
        const all = await queryRows<{ event_id: string; state: string; attempts: number }>(
          db.url,
          'select event_id, state, attempts from webhook_deliveries',
        );
        return all.every((r) => r.state === 'delivered') && all;
      },
      'every delivery',
      60_000,
    );
    // 30 conversations, 120 visitor messages, their greetings and queue notices, and the probes.
    expect(rows.length).toBeGreaterThan(150);
    expect(rows.filter((r) => Number(r.attempts) !== 1)).toEqual([]);
    expect(receiver.overlaps).toBe(0);
    const got = receiver.on('/many');
    expect(got.length).toBe(rows.length);
    expect(new Set(got.map((r) => r.eventId))).toEqual(new Set(rows.map((r) => r.event_id)));
    for (const r of got.slice(0, 20))
      expect(verifySignature(secret, r.signature, r.body)).toBe(true);
  });
});
