import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardStats } from '@servicesystem/protocol';
import { startWorld, text, type World } from '../support/world.js';

/** GET /api/v1/stats over real conversations: counts per day and agent, medians, queue. */
describe('dashboard stats', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ REPORT_TIME_ZONE: 'Asia/Shanghai' });
  });
  afterAll(async () => {
    await w?.close();
  });

  it('counts real conversations, answers medians, the queue, and refuses agents', async () => {
    const empty = await w.request('GET', '/api/v1/stats', { token: w.adminToken });
    expect(empty.status).toBe(200);
    const before = DashboardStats.parse(empty.body);
    expect(before.conversationsPerDay).toHaveLength(30);
    expect(before.firstResponseMedianMs).toBeNull();

    const agent = await w.agent({ status: 'online', displayName: 'Stats Agent' });
    // Two conversations served by the agent: one answered and ended, one answered.
    for (const end of [true, false]) {
      const v = await w.visitor();
      const id = await w.startConversation(v.token, 'hello');
      const reply = await w.request('POST', `/api/v1/conversations/${id}/messages`, {
        token: agent.token,
        body: text('hi'),
      });
      expect(reply.status).toBe(201);
      if (end) {
        const ended = await w.request('POST', `/api/v1/conversations/${id}/end`, {
          token: agent.token,
        });
        expect(ended.status).toBe(200);
      }
    }
    // A third waits in the queue once the agent is away.
    await w.setStatus(agent.token, 'away');
    const waiting = await w.visitor();
    await w.startConversation(waiting.token, '?');

    const answer = await w.request('GET', '/api/v1/stats?tz=Asia/Shanghai', {
      token: w.adminToken,
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

    const bad = await w.request('GET', '/api/v1/stats?tz=Mars/Olympus', { token: w.adminToken });
    expect(bad.status).toBe(400);
    const refused = await w.request('GET', '/api/v1/stats', { token: agent.token });
    expect(refused.status).toBe(403);
  });
});
