import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ChannelResponse, Report, ServerEvent, type Message } from '@servicesystem/protocol';
import { startTestApp, type TestApp } from '../support/testApp.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { startLiveApp, type LiveApp } from '../support/liveApp.js';
import { bodyOf, startWorld, waitFor, type World } from '../support/world.js';

/**
 * Two background jobs, each per channel and off by default:
 * - `idleEnd`: an active conversation with no message for the channel's `idleEndMinutes` ends,
 *   through the same path as an agent's end (the visitor is told, the freed place drains the
 *   queue). Queued and hidden (snoozed) conversations never end so.
 * - `handBack`: an agent offline longer than the channel's `absentAgentMinutes` hands its active
 *   conversations back: to another online agent, else to the head of the queue.
 * Both run under a lease on one node; a second node racing the first changes nothing twice.
 */
const minute = 60_000;
let clock = Date.now();
const now = () => clock;

describe('idle conversations end, absent agents hand back', () => {
  let w: World;
  beforeAll(async () => {
    clock = Date.now();
    w = await startWorld({}, { now });
  });
  afterAll(() => w.close());
  afterEach(async () => {
    await settings({ idleEndMinutes: null, absentAgentMinutes: null });
  });

  const settings = async (body: object) => {
    const answer = await w.request('PATCH', `/api/v1/channels/${w.app.channelId}`, {
      token: w.adminToken,
      body,
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return bodyOf(answer, ChannelResponse).channel;
  };
  const systemKinds = async (id: string) =>
    (await w.history(w.adminToken, id)).messages
      .filter((m: Message) => m.sender.type === 'system')
      .map((m) => m.meta?.kind);
  const row = (id: string) =>
    w.app.app.ctx.db
      .selectFrom('conversations')
      .select(['state', 'agent_id', 'ended_by', 'ended_at'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();

  it('off by default: nothing ends and nothing moves, however long', async () => {
    const channel = await settings({});
    expect(channel).toMatchObject({
      ratingEnabled: true,
      idleEndMinutes: null,
      absentAgentMinutes: null,
    });
    const served = await w.servedConversation();
    await w.setStatus(served.agent.token, 'offline');
    clock += 7 * 24 * 60 * minute;
    await w.app.app.jobs.runNow('idleEnd');
    await w.app.app.jobs.runNow('handBack');
    expect(await row(served.id)).toMatchObject({ state: 'active', agent_id: served.agent.id });
    expect(await systemKinds(served.id)).toEqual(['welcome', 'assigned']);
  });

  it('idle end: after N quiet minutes the conversation ends with a notice, and the queue moves up', async () => {
    await settings({ idleEndMinutes: 30 });
    const served = await w.servedConversation({ agentName: 'Capped Cy' });
    await w.request('PATCH', `/api/v1/agents/${served.agent.id}`, {
      token: w.adminToken,
      body: { maxConcurrent: 1 },
    });
    const waiting = await w.visitor();
    const waitingId = await w.startConversation(waiting.token, 'my turn?');
    expect((await row(waitingId)).state).toBe('queued');

    // 29 minutes after the last message: not yet (the queued one never ends so).
    clock += 29 * minute;
    await w.app.app.jobs.runNow('idleEnd');
    expect((await row(served.id)).state).toBe('active');

    // The agent writes: the count starts again from that message.
    await w.reply(served.agentSocket, served.id, 'still there?');
    clock += 29 * minute;
    await w.app.app.jobs.runNow('idleEnd');
    expect((await row(served.id)).state).toBe('active');

    const told = waitFor(
      served.visitorSocket,
      ServerEvent.MessageCreated,
      (p) => p.message.meta?.kind === 'idleEnded',
    );
    const endedLive = waitFor(
      served.agentSocket,
      ServerEvent.ConversationUpdated,
      (p) => p.conversation.id === served.id && p.conversation.state === 'ended',
    );
    clock += 2 * minute;
    await w.app.app.jobs.runNow('idleEnd');
    expect((await told).message).toMatchObject({
      sender: { type: 'system' },
      meta: { kind: 'idleEnded', minutes: 30 },
    });
    await endedLive;
    expect(await row(served.id)).toMatchObject({ state: 'ended', ended_by: null });
    expect(Number((await row(served.id)).ended_at)).toBe(clock);
    expect(await systemKinds(served.id)).toEqual(['welcome', 'assigned', 'idleEnded']);
    // The freed place went to the one waiting, who has not been idle that long: it stays.
    expect(await row(waitingId)).toMatchObject({ state: 'active', agent_id: served.agent.id });
    await w.app.app.jobs.runNow('idleEnd');
    expect(await systemKinds(served.id)).toEqual(['welcome', 'assigned', 'idleEnded']);
    expect((await row(waitingId)).state).toBe('active');
  });

  it('idle end leaves queued and hidden conversations alone', async () => {
    await settings({ idleEndMinutes: 5 });
    const served = await w.servedConversation();
    const hidden = await w.request('POST', `/api/v1/conversations/${served.id}/snooze`, {
      token: served.agent.token,
      body: {},
    });
    expect(hidden.status, JSON.stringify(hidden.body)).toBe(200);
    await w.setStatus(served.agent.token, 'away');
    const waiting = await w.visitor();
    const waitingId = await w.startConversation(waiting.token, 'anyone?');
    expect((await row(waitingId)).state).toBe('queued');
    clock += 60 * minute;
    await w.app.app.jobs.runNow('idleEnd');
    expect((await row(served.id)).state).toBe('active');
    expect((await row(waitingId)).state).toBe('queued');
    // Clean up: the one waiting is served by the next test's agents otherwise.
    await w.request('POST', `/api/v1/conversations/${waitingId}/end`, { token: w.adminToken });
  });

  it('hand-back: an agent offline too long hands their conversations to another online agent', async () => {
    await settings({ absentAgentMinutes: 10 });
    const served = await w.servedConversation({ agentName: 'Absent Abe' });
    const other = await w.agent({ displayName: 'Present Pia', status: 'online' });
    const heard: Message[] = [];
    served.visitorSocket.on('message.created', (p: { message: Message }) => heard.push(p.message));

    await w.setStatus(served.agent.token, 'offline');
    const since = clock;
    const offlineSince = () =>
      w.app.app.ctx.db
        .selectFrom('accounts')
        .select('offline_since')
        .where('id', '=', served.agent.id)
        .executeTakeFirstOrThrow();
    expect(Number((await offlineSince()).offline_since)).toBe(since);
    // Marked offline again later (a console closing): still counted from the first time.
    clock += 5 * minute;
    await w.setStatus(served.agent.token, 'offline');
    expect(Number((await offlineSince()).offline_since)).toBe(since);

    clock += 4 * minute;
    await w.app.app.jobs.runNow('handBack');
    expect((await row(served.id)).agent_id).toBe(served.agent.id);

    clock += 2 * minute;
    await w.app.app.jobs.runNow('handBack');
    expect(await row(served.id)).toMatchObject({ state: 'active', agent_id: other.id });
    await expect.poll(() => heard.map((m) => m.meta?.kind)).toContain('assigned');
    expect(heard.find((m) => m.meta?.kind === 'assigned')?.meta).toEqual({
      kind: 'assigned',
      agentName: 'Present Pia',
    });
    expect(await systemKinds(served.id)).toEqual(['welcome', 'assigned', 'assigned']);
    await w.app.app.jobs.runNow('handBack');
    expect(await systemKinds(served.id)).toEqual(['welcome', 'assigned', 'assigned']);

    // Coming back online clears the clock.
    await w.setStatus(served.agent.token, 'online');
    expect((await offlineSince()).offline_since).toBeNull();
    await w.setStatus(served.agent.token, 'away');
    await w.setStatus(other.token, 'away');
  });

  it('hand-back with nobody online: to the head of the queue, ahead of newer arrivals', async () => {
    await settings({ absentAgentMinutes: 10 });
    const served = await w.servedConversation({ agentName: 'Gone Gus' });
    await w.setStatus(served.agent.token, 'offline');
    const waiting = await w.visitor();
    const waitingId = await w.startConversation(waiting.token, 'waiting already');
    expect((await row(waitingId)).state).toBe('queued');

    clock += 11 * minute;
    await w.app.app.jobs.runNow('handBack');
    const back = await w.conversation(served.id);
    expect(back).toMatchObject({ state: 'queued', agent: null, queuePosition: 1 });
    expect((await w.conversation(waitingId)).queuePosition).toBe(2);
    expect(await systemKinds(served.id)).toEqual(['welcome', 'assigned', 'queued']);
    await w.app.app.jobs.runNow('handBack');
    expect(await systemKinds(served.id)).toEqual(['welcome', 'assigned', 'queued']);

    // The next agent online takes it first.
    const next = await w.agent({ displayName: 'Next Ned', status: 'online', maxConcurrent: 1 });
    expect((await row(served.id)).agent_id).toBe(next.id);
    expect((await row(waitingId)).state).toBe('queued');
    await w.request('POST', `/api/v1/conversations/${waitingId}/end`, { token: w.adminToken });
    await w.setStatus(next.token, 'away');
  });

  it('an agent who comes back in time keeps their conversations', async () => {
    await settings({ absentAgentMinutes: 10 });
    const served = await w.servedConversation();
    await w.setStatus(served.agent.token, 'offline');
    clock += 9 * minute;
    await w.setStatus(served.agent.token, 'away');
    clock += 60 * minute;
    await w.app.app.jobs.runNow('handBack');
    expect((await row(served.id)).agent_id).toBe(served.agent.id);
    expect(await systemKinds(served.id)).toEqual(['welcome', 'assigned']);
  });

  describe('two nodes over one database, running the jobs at the same moment', () => {
    let second: TestApp;
    beforeAll(async () => {
      second = await startTestApp({}, { db: w.app.db, now });
    });
    afterAll(() => second.close());

    it('each idle conversation ends exactly once, with one notice', async () => {
      await settings({ idleEndMinutes: 15 });
      const ids: string[] = [];
      const rae = await w.soleAgent('Racing Rae');
      for (let i = 0; i < 6; i += 1) {
        const visitor = await w.visitor();
        ids.push(await w.startConversation(visitor.token, `idle ${i}`));
      }
      clock += 16 * minute;
      // The rounds themselves on both nodes at once (as if both held the lease: one that lapsed
      // mid-round), then through the jobs (the lease lets one node work).
      const { endIdleConversations } =
        await import('../../src/domain/conversations/endIdleConversations.js');
      const rounds = await Promise.all([
        endIdleConversations(w.app.app.ctx),
        endIdleConversations(second.app.ctx),
      ]);
      // Both found work to do: they raced for the same conversations.
      expect(rounds.map((r) => r.events.length > 0)).toContain(true);
      await Promise.all([w.app.app.jobs.runNow('idleEnd'), second.app.jobs.runNow('idleEnd')]);
      for (const id of ids) {
        expect(await systemKinds(id)).toEqual(['welcome', 'assigned', 'idleEnded']);
        expect((await row(id)).state).toBe('ended');
      }
      // Each end joined the reports once, from whichever node ended it.
      const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
      const report = await w.request(
        'GET',
        `/api/v1/reports?from=${day(clock - 2 * 86_400_000)}&to=${day(clock + 2 * 86_400_000)}&agentId=${rae.id}`,
        { token: w.adminToken },
      );
      expect(report.status).toBe(200);
      expect(bodyOf(report, Report).total.conversations).toBe(ids.length);
    });

    it('each absent agent’s conversation is handed back exactly once', async () => {
      await settings({ absentAgentMinutes: 5 });
      const leaving = await w.soleAgent('Racing Ray');
      const ids: string[] = [];
      for (let i = 0; i < 6; i += 1) {
        const visitor = await w.visitor();
        ids.push(await w.startConversation(visitor.token, `held ${i}`));
      }
      await w.setStatus(leaving.token, 'offline');
      const taker = await w.agent({ displayName: 'Taker Tam', status: 'online', maxConcurrent: 3 });
      clock += 6 * minute;
      const { handBackFromAbsentAgents } =
        await import('../../src/domain/agents/handBackFromAbsentAgents.js');
      await Promise.all([
        handBackFromAbsentAgents(w.app.app.ctx),
        handBackFromAbsentAgents(second.app.ctx),
      ]);
      await Promise.all([w.app.app.jobs.runNow('handBack'), second.app.jobs.runNow('handBack')]);
      const kinds = await Promise.all(ids.map(systemKinds));
      // Three went to the taker (their cap), three to the queue; each visitor told once.
      const handed = kinds.map((k) => k.slice(2));
      expect(handed.filter((k) => k.join() === 'assigned')).toHaveLength(3);
      expect(handed.filter((k) => k.join() === 'queued')).toHaveLength(3);
      const rows = await Promise.all(ids.map(row));
      expect(rows.filter((r) => r.agent_id === taker.id && r.state === 'active')).toHaveLength(3);
      expect(rows.filter((r) => r.state === 'queued')).toHaveLength(3);
    });
  });

  describe('an agent whose console closes, and a restart in between', () => {
    let db: TestDatabase;
    let t: LiveApp;
    beforeAll(async () => {
      db = await createTestDatabase();
      // No grace: the agent is offline as soon as their last connection closes.
      t = await startLiveApp({ AGENT_OFFLINE_GRACE_SECONDS: '0' }, { db, now });
    });
    afterAll(async () => {
      await t.close();
      await db.drop();
    });

    it('counts from the moment the console closed, across a restart, then hands back', async () => {
      const patched = await t.request('PATCH', `/api/v1/channels/${t.channelId}`, {
        token: t.adminToken,
        body: { absentAgentMinutes: 10 },
      });
      expect(patched.status).toBe(200);
      const leaving = await t.agent({ status: 'online' });
      const visitor = await t.visitor();
      const started = await t.request('POST', '/api/v1/visitor/messages', {
        token: visitor.token,
        body: { clientMsgId: 'closing-1', type: 'text', body: 'hello?' },
      });
      const id = started.body.conversation.id as string;
      expect(started.body.conversation.state).toBe('active');

      const consoleSocket = await t.connect(leaving.token);
      consoleSocket.disconnect();
      const closedAt = clock;
      const account = () =>
        t.app.ctx.db
          .selectFrom('accounts')
          .select(['status', 'offline_since'])
          .where('id', '=', leaving.id)
          .executeTakeFirstOrThrow();
      await expect.poll(async () => (await account()).status).toBe('offline');
      expect(Number((await account()).offline_since)).toBe(closedAt);

      // The node restarts; the next one knows since when the agent is gone.
      await t.close();
      clock += 11 * minute;
      t = await startLiveApp({ AGENT_OFFLINE_GRACE_SECONDS: '0' }, { db, now });
      const taker = await t.agent({ status: 'online' });
      await t.app.jobs.runNow('handBack');
      const after = await t.request('GET', `/api/v1/conversations/${id}`, { token: t.adminToken });
      expect(after.body.conversation).toMatchObject({ state: 'active', agent: { id: taker.id } });
    });
  });
});
