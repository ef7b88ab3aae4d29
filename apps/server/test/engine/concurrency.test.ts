import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import {
  AgentPresenceListResponse,
  ClientEvent,
  ConversationListResponse,
  ConversationUpdatedPayload,
  MessageCreatedPayload,
  QueuePositionPayload,
  ServerEvent,
  VisitorConversation,
  type Conversation,
} from '@servicesystem/protocol';
import { newClientMsgId, request, startLiveApp, type LiveApp } from '../support/liveApp.js';

/**
 * 200 visitors write their first message at the same moment to 10 agents who take 5 each.
 * Routing runs under one lock, so exactly 50 are served, 150 wait, nobody exceeds a cap, and
 * the queue is in the order the server took (and acknowledged) the sends. Then the queue
 * drains in that same order, and every waiting visitor hears each move.
 */

const visitorCount = 200;
const agentCount = 10;
const cap = 5;
const served = agentCount * cap;
const waiting = visitorCount - served;

interface VisitorClient {
  index: number;
  socket: Socket;
  messages: MessageCreatedPayload[];
  positions: number[];
}

/** Schema failures seen on any socket. */
const problems: string[] = [];

function watchVisitor(index: number, socket: Socket): VisitorClient {
  const client: VisitorClient = { index, socket, messages: [], positions: [] };
  socket.on(ServerEvent.MessageCreated, (payload: unknown) => {
    const parsed = MessageCreatedPayload.safeParse(payload);
    // Without lastMessage: that is the message itself, sent once.
    const shaped = VisitorConversation.omit({ lastMessage: true })
      .strict()
      .safeParse((payload as { conversation?: unknown })?.conversation);
    if (!parsed.success || !shaped.success) problems.push(`message.created for visitor ${index}`);
    else client.messages.push(parsed.data);
  });
  socket.on(ServerEvent.QueuePosition, (payload: unknown) => {
    const parsed = QueuePositionPayload.strict().safeParse(payload);
    if (!parsed.success) problems.push(`queue.position for visitor ${index}`);
    else client.positions.push(parsed.data.position);
  });
  return client;
}

/**
 * A round trip on the socket: the server answers it after every event it emitted to this socket
 * before the request arrived. (An invalid payload is answered at once, touching nothing.)
 */
async function flush(socket: Socket): Promise<void> {
  const answer = await request(socket, ClientEvent.ListMessages, {});
  expect(answer.ok).toBe(false);
}

describe('200 visitors at once against 10 agents with cap 5', () => {
  let t: LiveApp;
  let agents: { id: string }[];
  let agentIds: Set<string>;
  let visitors: VisitorClient[];
  let admin: Socket;
  /** Conversation ids the admin socket saw become active, in the order it heard them. */
  const activations: string[] = [];
  /** Visitor indexes in the order their acks came back. */
  const ackOrder: number[] = [];
  let acks: any[];

  beforeAll(async () => {
    t = await startLiveApp();
    agents = await Promise.all(
      Array.from({ length: agentCount }, () => t.agent({ maxConcurrent: cap, status: 'online' })),
    );
    agentIds = new Set(agents.map((a) => a.id));
    const sessions = await Promise.all(Array.from({ length: visitorCount }, () => t.visitor()));
    visitors = await Promise.all(
      sessions.map(async (s, index) => watchVisitor(index, await t.connect(s.token))),
    );
    admin = await t.connect(t.adminToken);
    admin.on(ServerEvent.ConversationUpdated, (payload: unknown) => {
      const parsed = ConversationUpdatedPayload.safeParse(payload);
      if (!parsed.success) problems.push('conversation.updated for admin');
      else if (parsed.data.conversation.state === 'active') {
        activations.push(parsed.data.conversation.id);
      }
    });

    // Everyone at once: all 200 emits leave before the first answer comes back.
    acks = await Promise.all(
      visitors.map((v) =>
        request(v.socket, ClientEvent.SendMessage, {
          clientMsgId: newClientMsgId(),
          type: 'text',
          body: `Hello from ${v.index}`,
        }).then((ack) => {
          ackOrder.push(v.index);
          return ack;
        }),
      ),
    );
    await Promise.all(visitors.map((v) => flush(v.socket)));
  });
  afterAll(() => t.close());

  async function listByState(state: 'active' | 'queued'): Promise<Conversation[]> {
    const answer = await t.request('GET', `/api/v1/conversations?state=${state}&limit=100`, {
      token: t.adminToken,
    });
    expect(answer.status).toBe(200);
    return ConversationListResponse.parse(answer.body).conversations;
  }

  async function presence() {
    const answer = await t.request('GET', '/api/v1/presence', { token: t.adminToken });
    expect(answer.status).toBe(200);
    return new Map(AgentPresenceListResponse.parse(answer.body).agents.map((a) => [a.id, a]));
  }

  /** Every conversation, from the database, in queue (arrival) order. */
  function stored() {
    return t.app.ctx.db
      .selectFrom('conversations')
      .select(['id', 'state', 'agent_id', 'queue_order'])
      .orderBy('queue_order')
      .execute();
  }

  async function storedQueue(): Promise<string[]> {
    return (await stored()).filter((r) => r.state === 'queued').map((r) => r.id);
  }

  const conversationOfVisitor = (index: number): string => acks[index].conversation.id;

  it('answers every send, serves exactly 50 and queues 150; no agent over the cap', async () => {
    for (const ack of acks) expect(ack.ok, JSON.stringify(ack)).toBe(true);
    for (const ack of acks) VisitorConversation.strict().parse(ack.conversation);
    expect(new Set(visitors.map((v) => conversationOfVisitor(v.index))).size).toBe(visitorCount);
    expect(new Set(ackOrder).size).toBe(visitorCount);

    const rows = await stored();
    expect(rows).toHaveLength(visitorCount);
    expect(rows.filter((r) => r.state === 'active')).toHaveLength(served);
    expect(rows.filter((r) => r.state === 'queued')).toHaveLength(waiting);
    const loadByAgent = new Map<string, number>();
    for (const row of rows.filter((r) => r.state === 'active')) {
      expect(agentIds.has(row.agent_id!)).toBe(true);
      loadByAgent.set(row.agent_id!, (loadByAgent.get(row.agent_id!) ?? 0) + 1);
    }
    expect([...loadByAgent.values()]).toEqual(Array(agentCount).fill(cap));
    expect(rows.filter((r) => r.state === 'queued').every((r) => r.agent_id === null)).toBe(true);
    expect(new Set(rows.map((r) => Number(r.queue_order))).size).toBe(visitorCount);

    const loads = await presence();
    for (const id of agentIds) {
      expect(loads.get(id)).toMatchObject({
        status: 'online',
        activeConversations: cap,
        maxConcurrent: cap,
      });
    }
    const active = await listByState('active');
    expect(active).toHaveLength(served);
    expect(active.every((c) => c.state === 'active' && c.queuePosition === null)).toBe(true);
    const perAgent = new Map<string, number>();
    for (const c of active) perAgent.set(c.agent!.id, (perAgent.get(c.agent!.id) ?? 0) + 1);
    expect(new Set(perAgent.keys())).toEqual(agentIds);
    expect([...perAgent.values()]).toEqual(Array(agentCount).fill(cap));
    expect(problems).toEqual([]);
  });

  it('tells every waiting visitor their true place: 1..150, no gaps, no duplicates', async () => {
    const queue = await storedQueue();
    const rank = new Map(queue.map((id, k) => [id, k + 1]));
    const ackPositions: number[] = [];
    const notePositions: number[] = [];
    for (const v of visitors) {
      const conversationId = conversationOfVisitor(v.index);
      const place = rank.get(conversationId);
      // The visitor's own text (seq 2) is in its ack; the socket hears the system messages.
      expect(acks[v.index].message).toMatchObject({ seq: 2, type: 'text' });
      const kinds = v.messages.map((p) => p.message.meta?.kind ?? 'text');
      if (place === undefined) {
        expect(acks[v.index].conversation).toMatchObject({ state: 'active', queuePosition: null });
        expect(kinds).toEqual(['welcome', 'assigned']);
        continue;
      }
      expect(acks[v.index].conversation).toMatchObject({ state: 'queued', agent: null });
      expect(kinds).toEqual(['welcome', 'queued']);
      const note = v.messages.at(-1)!.message;
      expect(note).toMatchObject({ seq: 3, sender: { type: 'system' } });
      expect(acks[v.index].conversation.queuePosition).toBe(place);
      // Ten agents are online, all at their caps: busy, and the place in the queue.
      expect(note.meta).toEqual({ kind: 'queued', position: place, reason: 'busy' });
      ackPositions.push(acks[v.index].conversation.queuePosition);
      if (note.meta?.kind === 'queued') notePositions.push(note.meta.position);
    }
    const oneTo150 = Array.from({ length: waiting }, (_, k) => k + 1);
    expect([...ackPositions].sort((a, b) => a - b)).toEqual(oneTo150);
    expect([...notePositions].sort((a, b) => a - b)).toEqual(oneTo150);
    // The list the console shows (first page of 100) is the same queue with the same places.
    const firstPage = await listByState('queued');
    expect(firstPage.map((c) => [c.id, c.queuePosition, c.agent])).toEqual(
      queue.slice(0, 100).map((id, k) => [id, k + 1, null]),
    );
    // Nothing has left the queue yet, so nobody was told of a move.
    expect(visitors.every((v) => v.positions.length === 0)).toBe(true);
  });

  it('queues in the order the sends were acknowledged: the first 50 answered were served', async () => {
    const queue = await storedQueue();
    const ackedIds = ackOrder.map(conversationOfVisitor);
    const activeIds = new Set(
      (await stored()).filter((r) => r.state === 'active').map((r) => r.id),
    );
    expect(ackedIds.slice(0, served).filter((id) => !activeIds.has(id))).toEqual([]);
    expect(ackedIds.slice(served)).toEqual(queue);
  });

  it('drains in queue order — on an end, a raised cap and a removed cap — telling each visitor each move', async () => {
    const queue = await storedQueue();
    const visitorByConversation = new Map(visitors.map((v) => [conversationOfVisitor(v.index), v]));
    const queuedVisitors = queue.map((id) => visitorByConversation.get(id)!);
    activations.length = 0;

    // One served conversation ends: its agent takes the head of the queue.
    const endedId = (await stored()).find((r) => r.state === 'active')!.id;
    const ended = await t.request('POST', `/api/v1/conversations/${endedId}/end`, {
      token: t.adminToken,
    });
    expect(ended.status).toBe(200);
    await flush(admin);
    expect(activations).toEqual(queue.slice(0, 1));

    // A cap goes up by 10: the next 10, in order.
    const [, second, third] = agents;
    const raise = await t.request('PATCH', `/api/v1/agents/${second!.id}`, {
      token: t.adminToken,
      body: { maxConcurrent: cap + 10 },
    });
    expect(raise.status).toBe(200);
    await flush(admin);
    expect(activations).toEqual(queue.slice(0, 11));

    // A cap goes away: everyone left, in order.
    const uncap = await t.request('PATCH', `/api/v1/agents/${third!.id}`, {
      token: t.adminToken,
      body: { maxConcurrent: null },
    });
    expect(uncap.status).toBe(200);
    await flush(admin);
    expect(activations).toEqual(queue);

    // Each waiting visitor heard every move of the queue with their new place, then was served.
    await Promise.all(queuedVisitors.map((v) => flush(v.socket)));
    queuedVisitors.forEach((v, k) => {
      const expected = k === 0 ? [] : k <= 10 ? [k] : [k, k - 10];
      expect(v.positions, `visitor who was number ${k + 1}`).toEqual(expected);
      const kinds = v.messages.filter((p) => p.message.type === 'system');
      expect(kinds.map((p) => p.message.meta?.kind)).toEqual(['welcome', 'queued', 'assigned']);
      expect(v.messages.at(-1)?.conversation).toMatchObject({
        state: 'active',
        queuePosition: null,
      });
    });

    expect(await storedQueue()).toEqual([]);
    const loads = await presence();
    expect(loads.get(second!.id)).toMatchObject({ activeConversations: cap + 10 });
    expect(loads.get(third!.id)).toMatchObject({
      activeConversations: cap + waiting - 11,
      maxConcurrent: null,
    });
    for (const agent of agents) {
      const p = loads.get(agent.id)!;
      if (p.maxConcurrent !== null) expect(p.activeConversations).toBe(p.maxConcurrent);
    }
    expect(problems).toEqual([]);
  });
});
