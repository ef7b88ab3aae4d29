import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelResponse, Report } from '@servicesystem/protocol';
import {
  bodyOf,
  errorOf,
  startWorld,
  text,
  type World,
  type WorldAgent,
} from '../support/world.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { rebuildReportsRound } from '../../src/domain/reports/rebuildReports.js';
import { reportStateKey } from '../../src/db/reportState.js';

/**
 * Reports per agent per day, read from roll-ups that each conversation's end adds to in its own
 * transaction. A clock the test moves decides every time, so the figures are known exactly;
 * days are local days in Asia/Shanghai (UTC+8).
 */

const zone = 'Asia/Shanghai';
/** 2026-03-10 23:30 in Shanghai (15:30 UTC): late on the 10th, local time. */
const lateOnTheTenth = Date.UTC(2026, 2, 10, 15, 30);

/** The nearest-rank percentile of exact values, as the reports define it. */
function nearestRank(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(p * sorted.length)) - 1]!;
}

/** Within the documented bound: 5%, or half a second under one second. */
function expectClose(answer: number | null, exact: number): void {
  expect(answer).not.toBeNull();
  expect(Math.abs(answer! - exact)).toBeLessThanOrEqual(Math.max(exact * 0.05, 500));
}

describe('reports per agent per day', () => {
  let db: TestDatabase;
  let w: World;
  let clock = lateOnTheTenth;
  const now = () => clock;
  let alice: WorldAgent;
  let bob: WorldAgent;
  /** First-response and resolution times (ms) of Alice's conversations on the 10th. */
  const aliceFirstResponses: number[] = [];
  const aliceResolutions: number[] = [];
  /** The visitor of the last `conversation()`, who may rate it. */
  let lastVisitorToken = '';

  async function rate(conversationId: string, score: number) {
    const answer = await w.request('POST', `/api/v1/conversations/${conversationId}/rating`, {
      token: lastVisitorToken,
      body: { score },
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  }

  async function report(query: string, token = w.adminToken) {
    const answer = await w.request('GET', `/api/v1/reports?${query}`, { token });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return bodyOf(answer, Report.strict());
  }

  /** Only `agent` is online, so new conversations go to them. */
  async function onlyOnline(agent: WorldAgent) {
    for (const other of [alice, bob]) {
      if (other.id !== agent.id) await w.setStatus(other.token, 'away');
    }
    await w.setStatus(agent.token, 'online');
  }

  /**
   * A visitor writes `visitorMessages` messages, the agent answers after `firstResponseMs` with
   * `agentMessages` messages, and ends it `resolutionMs` after it started.
   */
  async function conversation(
    agent: WorldAgent,
    times: { firstResponseMs: number | null; resolutionMs: number },
    counts = { visitorMessages: 1, agentMessages: 1 },
    channelId?: string,
  ): Promise<string> {
    const started = clock;
    const visitor = await w.visitor(channelId ? { channelId } : {});
    lastVisitorToken = visitor.token;
    const id = await w.startConversation(visitor.token, 'hello');
    for (let i = 1; i < counts.visitorMessages; i++) {
      const sent = await w.request('POST', '/api/v1/visitor/messages', {
        token: visitor.token,
        body: text(`more ${i}`),
      });
      expect(sent.status).toBe(201);
    }
    if (times.firstResponseMs !== null) {
      clock = started + times.firstResponseMs;
      for (let i = 0; i < counts.agentMessages; i++) {
        const reply = await w.request('POST', `/api/v1/conversations/${id}/messages`, {
          token: agent.token,
          body: text(`answer ${i}`),
        });
        expect(reply.status).toBe(201);
      }
    }
    clock = started + times.resolutionMs;
    const ended = await w.request('POST', `/api/v1/conversations/${id}/end`, {
      token: agent.token,
    });
    expect(ended.status).toBe(200);
    clock = started;
    return id;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    w = await startWorld({ REPORT_TIME_ZONE: zone }, { db, now });
    alice = await w.agent({ displayName: '张小美 Alice' });
    bob = await w.agent({ displayName: '=HYPERLINK("http://evil")' });
  });
  afterAll(async () => {
    await w?.close();
    await db?.drop();
  });

  it('counts an ended conversation on the local day it started, with exact figures', async () => {
    await onlyOnline(alice);
    // Late on the 10th (23:30 local); it ends after midnight, on the 11th.
    await conversation(
      alice,
      { firstResponseMs: 45_000, resolutionMs: 65 * 60_000 },
      { visitorMessages: 3, agentMessages: 2 },
    );
    aliceFirstResponses.push(45_000);
    aliceResolutions.push(65 * 60_000);

    const answer = await report('from=2026-03-10&to=2026-03-11');
    expect(answer).toMatchObject({ timeZone: zone, rebuilding: false });
    expect(answer.rows).toHaveLength(1);
    const [row] = answer.rows;
    expect(row).toMatchObject({
      day: '2026-03-10',
      agentId: alice.id,
      agentName: '张小美 Alice',
      conversations: 1,
      visitorMessages: 3,
      agentMessages: 2,
      leftMessages: 0,
    });
    expect(row!.firstResponse.count).toBe(1);
    expect(row!.firstResponse.averageMs).toBe(45_000);
    expectClose(row!.firstResponse.medianMs, 45_000);
    expect(row!.resolution.averageMs).toBe(65 * 60_000);
    expectClose(row!.resolution.p90Ms, 65 * 60_000);
    expect(answer.days.map((d) => [d.day, d.conversations])).toEqual([
      ['2026-03-10', 1],
      ['2026-03-11', 0],
    ]);
    // In UTC it started on the 10th too, but 23:30 UTC would be the 11th in Shanghai: the local
    // day decides, so nothing is on the 11th.
    expect((await report('from=2026-03-11&to=2026-03-11')).total.conversations).toBe(0);
  });

  it('answers medians and p90 within 5% over many conversations, open ones once they end', async () => {
    await onlyOnline(alice);
    // Earlier the same local day (10:00 Shanghai).
    clock = Date.UTC(2026, 2, 10, 2, 0);
    const times = [1_200, 2_500, 9_000, 14_000, 30_000, 61_000, 95_000, 180_000, 420_000, 900_000];
    for (const [i, firstResponseMs] of times.entries()) {
      const resolutionMs = firstResponseMs + (i + 1) * 37_000;
      await conversation(alice, { firstResponseMs, resolutionMs });
      aliceFirstResponses.push(firstResponseMs);
      aliceResolutions.push(resolutionMs);
      clock += 5 * 60_000;
    }
    // One never answered: a resolution but no first response.
    await conversation(alice, { firstResponseMs: null, resolutionMs: 120_000 });
    aliceResolutions.push(120_000);
    // One still open: not in the report until it ends.
    const visitor = await w.visitor();
    const open = await w.startConversation(visitor.token, 'still here');

    const answer = await report(`from=2026-03-10&to=2026-03-10&agentId=${alice.id}`);
    const day = answer.rows[0]!;
    expect(day.conversations).toBe(12);
    expect(day.firstResponse.count).toBe(11);
    expect(day.resolution.count).toBe(12);
    expectClose(day.firstResponse.medianMs, nearestRank(aliceFirstResponses, 0.5));
    expectClose(day.firstResponse.p90Ms, nearestRank(aliceFirstResponses, 0.9));
    expectClose(day.resolution.medianMs, nearestRank(aliceResolutions, 0.5));
    expectClose(day.resolution.p90Ms, nearestRank(aliceResolutions, 0.9));
    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
    expect(day.firstResponse.averageMs).toBe(
      Math.round(sum(aliceFirstResponses) / aliceFirstResponses.length),
    );
    expect(day.resolution.averageMs).toBe(
      Math.round(sum(aliceResolutions) / aliceResolutions.length),
    );

    clock += 30_000;
    const ended = await w.request('POST', `/api/v1/conversations/${open}/end`, {
      token: alice.token,
    });
    expect(ended.status).toBe(200);
    expect((await report('from=2026-03-10&to=2026-03-10')).total.conversations).toBe(13);
    // Its one visitor message, no answer.
    // The first conversation's three, one each for the other eleven, and this one's.
    expect((await report('from=2026-03-10&to=2026-03-10')).total.visitorMessages).toBe(3 + 11 + 1);
  });

  it('gives a transferred conversation to the agent who had it at the end', async () => {
    await onlyOnline(alice);
    clock = Date.UTC(2026, 2, 12, 4, 0);
    const visitor = await w.visitor();
    const id = await w.startConversation(visitor.token, 'please transfer me');
    await w.setStatus(bob.token, 'online');
    const moved = await w.request('POST', `/api/v1/conversations/${id}/transfer`, {
      token: w.adminToken,
      body: { agentId: bob.id },
    });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    clock += 20_000;
    const reply = await w.request('POST', `/api/v1/conversations/${id}/messages`, {
      token: bob.token,
      body: text('Bob here'),
    });
    expect(reply.status).toBe(201);
    clock += 60_000;
    expect(
      (await w.request('POST', `/api/v1/conversations/${id}/end`, { token: bob.token })).status,
    ).toBe(200);

    const answer = await report('from=2026-03-12&to=2026-03-12');
    expect(answer.rows.map((r) => [r.agentId, r.conversations, r.agentMessages])).toEqual([
      [bob.id, 1, 1],
    ]);
    expect(answer.rows[0]!.firstResponse.averageMs).toBe(20_000);
  });

  it('adds ratings and left messages, and filters by agent and channel', async () => {
    const created = await w.request('POST', '/api/v1/channels', {
      token: w.adminToken,
      body: { name: 'Shop' },
    });
    expect(created.status).toBe(201);
    const shop = bodyOf(created, ChannelResponse).channel.id;
    await onlyOnline(bob);
    clock = Date.UTC(2026, 2, 13, 1, 0);
    const rated = await conversation(
      bob,
      { firstResponseMs: 3_000, resolutionMs: 90_000 },
      undefined,
      shop,
    );
    // The visitors rate through the visitor page's route; a second answer is refused and
    // changes nothing.
    await rate(rated, 2);
    const again = await w.request('POST', `/api/v1/conversations/${rated}/rating`, {
      token: lastVisitorToken,
      body: { score: 5 },
    });
    expect(again.status).toBe(409);
    const other = await conversation(bob, { firstResponseMs: 4_000, resolutionMs: 50_000 });
    await rate(other, 5);
    // A message left at 07:59 local on the 14th, in the shop's channel, for nobody.
    clock = Date.UTC(2026, 2, 13, 23, 59);
    const leaving = await w.visitor({ channelId: shop });
    const left = await w.request('POST', '/api/v1/visitor/leave-message', {
      token: leaving.token,
      body: { name: 'Li Lei', email: 'li@example.com', message: 'Call me back, please' },
    });
    expect(left.status, JSON.stringify(left.body)).toBe(201);
    clock = Date.UTC(2026, 2, 13, 1, 0);

    const all = await report('from=2026-03-13&to=2026-03-14');
    expect(all.total).toMatchObject({
      conversations: 2,
      leftMessages: 1,
      rating: { count: 2, average: 3.5, scores: [0, 1, 0, 0, 1] },
    });
    const nobody = all.rows.find((r) => r.agentId === null)!;
    expect(nobody).toMatchObject({ day: '2026-03-14', leftMessages: 1, agentName: null });

    const inShop = await report(`from=2026-03-13&to=2026-03-14&channelId=${shop}`);
    expect(inShop.total).toMatchObject({
      conversations: 1,
      leftMessages: 1,
      rating: { count: 1, average: 2 },
    });
    const bobsOnly = await report(`from=2026-03-01&to=2026-03-31&agentId=${bob.id}`);
    expect(bobsOnly.agents.map((a) => [a.agentId, a.conversations])).toEqual([[bob.id, 3]]);
    expect(bobsOnly.rows.every((r) => r.agentId === bob.id)).toBe(true);
    const whole = await report('from=2026-03-01&to=2026-03-31');
    expect(whole.days).toHaveLength(31);
    expect(whole.agents.map((a) => [a.agentId, a.conversations])).toEqual([
      [alice.id, 13],
      [bob.id, 3],
      [null, 0],
    ]);
    expect(whole.total.conversations).toBe(16);
    const perDay = whole.days.reduce((n, d) => n + d.conversations, 0);
    expect(perDay).toBe(16);
    // Without the per-agent-per-day rows (the console's long ranges): the same totals.
    const lean = await report('from=2026-03-01&to=2026-03-31&rows=none');
    expect(whole.rows.length).toBeGreaterThan(0);
    expect(lean.rows).toEqual([]);
    expect({ ...lean, rows: whole.rows }).toEqual(whole);

    // Deleting the channel deletes its figures.
    expect(
      (await w.request('DELETE', `/api/v1/channels/${shop}`, { token: w.adminToken })).status,
    ).toBe(204);
    const after = await report('from=2026-03-13&to=2026-03-14');
    expect(after.total).toMatchObject({ conversations: 1, leftMessages: 0 });
  });

  it('exports CSV with a BOM, a header, and formulas kept as text', async () => {
    const answer = await w.request('GET', '/api/v1/reports.csv?from=2026-03-01&to=2026-03-31', {
      token: w.adminToken,
    });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(answer.headers['content-disposition']).toBe(
      'attachment; filename="report-2026-03-01-2026-03-31.csv"',
    );
    const body = answer.body as unknown as string;
    expect(body.startsWith('\uFEFFday,agent,conversations,visitor messages,')).toBe(true);
    const lines = body.slice(1).trimEnd().split('\r\n');
    expect(lines[1]).toMatch(/^2026-03-10,张小美 Alice,13,15,/);
    // Bob's name begins with '=': a spreadsheet must not run it.
    expect(body).toContain(`"'=HYPERLINK(""http://evil"")"`);
    expect(body).not.toMatch(/(^|,)=HYPERLINK/m);
    expect(lines.at(-1)).toMatch(/^2026-03-01\.\.2026-03-31,\(all\),15,/);
    // The robot's figures close each line (none here: the robot was off).
    expect(lines[0]).toMatch(
      /,resolved by robot,handed over by robot,handoff: requested,handoff: unanswered,.*handoff: agent$/,
    );
    expect(lines.at(-1)).toMatch(/,0,0,0,0,0,0,0,0,0$/);
  });

  it('refuses bad ranges with 400, agents with 403, strangers with 401', async () => {
    const cases: [string, string][] = [
      ['to=2026-03-01', 'from'],
      ['from=2026-3-1&to=2026-03-02', 'from'],
      ['from=2026-02-30&to=2026-03-02', 'from'],
      ['from=2026-03-02&to=2026-03-01', 'to'],
      ['from=2025-01-01&to=2026-01-02', 'to'],
      ['from=2026-03-01&to=2026-03-02&tz=UTC', ''],
    ];
    for (const [query, path] of cases) {
      for (const url of ['/api/v1/reports', '/api/v1/reports.csv']) {
        const answer = await w.request('GET', `${url}?${query}`, { token: w.adminToken });
        expect(answer.status, query).toBe(400);
        const error = errorOf(answer);
        expect(error.code).toBe('VALIDATION_FAILED');
        expect(error.issues?.[0]?.path).toBe(path);
      }
    }
    // 366 days, both ends included, is the longest range.
    expect((await report('from=2025-01-01&to=2026-01-01')).days).toHaveLength(366);
    const agent = await w.request('GET', '/api/v1/reports?from=2026-03-01&to=2026-03-02', {
      token: alice.token,
    });
    expect(agent.status).toBe(403);
    expect(errorOf(agent).code).toBe('FORBIDDEN');
    const stranger = await w.request('GET', '/api/v1/reports.csv?from=2026-03-01&to=2026-03-02');
    expect(stranger.status).toBe(401);
  });

  it('rebuilds the same figures from the conversations, in batches that resume', async () => {
    const ctx = w.app.app.ctx;
    // Up to the 14th, every agent: conversations, messages, ratings and left messages (one more,
    // on the 12th, in the default channel).
    clock = Date.UTC(2026, 2, 12, 6, 0);
    const leaving = await w.visitor();
    const left = await w.request('POST', '/api/v1/visitor/leave-message', {
      token: leaving.token,
      body: { name: 'Han Meimei', phone: '+86 138 0013 8000', message: '请回电' },
    });
    expect(left.status, JSON.stringify(left.body)).toBe(201);
    const range = 'from=2026-03-01&to=2026-03-14';
    const before = await report(range);
    expect(before.total.leftMessages).toBe(1);
    expect(before.total.rating.count).toBe(1);

    // As on the first start after the upgrade: no roll-ups, a rebuild from the start.
    await ctx.transaction(async (trx) => {
      await trx.deleteFrom('report_daily').execute();
      await trx
        .updateTable('settings')
        .set({ value: JSON.stringify({ zone, status: 'rebuilding', cursor: '' }) })
        .where('key', '=', reportStateKey)
        .execute();
    });
    // Two batches of 4, then it stops (a crash, a restart): half done, and it says so.
    expect(await rebuildReportsRound(ctx, 4)).toBe(true);
    expect(await rebuildReportsRound(ctx, 4)).toBe(true);
    const half = await report('from=2026-03-01&to=2026-03-31');
    expect(half.rebuilding).toBe(true);
    expect(half.total.conversations).toBe(8);

    // A conversation that ends meanwhile is counted once: by the rebuild, not by its end.
    await onlyOnline(alice);
    clock = Date.UTC(2026, 2, 15, 3, 0);
    await conversation(alice, { firstResponseMs: 10_000, resolutionMs: 40_000 });
    expect((await report('from=2026-03-01&to=2026-03-31')).total.conversations).toBe(8);

    // The background job goes on from the stored cursor until it is done.
    await w.app.app.jobs.runNow('reports');
    const after = await report(range);
    expect(after.rebuilding).toBe(false);
    expect(after).toEqual(before);
    const march15 = await report('from=2026-03-15&to=2026-03-15');
    expect(march15.total.conversations).toBe(1);
    expect(march15.total.firstResponse.averageMs).toBe(10_000);
  });

  it('rebuilds into the new local days when REPORT_TIME_ZONE changes', async () => {
    await w.close();
    clock = Date.UTC(2026, 2, 21, 0, 0);
    w = await startWorld({ REPORT_TIME_ZONE: 'America/New_York' }, { db, now });
    await w.app.app.jobs.runNow('reports');
    const answer = await report('from=2026-03-09&to=2026-03-10');
    expect(answer).toMatchObject({ timeZone: 'America/New_York', rebuilding: false });
    // 23:30 in Shanghai on the 10th was 11:30 in New York on the 10th; 10:00 in Shanghai
    // (02:00 UTC) was 22:00 (DST) in New York on the 9th.
    expect(answer.days.map((d) => [d.day, d.conversations])).toEqual([
      ['2026-03-09', 12],
      ['2026-03-10', 1],
    ]);
  });

  it('backfills every ended conversation on the first start after the upgrade', async () => {
    const before = await report('from=2026-03-01&to=2026-03-31');
    // As the upgrade leaves it: ended conversations, no roll-ups and no state yet.
    await w.app.app.ctx.transaction(async (trx) => {
      await trx.deleteFrom('report_daily').execute();
      await trx.deleteFrom('settings').where('key', '=', reportStateKey).execute();
    });
    await w.close();
    w = await startWorld({ REPORT_TIME_ZONE: 'America/New_York' }, { db, now });
    await w.app.app.jobs.runNow('reports');
    const after = await report('from=2026-03-01&to=2026-03-31');
    expect(after.rebuilding).toBe(false);
    expect(after).toEqual(before);
  });
});

describe('reports from two servers on one database', () => {
  let db: TestDatabase;
  let first: World;
  let second: World;
  beforeAll(async () => {
    db = await createTestDatabase();
    first = await startWorld({}, { db });
    second = await startWorld({}, { db });
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
    await db?.drop();
  });

  it('stay exact when both end conversations at once, during a rebuild', async () => {
    const agent = await first.soleAgent('Both Nodes');
    const ids: string[] = [];
    for (let i = 0; i < 24; i++) {
      const visitor = await first.visitor();
      const id = await first.startConversation(visitor.token, `question ${i}`);
      const reply = await (i % 2 ? second : first).request(
        'POST',
        `/api/v1/conversations/${id}/messages`,
        { token: agent.token, body: text(`answer ${i}`) },
      );
      expect(reply.status).toBe(201);
      ids.push(id);
    }
    // Half end before the roll-ups are wiped, half during the rebuild that follows.
    await Promise.all(
      ids.slice(0, 12).map((id, i) =>
        (i % 2 ? second : first).request('POST', `/api/v1/conversations/${id}/end`, {
          token: agent.token,
        }),
      ),
    );
    const ctx = first.app.app.ctx;
    await ctx.transaction(async (trx) => {
      await trx.deleteFrom('report_daily').execute();
      await trx
        .updateTable('settings')
        .set({
          value: JSON.stringify({ zone: ctx.reports.timeZone, status: 'rebuilding', cursor: '' }),
        })
        .where('key', '=', reportStateKey)
        .execute();
    });
    const rebuild = async () => {
      while (await rebuildReportsRound(second.app.app.ctx, 2)) {
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    };
    const ends = ids.slice(12).map(async (id, i) => {
      const answer = await (i % 2 ? second : first).request(
        'POST',
        `/api/v1/conversations/${id}/end`,
        { token: agent.token },
      );
      expect(answer.status).toBe(200);
    });
    await Promise.all([rebuild(), ...ends]);
    await rebuild();

    const today = new Intl.DateTimeFormat('en-CA', { timeZone: ctx.reports.timeZone }).format(
      Date.now(),
    );
    const yesterday = new Date(Date.parse(`${today}T00:00:00Z`) - 86_400_000)
      .toISOString()
      .slice(0, 10);
    for (const w of [first, second]) {
      const answer = await w.request('GET', `/api/v1/reports?from=${yesterday}&to=${today}`, {
        token: w.adminToken,
      });
      expect(answer.status).toBe(200);
      const report = bodyOf(answer, Report);
      expect(report.rebuilding).toBe(false);
      expect(report.total).toMatchObject({
        conversations: 24,
        visitorMessages: 24,
        agentMessages: 24,
        firstResponse: { count: 24 },
        resolution: { count: 24 },
      });
    }
  });
});
