import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessageCreatedPayload } from '@servicesystem/protocol';
import { eventually, newClientMsgId, nextEvent, request } from '../support/liveApp.js';
import { startClusterNode } from '../support/clusterNode.js';
import { freePort, type Running } from '../support/processes.js';
import { api as processApi } from '../support/serverProcess.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

/**
 * Two server processes sharing PostgreSQL and Redis behave as one system: events cross nodes
 * through the Redis streams adapter, routing is race-free through PostgreSQL's lock, and agent
 * presence survives a node killed with SIGKILL.
 */
describe('two nodes on PostgreSQL + Redis', () => {
  let db: TestDatabase;
  const nodes: { url: string; process: Running; dataDir: string }[] = [];
  const sockets: Socket[] = [];
  const prefix = `ss-test-${randomBytes(4).toString('hex')}`;

  async function startNode(): Promise<{ url: string; process: Running; dataDir: string }> {
    const port = await freePort();
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'ss-node-'));
    const running = await startClusterNode(
      { databaseUrl: db.url, prefix, adminPassword: 'admin-password-1' },
      port,
      dataDir,
      { AGENT_OFFLINE_GRACE_SECONDS: '2' },
    );
    const node = { url: `http://127.0.0.1:${port}`, process: running, dataDir };
    nodes.push(node);
    return node;
  }

  const api = (url: string, method: string, route: string, token?: string, body?: unknown) =>
    processApi(url, method, route, { token, body });

  async function connect(url: string, token: string): Promise<Socket> {
    const socket = io(url, { auth: { token }, transports: ['websocket'], reconnection: false });
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    return socket;
  }

  let a: { url: string; process: Running };
  let b: { url: string; process: Running };
  let adminToken: string;
  let channelId: string;

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    a = await startNode();
    b = await startNode();
    adminToken = (
      await api(a.url, 'POST', '/api/v1/auth/login', undefined, {
        username: 'admin',
        password: 'admin-password-1',
      })
    ).body.token;
    channelId = (await api(b.url, 'GET', '/api/v1/channels', adminToken)).body.channels[0].id;
  });

  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    for (const node of nodes) {
      node.process.child.kill('SIGKILL');
      await fs.rm(node.dataDir, { recursive: true, force: true });
    }
    await db.drop();
  });

  async function agent(maxConcurrent: number | null) {
    const username = `agent${randomBytes(3).toString('hex')}`;
    await api(a.url, 'POST', '/api/v1/agents', adminToken, {
      username,
      displayName: username,
      password: 'agent-password',
      maxConcurrent,
    });
    const token = (
      await api(b.url, 'POST', '/api/v1/auth/login', undefined, {
        username,
        password: 'agent-password',
      })
    ).body.token as string;
    const id = (await api(a.url, 'GET', '/api/v1/me', token)).body.account.id as string;
    return { id, token };
  }

  async function visitorOn(url: string) {
    const session = await api(url, 'POST', '/api/v1/visitor/session', undefined, { channelId });
    return session.body.visitorToken as string;
  }

  it('a visitor on node A and an agent on node B talk both ways; the queue drains across nodes', async () => {
    const x = await agent(1);
    const agentSocket = await connect(b.url, x.token);
    expect((await request(agentSocket, 'agent.status.set', { status: 'online' })).ok).toBe(true);

    const visitorToken = await visitorOn(a.url);
    const visitorSocket = await connect(a.url, visitorToken);
    const heardByAgent = nextEvent(
      agentSocket,
      'message.created',
      (p: any) => p.message.body === 'from A',
    );
    const sent = await request(visitorSocket, 'message.send', {
      clientMsgId: newClientMsgId(),
      type: 'text',
      body: 'from A',
    });
    expect(sent.ok, JSON.stringify(sent)).toBe(true);
    const conversationId = sent.conversation.id as string;
    expect(sent.conversation.state).toBe('active');
    MessageCreatedPayload.parse(await heardByAgent);

    const heardByVisitor = nextEvent(
      visitorSocket,
      'message.created',
      (p: any) => p.message.body === 'from B',
    );
    const reply = await request(agentSocket, 'message.send', {
      conversationId,
      clientMsgId: newClientMsgId(),
      type: 'text',
      body: 'from B',
    });
    expect(reply.ok).toBe(true);
    const delivered = MessageCreatedPayload.parse(await heardByVisitor);
    // Crossed from node B to node A, shaped for the visitor: no agent id.
    expect(delivered.message.sender).toEqual({
      type: 'agent',
      name: expect.any(String),
      avatarUrl: null,
    });

    // The agent is at cap: a visitor on node B waits; ending on node A serves them.
    const waitingToken = await visitorOn(b.url);
    const waitingSocket = await connect(b.url, waitingToken);
    const queued = await request(waitingSocket, 'message.send', {
      clientMsgId: newClientMsgId(),
      type: 'text',
      body: 'waiting',
    });
    expect(queued.conversation.state).toBe('queued');
    const served = nextEvent(
      waitingSocket,
      'conversation.updated',
      (p: any) => p.conversation.state === 'active',
    );
    const ended = await api(
      a.url,
      'POST',
      `/api/v1/conversations/${conversationId}/end`,
      adminToken,
    );
    expect(ended.status).toBe(200);
    expect((await served).conversation.agent.name).toBeTruthy();
  });

  it('300 visitors on both nodes at once against 10 agents with cap 10: exactly 100 active, 200 queued', async () => {
    const agents = await Promise.all(Array.from({ length: 10 }, () => agent(10)));
    for (const [index, x] of agents.entries()) {
      const node = index % 2 === 0 ? a : b;
      expect(
        (await api(node.url, 'PUT', '/api/v1/me/status', x.token, { status: 'online' })).status,
      ).toBe(200);
    }
    const visitors = await Promise.all(
      Array.from({ length: 300 }, (_, index) => visitorOn(index % 2 === 0 ? a.url : b.url)),
    );
    const answers = await Promise.all(
      visitors.map((token, index) =>
        api(index % 2 === 0 ? b.url : a.url, 'POST', '/api/v1/visitor/messages', token, {
          clientMsgId: newClientMsgId(),
          type: 'text',
          body: `burst ${index}`,
        }),
      ),
    );
    expect(answers.filter((x) => x.status !== 201)).toEqual([]);
    const states = answers.map((x) => x.body.conversation.state as string);
    expect(states.filter((state) => state === 'active')).toHaveLength(100);
    expect(states.filter((state) => state === 'queued')).toHaveLength(200);
    const positions = answers
      .map((x) => x.body.conversation.queuePosition as number | null)
      .filter((p): p is number => p !== null)
      .sort((p, q) => p - q);
    expect(positions).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    const presence = await api(a.url, 'GET', '/api/v1/presence', adminToken);
    const ours = presence.body.agents.filter((p: { id: string }) =>
      agents.some((x) => x.id === p.id),
    );
    expect(ours.map((p: { activeConversations: number }) => p.activeConversations)).toEqual(
      Array(10).fill(10),
    );

    // Freed places go to the queue's head in order, whichever node frees them: 20 ends at once,
    // split over both nodes, serve exactly positions 1 to 20, and the rest keep their order.
    const byPosition = answers
      .map((x) => x.body.conversation as { id: string; state: string; queuePosition: number })
      .filter((c) => c.state === 'queued')
      .sort((p, q) => p.queuePosition - q.queuePosition)
      .map((c) => c.id);
    const active = answers
      .map((x) => x.body.conversation as { id: string; state: string })
      .filter((c) => c.state === 'active')
      .map((c) => c.id);
    const ends = await Promise.all(
      active
        .slice(0, 20)
        .map((id, index) =>
          api(
            index % 2 === 0 ? a.url : b.url,
            'POST',
            `/api/v1/conversations/${id}/end`,
            adminToken,
          ),
        ),
    );
    expect(ends.map((x) => x.status)).toEqual(Array(20).fill(200));
    const stateOf = async (id: string) =>
      (await api(a.url, 'GET', `/api/v1/conversations/${id}`, adminToken)).body.conversation as {
        state: string;
        queuePosition: number | null;
      };
    const after = await Promise.all(byPosition.map(stateOf));
    expect(after.slice(0, 20).map((c) => c.state)).toEqual(Array(20).fill('active'));
    expect(after.slice(20).map((c) => c.queuePosition)).toEqual(
      Array.from({ length: 180 }, (_, i) => i + 1),
    );
    const presenceAfter = await api(b.url, 'GET', '/api/v1/presence', adminToken);
    const loads = presenceAfter.body.agents
      .filter((p: { id: string }) => agents.some((x) => x.id === p.id))
      .map((p: { activeConversations: number }) => p.activeConversations);
    expect(loads).toEqual(Array(10).fill(10));
    // Leave the system quiet for the next test: everyone goes away.
    for (const x of agents)
      await api(a.url, 'PUT', '/api/v1/me/status', x.token, { status: 'offline' });
  });

  it('a node killed with SIGKILL: its visitor resyncs on the other node, its agent goes offline', async () => {
    const y = await agent(null);
    const c = await startNode();
    const agentSocket = await connect(c.url, y.token);
    await request(agentSocket, 'agent.status.set', { status: 'online' });
    const watcher = await connect(b.url, y.token);

    const visitorToken = await visitorOn(c.url);
    const visitorSocket = await connect(c.url, visitorToken);
    const first = await request(visitorSocket, 'message.send', {
      clientMsgId: newClientMsgId(),
      type: 'text',
      body: 'before the crash',
    });
    const conversationId = first.conversation.id as string;
    const lastSeen = first.conversation.lastSeq as number;
    // The agent's second connection (node B) keeps them online; close it so only node C serves them.
    watcher.disconnect();

    c.process.child.kill('SIGKILL');
    await c.process.finished;

    // While the visitor is away, the agent (reconnecting to node B) writes twice.
    const agentAgain = await connect(b.url, y.token);
    for (const body of ['one', 'two']) {
      const ack = await request(agentAgain, 'message.send', {
        conversationId,
        clientMsgId: newClientMsgId(),
        type: 'text',
        body,
      });
      expect(ack.ok, JSON.stringify(ack)).toBe(true);
    }
    const visitorAgain = await connect(b.url, visitorToken);
    const missed = await request(visitorAgain, 'messages.list', {
      conversationId,
      after: lastSeen,
    });
    expect(missed.messages.map((m: { body: string }) => m.body)).toEqual(['one', 'two']);
    agentAgain.disconnect();

    // Nobody serves the agent any more: after the presence TTL they are offline, and the
    // conversation is still theirs.
    await eventually(async () => {
      const presence = await api(b.url, 'GET', '/api/v1/presence', adminToken);
      const me = presence.body.agents.find((p: { id: string }) => p.id === y.id);
      expect(me.status).toBe('offline');
    }, 20_000);
    const conversation = await api(
      b.url,
      'GET',
      `/api/v1/conversations/${conversationId}`,
      adminToken,
    );
    expect(conversation.body.conversation.agent.id).toBe(y.id);
    expect(conversation.body.conversation.state).toBe('active');
  });

  it('a graceful stop of one node sends only its own clients away, and they are told to come back', async () => {
    const c = await startNode();
    const x = await agent(null);
    const onB = await connect(b.url, x.token);
    const visitorToken = await visitorOn(c.url);
    const onC = await connect(c.url, visitorToken);
    const reasons = { b: [] as string[], c: [] as string[] };
    onB.on('disconnect', (reason) => reasons.b.push(reason));
    onC.on('disconnect', (reason) => reasons.c.push(reason));

    c.process.child.kill('SIGTERM');
    expect((await c.process.finished).code).toBe(0);
    await eventually(() => expect(reasons.c).toHaveLength(1));
    // A lost transport: socket.io-client reconnects by itself after that (not after "io server
    // disconnect", which means "go away").
    expect(reasons.c[0]).toBe('transport close');
    // Node B's client never noticed.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(reasons.b).toEqual([]);
    expect(onB.connected).toBe(true);
    expect((await request(onB, 'conversations.list', {})).ok).toBe(true);
  });
});
