import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '@servicesystem/protocol';
import { queryRows } from '../support/databaseRows.js';
import { newClientMsgId, nextEvent, request } from '../support/liveApp.js';
import { startPrivateRedis, type PrivateRedis } from '../support/privateRedis.js';
import {
  connectClient,
  createAgent,
  createVisitor,
  firstChannelId,
  loginAdmin,
  startServerProcess,
  type ServerProcess,
} from '../support/serverProcess.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

/** A live event between two clients on one node must take no longer than this. */
const localDeliveryMs = 2_000;

/**
 * Two nodes on PostgreSQL and a Redis of the test's own, which is killed and started again
 * (empty) while they run. Events between a visitor and an agent on the same node must not wait
 * for Redis; events across nodes resume once it is back; nothing acknowledged is lost.
 */
describe('Redis stopped and restarted under two nodes', () => {
  let redis: PrivateRedis | undefined;
  let db: TestDatabase | undefined;
  const nodes: ServerProcess[] = [];
  const dataDirs: string[] = [];
  const sockets: Socket[] = [];

  async function startNode(): Promise<ServerProcess> {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'ss-faults-node-'));
    dataDirs.push(dataDir);
    const node = await startServerProcess({
      DATABASE_URL: db!.url,
      DATA_DIR: dataDir,
      REDIS_URL: redis!.url,
      REDIS_PREFIX: prefix,
      AGENT_OFFLINE_GRACE_SECONDS: '30',
      // The probes below may add up to more than a visitor's burst allowance.
      VISITOR_MESSAGES_PER_MINUTE: '0',
      SOCKET_EVENTS_PER_MINUTE: '0',
      VISITOR_SESSIONS_PER_ADDRESS_PER_MINUTE: '0',
      CONVERSATIONS_PER_ADDRESS_PER_MINUTE: '0',
      SOCKETS_PER_ADDRESS: '0',
    });
    nodes.push(node);
    return node;
  }
  const prefix = `ss-faults-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    db = await createTestDatabase('postgres');
    await Promise.all([startNode(), startNode()]);
  });

  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    await Promise.all(nodes.map((node) => node.kill()));
    await redis?.close();
    await db?.drop();
    await Promise.all(dataDirs.map((dir) => fs.rm(dir, { recursive: true, force: true })));
  });

  async function client(url: string, token: string): Promise<Socket> {
    const socket = await connectClient(url, token);
    sockets.push(socket);
    return socket;
  }

  /** Sends a text and resolves with the ack (which must be ok). */
  async function say(socket: Socket, body: string, conversationId?: string) {
    const ack = await request(socket, 'message.send', {
      ...(conversationId ? { conversationId } : {}),
      clientMsgId: newClientMsgId(),
      type: 'text',
      body,
    });
    expect(ack.ok, JSON.stringify(ack)).toBe(true);
    return ack as { message: Message; conversation: { id: string } };
  }

  /** Sends `body` from `from` and resolves once `to` has heard it live (within `ms`). */
  async function heard(from: Socket, to: Socket, body: string, conversationId?: string, ms = 5000) {
    const hearing = nextEvent<{ message: Message }>(
      to,
      'message.created',
      (payload) => payload.message.body === body,
      ms,
    );
    hearing.catch(() => undefined);
    const ack = await say(from, body, conversationId);
    await hearing;
    return ack;
  }

  it('same-node delivery goes on while Redis is down; cross-node resumes after; nothing is lost', async () => {
    const [a, b] = nodes as [ServerProcess, ServerProcess];
    const adminToken = await loginAdmin(a.url);
    const channelId = await firstChannelId(a.url, adminToken);

    // Agent X (cap 1) on node A serves visitor V1 on node A: same node.
    const x = await createAgent(a.url, adminToken, { maxConcurrent: 1, online: true });
    const xSocket = await client(a.url, x.token);
    const v1Token = await createVisitor(a.url, channelId);
    const v1 = await client(a.url, v1Token);
    const local = (await heard(v1, xSocket, 'hello X')).conversation.id;

    // Agent Y on node B serves visitor V2 on node A (X is full): across nodes.
    const y = await createAgent(b.url, adminToken, { maxConcurrent: null, online: true });
    const ySocket = await client(b.url, y.token);
    const v2 = await client(a.url, await createVisitor(a.url, channelId));
    const crossAck = await heard(v2, ySocket, 'hello Y');
    const cross = crossAck.conversation.id;
    const yLastSeq = crossAck.message.seq;
    await heard(ySocket, v2, 'hello V2', cross);

    const acknowledged: string[] = [];
    await redis!.stop();

    // Same node, both ways, at once: nothing waits for Redis.
    for (const body of ['while down 1', 'while down 2', 'while down 3']) {
      acknowledged.push((await heard(v1, xSocket, body, undefined, localDeliveryMs)).message.id);
    }
    acknowledged.push((await heard(xSocket, v1, 'X answers', local, localDeliveryMs)).message.id);
    // A new connection on node A works too, and hears its conversation.
    const v1Again = await client(a.url, v1Token);
    acknowledged.push(
      (await heard(xSocket, v1Again, 'to both tabs', local, localDeliveryMs)).message.id,
    );
    // Across nodes: stored and acknowledged, though Y cannot hear it live now.
    acknowledged.push((await say(v2, 'V2 while down')).message.id);

    // Once Redis is back each node closes its connections, so that every client reconnects and
    // resyncs what other nodes published meanwhile.
    const everySocket = [xSocket, v1, v1Again, ySocket, v2];
    const reconnected = everySocket.map(
      (socket) =>
        new Promise<void>((resolve) =>
          socket.once('disconnect', () => socket.once('connect', () => resolve())),
        ),
    );
    await redis!.start();
    await Promise.race([
      Promise.all(reconnected),
      new Promise((_, reject) =>
        setTimeout(
          () => reject(new Error('clients were not reconnected after Redis came back')),
          20_000,
        ),
      ),
    ]);
    expect(everySocket.every((socket) => socket.connected)).toBe(true);

    // Across nodes again once Redis is back (the nodes reconnect by themselves).
    const deadline = Date.now() + 20_000;
    for (let probe = 1; ; probe++) {
      try {
        acknowledged.push((await heard(v2, ySocket, `probe ${probe}`, undefined, 1000)).message.id);
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
      }
    }
    acknowledged.push((await heard(ySocket, v2, 'Y is back', cross, localDeliveryMs)).message.id);
    acknowledged.push((await heard(v1, xSocket, 'after', undefined, localDeliveryMs)).message.id);

    // Y catches up on what it could not hear live, as a client does after a gap.
    const missed = await request(ySocket, 'messages.list', {
      conversationId: cross,
      after: yLastSeq,
      limit: 100,
    });
    expect(missed.ok).toBe(true);
    expect((missed.messages as Message[]).map((m) => m.body)).toContain('V2 while down');

    // Everything acknowledged is stored, once.
    const rows = await queryRows<{ id: string }>(
      db!.url,
      'select id from messages where conversation_id in ($1, $2)',
      [local, cross],
    );
    const storedIds = rows.map((row) => row.id);
    expect(new Set(storedIds).size).toBe(storedIds.length);
    expect(storedIds).toEqual(expect.arrayContaining(acknowledged));
  });
});
