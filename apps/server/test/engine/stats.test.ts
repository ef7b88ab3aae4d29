import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardStats } from '@servicesystem/protocol';
import { newClientMsgId, startLiveApp, type LiveApp } from '../support/liveApp.js';

const text = (body: string) => ({ clientMsgId: newClientMsgId(), type: 'text' as const, body });

/** GET /api/v1/stats over real conversations: counts per day and agent, medians, queue. */
describe('dashboard stats', () => {
  let t: LiveApp;
  beforeAll(async () => {
    t = await startLiveApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('counts real conversations, answers medians, the queue, and refuses agents', async () => {
    const empty = await t.request('GET', '/api/v1/stats', { token: t.adminToken });
    expect(empty.status).toBe(200);
    const before = DashboardStats.parse(empty.body);
    expect(before.conversationsPerDay).toHaveLength(30);
    expect(before.firstResponseMedianMs).toBeNull();

    const agent = await t.agent({ status: 'online', displayName: 'Stats Agent' });
    // Two conversations served by the agent: one answered and ended, one answered.
    for (const end of [true, false]) {
      const v = await t.visitor();
      const sent = await t.request('POST', '/api/v1/visitor/messages', {
        token: v.token,
        body: text('hello'),
      });
      expect(sent.status).toBe(201);
      const id = sent.body.conversation.id as string;
      const reply = await t.request('POST', `/api/v1/conversations/${id}/messages`, {
        token: agent.token,
        body: text('hi'),
      });
      expect(reply.status).toBe(201);
      if (end) {
        const ended = await t.request('POST', `/api/v1/conversations/${id}/end`, {
          token: agent.token,
        });
        expect(ended.status).toBe(200);
      }
    }
    // A third waits in the queue once the agent is away.
    await t.setStatus(agent.token, 'away');
    const waiting = await t.visitor();
    expect(
      (
        await t.request('POST', '/api/v1/visitor/messages', {
          token: waiting.token,
          body: text('?'),
        })
      ).status,
    ).toBe(201);

    const answer = await t.request('GET', '/api/v1/stats?tz=Asia/Shanghai', {
      token: t.adminToken,
    });
    expect(answer.status).toBe(200);
    const stats = DashboardStats.parse(answer.body);
    expect(stats.tz).toBe('Asia/Shanghai');
    expect(stats.conversationsPerDay).toHaveLength(30);
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(
      Date.now(),
    );
    expect(stats.conversationsPerDay.at(-1)).toEqual({ day: today, count: 3 });
    expect(stats.conversationsPerDay.reduce((n, d) => n + d.count, 0)).toBe(3);
    const mine = stats.perAgent.find((a) => a.agentId === agent.id);
    expect(mine).toMatchObject({ displayName: 'Stats Agent', today: 2, last7Days: 2 });
    expect(stats.firstResponseMedianMs).not.toBeNull();
    expect(stats.firstResponseMedianMs!).toBeGreaterThanOrEqual(0);
    expect(stats.resolutionMedianMs).not.toBeNull();
    expect(stats.queue.length).toBe(1);
    expect(stats.queue.longestWaitMs!).toBeGreaterThanOrEqual(0);
    expect(stats.activeConversations).toBe(1);

    const bad = await t.request('GET', '/api/v1/stats?tz=Mars/Olympus', { token: t.adminToken });
    expect(bad.status).toBe(400);
    const refused = await t.request('GET', '/api/v1/stats', { token: agent.token });
    expect(refused.status).toBe(403);
  });
});
