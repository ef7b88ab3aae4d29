import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConversationUpdatedPayload, QueueCountPayload } from '@servicesystem/protocol';
import {
  ConversationCountsResponse,
  ConversationResponse,
  LabelListResponse,
} from '@servicesystem/protocol';
import {
  eventually,
  newClientMsgId,
  nextEvent,
  record,
  startLiveApp,
  type LiveApp,
} from '../support/liveApp.js';

/**
 * Labels, the console's views with their counts, and hiding (snooze): labels are defined by
 * admins and put on conversations by their agent; an agent's hidden conversation leaves `mine`
 * for `snoozed`, still counts toward their cap, and comes back when its time comes (the `snooze`
 * background job) or when the visitor writes; ending or transferring it clears the snooze. The
 * visitor hears nothing of any of this.
 */

let clock = Date.now();
const now = () => clock;
const hour = 3_600_000;

describe('labels, views and snooze', () => {
  let t: LiveApp;
  let X: Awaited<ReturnType<LiveApp['agent']>>;
  let Y: Awaited<ReturnType<LiveApp['agent']>>;

  const send = async (token: string, body: string) => {
    const answer = await t.request('POST', '/api/v1/visitor/messages', {
      token,
      body: { clientMsgId: newClientMsgId(), type: 'text', body },
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    return answer.body.conversation.id as string;
  };
  const counts = async (token: string) => {
    const answer = await t.request('GET', '/api/v1/conversations/counts', { token });
    expect(answer.status).toBe(200);
    return ConversationCountsResponse.parse(answer.body).counts;
  };
  const list = async (token: string, query: string) => {
    const answer = await t.request('GET', `/api/v1/conversations?${query}`, { token });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return (answer.body.conversations as { id: string }[]).map((c) => c.id);
  };
  const snoozedRow = (id: string) =>
    t.app.ctx.db
      .selectFrom('conversations')
      .select(['snoozed_at', 'snoozed_until', 'agent_id', 'state'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
  const makeLabel = async (name: string, color = '#1f6feb') => {
    const answer = await t.request('POST', '/api/v1/labels', {
      token: t.adminToken,
      body: { name, color },
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    return answer.body.label.id as string;
  };

  beforeAll(async () => {
    clock = Date.now();
    t = await startLiveApp({}, { now });
    X = await t.agent({ status: 'online', displayName: 'Xavier', maxConcurrent: 2 });
    Y = await t.agent({ displayName: 'Yvonne', maxConcurrent: 5 });
  });
  afterAll(() => t?.close());

  describe('labels', () => {
    it('admins define them (unique names regardless of case, #rrggbb colours), audited; agents only read', async () => {
      const agentSocket = await t.connect(Y.token);
      const changed = nextEvent(agentSocket, 'labels.changed');
      const created = await t.request('POST', '/api/v1/labels', {
        token: t.adminToken,
        body: { name: '  VIP  customer ', color: '#AABBCC' },
      });
      expect(created.status).toBe(201);
      expect(created.body.label).toMatchObject({ name: 'VIP customer', color: '#aabbcc' });
      const id = created.body.label.id as string;
      expect(LabelListResponse.parse(await changed).labels.map((l) => l.id)).toContain(id);

      const again = await t.request('POST', '/api/v1/labels', {
        token: t.adminToken,
        body: { name: 'vip CUSTOMER', color: '#000000' },
      });
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('LABEL_NAME_TAKEN');
      for (const body of [
        { name: 'x', color: 'red' },
        { name: 'x', color: '#12345' },
        { name: '', color: '#123456' },
        { name: 'y'.repeat(33), color: '#123456' },
        { name: 'x', color: '#123456', extra: 1 },
        { name: 'x' },
      ]) {
        const bad = await t.request('POST', '/api/v1/labels', { token: t.adminToken, body });
        expect(bad.status, JSON.stringify(body)).toBe(400);
        expect(bad.body.error.code).toBe('VALIDATION_FAILED');
      }
      const byAgent = await t.request('POST', '/api/v1/labels', {
        token: X.token,
        body: { name: 'Mine', color: '#123456' },
      });
      expect(byAgent.status).toBe(403);

      const other = await makeLabel('Billing', '#00aa00');
      const renamed = await t.request('PATCH', `/api/v1/labels/${other}`, {
        token: t.adminToken,
        body: { name: 'Invoices', color: '#00bb00' },
      });
      expect(renamed.body.label).toMatchObject({ name: 'Invoices', color: '#00bb00' });
      const clash = await t.request('PATCH', `/api/v1/labels/${other}`, {
        token: t.adminToken,
        body: { name: 'VIP Customer' },
      });
      expect(clash.status).toBe(409);
      const missing = await t.request('PATCH', '/api/v1/labels/no-such', {
        token: t.adminToken,
        body: { name: 'Z' },
      });
      expect(missing.status).toBe(404);

      const listed = await t.request('GET', '/api/v1/labels', { token: X.token });
      expect(listed.body.labels.map((l: { name: string }) => l.name)).toEqual([
        'Invoices',
        'VIP customer',
      ]);
      const audit = await t.request('GET', '/api/v1/audit', { token: t.adminToken });
      const actions = (audit.body.entries as { action: string; target: { type: string } }[])
        .filter((e) => e.target.type === 'label')
        .map((e) => e.action);
      expect(actions).toEqual(expect.arrayContaining(['label.create', 'label.update']));
    });

    it('the serving agent and admins put them on a conversation; others cannot; the visitor hears nothing', async () => {
      const visitor = await t.visitor();
      const visitorSocket = await t.connect(visitor.token);
      const visitorUpdates = record(visitorSocket, 'conversation.updated');
      const CA = await send(visitor.token, 'hello there');
      expect((await snoozedRow(CA)).agent_id).toBe(X.id);
      await eventually(() => expect(visitorUpdates.length).toBeGreaterThan(0));
      const heardAtStart = visitorUpdates.length;
      const urgent = await makeLabel('Urgent', '#dc2626');
      const xSocket = await t.connect(X.token);
      const heard = nextEvent<ConversationUpdatedPayload>(
        xSocket,
        'conversation.updated',
        (p) => p.conversation.id === CA,
      );
      const put = await t.request('PUT', `/api/v1/conversations/${CA}/labels/${urgent}`, {
        token: X.token,
      });
      expect(put.status, JSON.stringify(put.body)).toBe(200);
      expect(ConversationResponse.parse(put.body).conversation.labels).toEqual([
        { id: urgent, name: 'Urgent', color: '#dc2626' },
      ]);
      expect((await heard).conversation).toMatchObject({ labels: [{ id: urgent }] });
      // Twice changes nothing.
      const twice = await t.request('PUT', `/api/v1/conversations/${CA}/labels/${urgent}`, {
        token: X.token,
      });
      expect(twice.body.conversation.labels).toHaveLength(1);

      const byOther = await t.request('PUT', `/api/v1/conversations/${CA}/labels/${urgent}`, {
        token: Y.token,
      });
      expect(byOther.status).toBe(403);
      const unknown = await t.request('PUT', `/api/v1/conversations/${CA}/labels/nope`, {
        token: X.token,
      });
      expect(unknown.status).toBe(404);
      const byVisitor = await t.request('PUT', `/api/v1/conversations/${CA}/labels/${urgent}`, {
        token: visitor.token,
      });
      expect(byVisitor.status).toBe(401);

      const billing = await makeLabel('Shipping', '#0000ff');
      const byAdmin = await t.request('PUT', `/api/v1/conversations/${CA}/labels/${billing}`, {
        token: t.adminToken,
      });
      expect(byAdmin.body.conversation.labels.map((l: { name: string }) => l.name)).toEqual([
        'Shipping',
        'Urgent',
      ]);

      // The label filter: X's conversations with the label; nobody else's.
      expect(await list(X.token, `label=${urgent}`)).toEqual([CA]);
      expect(await list(X.token, `label=${billing}&view=mine`)).toEqual([CA]);
      expect(await list(Y.token, `label=${urgent}`)).toEqual([]);
      expect(await list(t.adminToken, `label=${urgent}`)).toEqual([CA]);
      expect(await list(t.adminToken, `label=no-such`)).toEqual([]);

      const removed = await t.request('DELETE', `/api/v1/conversations/${CA}/labels/${urgent}`, {
        token: X.token,
      });
      expect(removed.body.conversation.labels.map((l: { id: string }) => l.id)).toEqual([billing]);
      // Deleting a label takes it off every conversation.
      expect(
        (await t.request('DELETE', `/api/v1/labels/${billing}`, { token: t.adminToken })).status,
      ).toBe(204);
      const after = await t.request('GET', `/api/v1/conversations/${CA}`, { token: X.token });
      expect(after.body.conversation.labels).toEqual([]);

      // The visitor's payloads never carry labels, and label changes send them nothing.
      const mine = await t.request('GET', '/api/v1/visitor/conversations', {
        token: visitor.token,
      });
      expect(JSON.stringify(mine.body)).not.toMatch(/labels|snooze|Urgent/);
      // Its next update is the end: nothing came between.
      const ended = nextEvent(
        visitorSocket,
        'conversation.updated',
        (p) => p.conversation.state === 'ended',
      );
      await t.request('POST', `/api/v1/conversations/${CA}/end`, { token: X.token });
      await ended;
      expect(visitorUpdates).toHaveLength(heardAtStart + 1);
    });
  });

  describe('views and snooze', () => {
    it('counts stay live; hidden conversations move to snoozed, still count toward the cap, and come back on time', async () => {
      const ySocket = await t.connect(Y.token);
      const queueCounts = record<QueueCountPayload>(ySocket, 'queue.count');
      const base = await counts(X.token);
      expect(base).toMatchObject({ mine: 0, snoozed: 0, unassigned: 0, all: null });

      const A = await t.visitor();
      const aSocket = await t.connect(A.token);
      const aUpdates = record(aSocket, 'conversation.updated');
      const CA = await send(A.token, 'first');
      await eventually(() => expect(aUpdates.length).toBeGreaterThan(0));
      const heardAtStart = aUpdates.length;
      const B = await t.visitor();
      const CB = await send(B.token, 'second');
      expect(await counts(X.token)).toMatchObject({ mine: 2, snoozed: 0, unassigned: 0 });

      // X hides CA for an hour: it leaves mine for snoozed and still fills a place under the cap.
      const xSocket = await t.connect(X.token);
      const hidden = nextEvent<ConversationUpdatedPayload>(
        xSocket,
        'conversation.updated',
        (p) => p.conversation.id === CA,
      );
      const until = clock + hour;
      const snoozed = await t.request('POST', `/api/v1/conversations/${CA}/snooze`, {
        token: X.token,
        body: { until },
      });
      expect(snoozed.status, JSON.stringify(snoozed.body)).toBe(200);
      expect(snoozed.body.conversation).toMatchObject({
        state: 'active',
        agent: { id: X.id },
        snooze: { since: clock, until },
      });
      expect((await hidden).conversation).toMatchObject({ snooze: { until } });
      expect(await counts(X.token)).toMatchObject({ mine: 1, snoozed: 1 });
      expect(await list(X.token, 'view=mine')).toEqual([CB]);
      expect(await list(X.token, 'view=snoozed')).toEqual([CA]);

      // X is at the cap of 2: a third visitor waits in the queue, which every console user sees.
      const C = await t.visitor();
      const CC = await send(C.token, 'third');
      expect((await snoozedRow(CC)).state).toBe('queued');
      expect(await counts(Y.token)).toMatchObject({ mine: 0, unassigned: 1, all: null });
      expect(await counts(t.adminToken)).toMatchObject({ unassigned: 1, all: 3 });
      await eventually(() => expect(queueCounts.at(-1)).toEqual({ queued: 1 }));
      expect(await list(Y.token, 'view=unassigned')).toEqual([CC]);
      expect(await list(Y.token, 'state=queued')).toEqual([CC]);
      const peek = await t.request('GET', `/api/v1/conversations/${CC}`, { token: Y.token });
      expect(peek.status).toBe(200);
      expect(
        (await t.request('GET', '/api/v1/conversations?view=all', { token: Y.token })).status,
      ).toBe(403);
      expect(
        (await t.request('GET', '/api/v1/conversations?view=mine&state=active', { token: X.token }))
          .status,
      ).toBe(400);
      expect(await list(t.adminToken, 'view=all')).toEqual(expect.arrayContaining([CA, CB, CC]));

      // Its time comes: the background job brings it back, and X hears it.
      const back = nextEvent<ConversationUpdatedPayload>(
        xSocket,
        'conversation.updated',
        (p) => p.conversation.id === CA,
      );
      clock = until - 1;
      await t.app.jobs.runNow('snooze');
      expect((await snoozedRow(CA)).snoozed_at).not.toBeNull();
      clock = until + 1;
      await t.app.jobs.runNow('snooze');
      expect((await back).conversation).toMatchObject({ snooze: null });
      expect(await snoozedRow(CA)).toMatchObject({ snoozed_at: null, snoozed_until: null });
      expect(await counts(X.token)).toMatchObject({ mine: 2, snoozed: 0 });

      // Ending a conversation frees the place; the queue drains and its count follows.
      await t.request('POST', `/api/v1/conversations/${CB}/end`, { token: X.token });
      await eventually(() => expect(queueCounts.at(-1)).toEqual({ queued: 0 }));
      expect(await counts(X.token)).toMatchObject({ mine: 2, unassigned: 0 });

      // The visitor heard nothing of the snooze: their next update is the end.
      const visitorView = await t.request('GET', '/api/v1/visitor/conversations', {
        token: A.token,
      });
      expect(JSON.stringify(visitorView.body)).not.toContain('snooze');
      const ended = nextEvent(
        aSocket,
        'conversation.updated',
        (p) => p.conversation.state === 'ended',
      );
      await t.request('POST', `/api/v1/conversations/${CA}/end`, { token: X.token });
      await ended;
      expect(aUpdates).toHaveLength(heardAtStart + 1);
      await t.request('POST', `/api/v1/conversations/${CC}/end`, { token: X.token });
    });

    it('comes back when the visitor writes, in the append itself', async () => {
      const A = await t.visitor();
      const CA = await send(A.token, 'hello');
      const hide = await t.request('POST', `/api/v1/conversations/${CA}/snooze`, {
        token: X.token,
      });
      expect(hide.body.conversation.snooze).toEqual({ since: clock, until: null });
      // The timer job leaves one without a time alone.
      clock += 2 * hour;
      await t.app.jobs.runNow('snooze');
      expect((await snoozedRow(CA)).snoozed_at).not.toBeNull();

      const xSocket = await t.connect(X.token);
      const woke = nextEvent<ConversationUpdatedPayload>(
        xSocket,
        'conversation.updated',
        (p) => p.conversation.id === CA,
      );
      const created = nextEvent(xSocket, 'message.created', (p) => p.conversation.id === CA);
      await send(A.token, 'are you there?');
      expect((await created).conversation.snooze).toBeNull();
      expect((await woke).conversation).toMatchObject({ snooze: null, state: 'active' });
      const row = await t.app.ctx.db
        .selectFrom('conversations')
        .select(['snoozed_at', 'woken_seq', 'last_seq'])
        .where('id', '=', CA)
        .executeTakeFirstOrThrow();
      expect(row.snoozed_at).toBeNull();
      expect(row.woken_seq).toBe(row.last_seq);

      // A further message wakes nothing and sends no conversation.updated.
      const updates = record<ConversationUpdatedPayload>(xSocket, 'conversation.updated');
      const next = nextEvent(xSocket, 'message.created', (p) => p.conversation.id === CA);
      await send(A.token, 'hello again');
      await next;
      expect(updates).toEqual([]);
      await t.request('POST', `/api/v1/conversations/${CA}/end`, { token: X.token });
    });

    it('ending or transferring clears the snooze; unsnooze brings it back at once', async () => {
      const A = await t.visitor();
      const CA = await send(A.token, 'transfer me');
      await t.request('POST', `/api/v1/conversations/${CA}/snooze`, {
        token: X.token,
        body: { until: clock + hour },
      });
      await t.setStatus(Y.token, 'online');
      const moved = await t.request('POST', `/api/v1/conversations/${CA}/transfer`, {
        token: X.token,
        body: { agentId: Y.id },
      });
      expect(moved.status, JSON.stringify(moved.body)).toBe(200);
      expect(moved.body.conversation).toMatchObject({ agent: { id: Y.id }, snooze: null });
      expect(await snoozedRow(CA)).toMatchObject({ snoozed_at: null, snoozed_until: null });

      await t.request('POST', `/api/v1/conversations/${CA}/snooze`, { token: Y.token });
      const unsnoozed = await t.request('POST', `/api/v1/conversations/${CA}/unsnooze`, {
        token: Y.token,
      });
      expect(unsnoozed.body.conversation.snooze).toBeNull();
      await t.request('POST', `/api/v1/conversations/${CA}/snooze`, { token: Y.token });
      const ended = await t.request('POST', `/api/v1/conversations/${CA}/end`, { token: Y.token });
      expect(ended.body.conversation).toMatchObject({ state: 'ended', snooze: null });
      expect((await snoozedRow(CA)).snoozed_at).toBeNull();
      await t.setStatus(Y.token, 'offline');
    });

    it('refuses bad times, other agents, admins and ended conversations with clear errors', async () => {
      const A = await t.visitor();
      const CA = await send(A.token, 'refusals');
      const snooze = (token: string, body?: unknown, id = CA) =>
        t.request('POST', `/api/v1/conversations/${id}/snooze`, {
          token,
          ...(body === undefined ? {} : { body }),
        });
      for (const body of [
        { until: clock - 1 },
        { until: clock },
        { until: clock + 91 * 24 * hour },
        { until: 'tomorrow' },
        { until: 1.5 },
        { until: -5 },
        { later: true },
        [1],
      ]) {
        const answer = await snooze(X.token, body);
        expect(answer.status, JSON.stringify(body)).toBe(400);
        expect(answer.body.error.code).toBe('VALIDATION_FAILED');
      }
      expect((await snooze(Y.token, {})).status).toBe(403);
      expect((await snooze(t.adminToken, {})).status).toBe(403);
      expect((await snooze(A.token, {})).status).toBe(401);
      expect((await snooze(X.token, {}, 'no-such')).status).toBe(404);
      expect(
        (await t.request('POST', `/api/v1/conversations/${CA}/unsnooze`, { token: Y.token }))
          .status,
      ).toBe(403);
      await t.request('POST', `/api/v1/conversations/${CA}/end`, { token: X.token });
      const late = await snooze(X.token, {});
      expect(late.status).toBe(409);
      expect(late.body.error.code).toBe('CONVERSATION_ENDED');
      expect((await snoozedRow(CA)).snoozed_at).toBeNull();
    });
  });
});
