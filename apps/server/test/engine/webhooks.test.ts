import {
  AuditListResponse,
  WebhookDeliveryListResponse,
  WebhookDeliveryResponse,
  WebhookListResponse,
  WebhookResponse,
  type Webhook,
  type WebhookDelivery,
} from '@servicesystem/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { purgeWebhookDeliveries } from '../../src/domain/webhooks/deliverWebhooks.js';
import { startTestApp, type TestApp } from '../support/testApp.js';
import {
  eventually,
  startWebhookReceiver,
  verifySignature,
  type Received,
  type WebhookReceiver,
} from '../support/webhookReceiver.js';
import { bodyOf, errorOf, startWorld, text, type World } from '../support/world.js';

const allEvents = [
  'conversation.created',
  'conversation.assigned',
  'conversation.transferred',
  'conversation.ended',
  'message.created',
  'rating.created',
  'left_message.created',
];

/**
 * Webhooks: admins register endpoints; every event is written with the change it reports and
 * POSTed, signed, to a real local receiver; failures are retried on a (here shortened) schedule
 * until the event's window closes; "send again" and the test event work; internal notes go only
 * where asked for.
 */
describe('webhooks', () => {
  let w: World;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    w = await startWorld(
      { WEBHOOK_ALLOW_PRIVATE: '1' },
      {
        webhooks: {
          timeoutMs: 400,
          firstRetryMs: 100,
          maxRetryMs: 300,
          giveUpAfterMs: 4000,
          pollMs: 50,
        },
      },
    );
  });
  afterAll(async () => {
    await w?.close();
    await receiver?.close();
  });

  const create = async (body: Record<string, unknown>): Promise<Webhook> => {
    const answer = await w.request('POST', '/api/v1/webhooks', { token: w.adminToken, body });
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    return bodyOf(answer, WebhookResponse).webhook;
  };
  const deliveries = async (id: string, query = ''): Promise<WebhookDelivery[]> => {
    const answer = await w.request('GET', `/api/v1/webhooks/${id}/deliveries${query}`, {
      token: w.adminToken,
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return bodyOf(answer, WebhookDeliveryListResponse).deliveries;
  };
  /** Waits for the receiver to hold what the event-table holds for `webhook` and answers it. */
  const settled = (webhook: Webhook) =>
    eventually(async () => {
      const rows = await deliveries(webhook.id, '?limit=100');
      return rows.length > 0 && rows.every((d) => d.state !== 'pending') && rows;
    }, `deliveries of ${webhook.url}`);

  it('registers, reads, changes, rotates and deletes endpoints, each in the audit log', async () => {
    const made = await create({
      url: `${receiver.url}/crud`,
      description: 'CRM',
      events: ['message.created', 'message.created', 'conversation.ended'],
    });
    expect(made).toMatchObject({
      url: `${receiver.url}/crud`,
      description: 'CRM',
      events: ['message.created', 'conversation.ended'],
      includeNotes: false,
      enabled: true,
      lastDelivery: null,
    });
    expect(made.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const given = await create({
      url: `${receiver.url}/given`,
      events: ['rating.created'],
      secret: 'a-given-secret-of-24-chr',
      enabled: false,
    });
    expect([given.secret, given.enabled]).toEqual(['a-given-secret-of-24-chr', false]);

    const list = bodyOf(
      await w.request('GET', '/api/v1/webhooks', { token: w.adminToken }),
      WebhookListResponse,
    ).webhooks;
    expect(list.map((h) => h.id)).toEqual(expect.arrayContaining([made.id, given.id]));
    const one = await w.request('GET', `/api/v1/webhooks/${made.id}`, { token: w.adminToken });
    expect(bodyOf(one, WebhookResponse).webhook.secret).toBe(made.secret);

    const patched = await w.request('PATCH', `/api/v1/webhooks/${made.id}`, {
      token: w.adminToken,
      body: { events: ['conversation.created'], includeNotes: true, enabled: false },
    });
    expect(bodyOf(patched, WebhookResponse).webhook).toMatchObject({
      events: ['conversation.created'],
      includeNotes: true,
      enabled: false,
    });
    const rotated = await w.request('POST', `/api/v1/webhooks/${made.id}/rotate-secret`, {
      token: w.adminToken,
    });
    const newSecret = bodyOf(rotated, WebhookResponse).webhook.secret;
    expect(newSecret).not.toBe(made.secret);
    expect(newSecret).toMatch(/^whsec_/);

    for (const id of [made.id, given.id]) {
      const gone = await w.request('DELETE', `/api/v1/webhooks/${id}`, { token: w.adminToken });
      expect(gone.status).toBe(204);
      const after = await w.request('GET', `/api/v1/webhooks/${id}`, { token: w.adminToken });
      expect([after.status, errorOf(after).code]).toEqual([404, 'NOT_FOUND']);
    }

    const audit = bodyOf(
      await w.request('GET', `/api/v1/audit?targetId=${made.id}`, { token: w.adminToken }),
      AuditListResponse,
    ).entries;
    expect(audit.map((e) => e.action)).toEqual([
      'webhook.delete',
      'webhook.rotateSecret',
      'webhook.update',
      'webhook.create',
    ]);
    const logged = JSON.stringify(audit);
    expect(logged).not.toContain(made.secret);
    expect(logged).not.toContain(newSecret);
    expect(audit.find((e) => e.action === 'webhook.rotateSecret')!.changes).toEqual([
      { field: 'secret' },
    ]);
  });

  it('refuses bad endpoints with 400 and a JSON error', async () => {
    const long = `${receiver.url}/${'a'.repeat(2100)}`;
    const bad: Record<string, unknown>[] = [
      { url: 'ftp://example.com/hook', events: ['message.created'] },
      { url: 'not a url', events: ['message.created'] },
      { url: 'https://user:pw@example.com/', events: ['message.created'] },
      { url: long, events: ['message.created'] },
      { url: `${receiver.url}/x`, events: [] },
      { url: `${receiver.url}/x`, events: ['message.deleted'] },
      { url: `${receiver.url}/x`, events: ['ping'] },
      { url: `${receiver.url}/x`, events: ['message.created'], secret: 'too-short' },
      { url: `${receiver.url}/x`, events: ['message.created'], secret: 'x'.repeat(257) },
      { url: `${receiver.url}/x`, events: ['message.created'], secret: 'x'.repeat(100_000) },
      { url: `${receiver.url}/x`, events: ['message.created'], includeNotes: 'yes' },
      { url: `${receiver.url}/x`, events: ['message.created'], surprise: 1 },
      { events: ['message.created'] },
    ];
    for (const body of bad) {
      const answer = await w.request('POST', '/api/v1/webhooks', { token: w.adminToken, body });
      expect(answer.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(errorOf(answer).code).toBe('VALIDATION_FAILED');
    }
    const patch = await w.request('PATCH', '/api/v1/webhooks/no-such-hook', {
      token: w.adminToken,
      body: { enabled: true },
    });
    expect([patch.status, errorOf(patch).code]).toEqual([404, 'NOT_FOUND']);
    const badQuery = await w.request('GET', '/api/v1/webhooks/x/deliveries?state=lost', {
      token: w.adminToken,
    });
    expect(badQuery.status).toBe(400);
  });

  it('is for administrators only', async () => {
    const agent = await w.agent();
    const visitor = await w.visitor();
    for (const token of [agent.token, visitor.token, undefined]) {
      const list = await w.request('GET', '/api/v1/webhooks', token ? { token } : {});
      expect([401, 403]).toContain(list.status);
      const made = await w.request('POST', '/api/v1/webhooks', {
        ...(token ? { token } : {}),
        body: { url: `${receiver.url}/no`, events: ['message.created'] },
      });
      expect([401, 403]).toContain(made.status);
    }
    const agentList = await w.request('GET', '/api/v1/webhooks', { token: agent.token });
    expect(errorOf(agentList).code).toBe('FORBIDDEN');
  });

  it('sends every event type, signed, with one event id for every endpoint; notes only where asked', async () => {
    const everything = await create({
      url: `${receiver.url}/all`,
      events: allEvents,
      includeNotes: true,
    });
    const noNotes = await create({ url: `${receiver.url}/plain`, events: allEvents });

    const served = await w.servedConversation({ agentName: 'Hook Hana', body: 'Hi hooks' });
    await w.reply(served.agentSocket, served.id, 'Hello from Hana');
    const note = await w.request('POST', `/api/v1/conversations/${served.id}/notes`, {
      token: served.agent.token,
      body: { clientNoteId: 'note-1', body: 'VIP customer' },
    });
    expect(note.status, JSON.stringify(note.body)).toBe(201);
    const other = await w.agent({ displayName: 'Other Otto', status: 'online' });
    const moved = await w.request('POST', `/api/v1/conversations/${served.id}/transfer`, {
      token: served.agent.token,
      body: { agentId: other.id },
    });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    const ended = await w.request('POST', `/api/v1/conversations/${served.id}/end`, {
      token: other.token,
    });
    expect(ended.status, JSON.stringify(ended.body)).toBe(200);
    const rated = await w.request('POST', `/api/v1/conversations/${served.id}/rating`, {
      token: served.visitor.token,
      body: { score: 5, comment: 'great' },
    });
    expect(rated.status, JSON.stringify(rated.body)).toBe(201);
    const leaver = await w.visitor();
    const left = await w.request('POST', '/api/v1/visitor/leave-message', {
      token: leaver.token,
      body: { name: 'Lea Ver', email: 'lea@example.com', message: 'Call me back' },
    });
    expect(left.status, JSON.stringify(left.body)).toBe(201);

    await settled(everything);
    await settled(noNotes);
    const all = receiver.on('/all');
    const plain = receiver.on('/plain');
    for (const r of [...all, ...plain]) {
      const secret = r.path === '/all' ? everything.secret : noNotes.secret;
      expect(verifySignature(secret, r.signature, r.body), r.signature).toBe(true);
      expect(verifySignature('whsec_wrong', r.signature, r.body)).toBe(false);
      expect([r.eventId, r.eventType]).toEqual([r.json.id, r.json.type]);
    }
    const ofConversation = (list: Received[], id: string) =>
      list.filter((r) => (r.json.data.conversation as { id: string } | undefined)?.id === id);
    const types = (list: Received[]) => list.map((r) => r.json.type);
    const servedAll = ofConversation(all, served.id);
    expect(new Set(types(servedAll))).toEqual(
      new Set([
        'conversation.created',
        'conversation.assigned',
        'conversation.transferred',
        'conversation.ended',
        'message.created',
        'rating.created',
      ]),
    );
    // Messages: the welcome, the visitor's, "assigned", the agent's, the note, "transferred",
    // "ended"; the visitor's and agent's as the REST API shows them.
    const messages = servedAll.filter((r) => r.json.type === 'message.created');
    const visitorMessage = messages.find((r) => r.json.data.message?.sender?.type === 'visitor');
    expect(visitorMessage!.json.data.message).toMatchObject({
      body: 'Hi hooks',
      conversationId: served.id,
    });
    expect(
      messages.find((r) => r.json.data.message?.sender?.type === 'agent')!.json.data.message.body,
    ).toBe('Hello from Hana');
    const notes = messages.filter((r) => r.json.data.internal === true);
    expect(notes.map((r) => r.json.data.note.body)).toEqual(['VIP customer']);
    expect(ofConversation(plain, served.id).some((r) => r.json.data.internal)).toBe(false);
    expect(JSON.stringify(plain)).not.toContain('VIP customer');
    // One id per event, the same for both endpoints.
    const plainIds = new Set(plain.map((r) => r.json.id));
    for (const r of servedAll) {
      if (!r.json.data.internal) expect(plainIds.has(r.json.id)).toBe(true);
    }
    expect(new Set(all.map((r) => r.json.id)).size).toBe(all.length);
    const rating = servedAll.find((r) => r.json.type === 'rating.created')!;
    expect(rating.json.data.rating).toMatchObject({ score: 5, comment: 'great' });
    const ended2 = servedAll.find((r) => r.json.type === 'conversation.ended')!;
    expect(ended2.json.data.conversation.state).toBe('ended');
    const leftId = (left.body as { conversation: { id: string } }).conversation.id;
    const leftEvents = ofConversation(all, leftId);
    expect(types(leftEvents)).toEqual(
      expect.arrayContaining(['conversation.created', 'left_message.created', 'message.created']),
    );
    const leftEvent = leftEvents.find((r) => r.json.type === 'left_message.created')!;
    expect(leftEvent.json.data.conversation.leftMessage).toMatchObject({
      name: 'Lea Ver',
      email: 'lea@example.com',
    });
    expect(leftEvent.json.data.message.body).toBe('Call me back');

    // The list shows each endpoint's newest delivery.
    const listed = bodyOf(
      await w.request('GET', '/api/v1/webhooks', { token: w.adminToken }),
      WebhookListResponse,
    ).webhooks.find((h) => h.id === everything.id)!;
    expect(listed.lastDelivery).toMatchObject({ state: 'delivered', responseCode: 200 });
    // Paging: newest first, by cursor, and by state.
    const first = await deliveries(everything.id, '?limit=2');
    const next = await deliveries(everything.id, `?limit=2&before=${first[1]!.id}`);
    expect(first[0]!.createdAt).toBeGreaterThanOrEqual(next[0]!.createdAt);
    expect(next.map((d) => d.id)).not.toContain(first[0]!.id);
    expect(await deliveries(everything.id, '?state=failed')).toEqual([]);

    await w.setStatus(other.token, 'away');
    for (const hook of [everything, noNotes]) {
      await w.request('DELETE', `/api/v1/webhooks/${hook.id}`, { token: w.adminToken });
    }
  });

  it('retries a 500, a hang past the timeout and a dropped connection; never follows a redirect; fails after the window; sends again', async () => {
    receiver.answer('/500', 500);
    receiver.answer('/hang', 'hang');
    receiver.answer('/close', 'close');
    receiver.answer('/redirect', 'redirect');
    const hooks = await Promise.all(
      ['/500', '/hang', '/close', '/redirect'].map((path) =>
        create({ url: `${receiver.url}${path}`, events: ['conversation.created'] }),
      ),
    );
    const visitor = await w.visitor();
    await w.startConversation(visitor.token, 'Retry me');

    // Each is tried again and again with the same event id, then marked failed (4 s window).
    for (const hook of hooks) {
      const [delivery] = await eventually(async () => {
        const rows = await deliveries(hook.id);
        return rows[0]?.state === 'failed' && rows;
      }, `${hook.url} failed`);
      expect(delivery!.attempts).toBeGreaterThanOrEqual(2);
      expect(delivery!.nextAttemptAt).toBeNull();
      const path = new URL(hook.url).pathname;
      const got = receiver.on(path);
      expect(got.length).toBeGreaterThanOrEqual(2);
      expect(new Set(got.map((r) => r.eventId))).toEqual(new Set([delivery!.eventId]));
      if (path === '/500')
        expect([delivery!.responseCode, delivery!.error]).toEqual([500, 'HTTP 500']);
      if (path === '/hang') expect(delivery!.error).toMatch(/timed out/);
      if (path === '/close') expect(delivery!.responseCode).toBeNull();
      if (path === '/redirect') {
        expect(delivery!.responseCode).toBe(302);
        expect(delivery!.error).toMatch(/redirect/);
      }
    }
    expect(receiver.on('/redirected')).toEqual([]);

    // Send again, now that the receiver answers: one more attempt, delivered.
    receiver.answer('/500', 204);
    const [failed] = await deliveries(hooks[0]!.id);
    const again = await w.request(
      'POST',
      `/api/v1/webhooks/${hooks[0]!.id}/deliveries/${failed!.id}/retry`,
      { token: w.adminToken },
    );
    expect(again.status, JSON.stringify(again.body)).toBe(202);
    expect(bodyOf(again, WebhookDeliveryResponse).delivery.state).toBe('pending');
    const delivered = await eventually(async () => {
      const [row] = await deliveries(hooks[0]!.id);
      return row?.state === 'delivered' && row;
    }, 'the delivery sent again');
    expect([delivered.responseCode, delivered.attempts]).toEqual([204, failed!.attempts + 1]);
    expect(delivered.eventId).toBe(failed!.eventId);
    const missing = await w.request(
      'POST',
      `/api/v1/webhooks/${hooks[1]!.id}/deliveries/${failed!.id}/retry`,
      { token: w.adminToken },
    );
    expect(missing.status).toBe(404);
    for (const hook of hooks) {
      await w.request('DELETE', `/api/v1/webhooks/${hook.id}`, { token: w.adminToken });
    }
  });

  it('reports an assignment made inside another action: an agent coming online drains the queue', async () => {
    const hook = await create({ url: `${receiver.url}/drain`, events: ['conversation.assigned'] });
    // Nobody online: the conversation waits.
    const late = await w.agent({ displayName: 'Late Lou' });
    const earlier = await w.soleAgent();
    await w.setStatus(earlier.token, 'away');
    const visitor = await w.visitor();
    const id = await w.startConversation(visitor.token, 'Anyone?');
    expect((await w.conversation(id)).state).toBe('queued');
    await w.setStatus(late.token, 'online');
    const got = await eventually(
      () => receiver.on('/drain').find((r) => r.json.data.conversation.id === id),
      'the assignment',
    );
    expect(got.json.data.conversation).toMatchObject({ state: 'active', agent: { id: late.id } });
    await w.setStatus(late.token, 'away');
    await w.request('DELETE', `/api/v1/webhooks/${hook.id}`, { token: w.adminToken });
  });

  it("drops an erased visitor's deliveries and reports nothing more about them", async () => {
    const hook = await create({ url: `${receiver.url}/erase`, events: allEvents });
    await w.agent({ displayName: 'Erin Erase', status: 'online' });
    const visitor = await w.visitor();
    const id = await w.startConversation(visitor.token, 'Please forget me afterwards');
    await eventually(
      () => receiver.on('/erase').some((r) => r.json.data.conversation?.id === id),
      'the conversation reported',
    );
    const db = w.app.app.ctx.db;
    const rowsOf = () =>
      db.selectFrom('webhook_deliveries').select('id').where('conversation_id', '=', id).execute();
    expect((await rowsOf()).length).toBeGreaterThan(0);
    // The receiver stops answering: what waits for it must go with the erase too.
    await w.request('PATCH', `/api/v1/webhooks/${hook.id}`, {
      token: w.adminToken,
      body: { url: `${receiver.url}/erase-500` },
    });
    receiver.answer('/erase-500', 500);
    const more = await w.request('POST', '/api/v1/visitor/messages', {
      token: visitor.token,
      body: text('one more thing'),
    });
    expect(more.status).toBe(201);
    const erased = await w.request('POST', `/api/v1/visitors/${visitor.id}/erase`, {
      token: w.adminToken,
      body: { confirm: visitor.id },
    });
    expect(erased.status, JSON.stringify(erased.body)).toBe(200);
    expect((await w.conversation(id)).state).toBe('ended');
    // Neither the log nor the waiting deliveries keep the conversation, and its end (made by the
    // erase) was never recorded.
    expect(await rowsOf()).toEqual([]);
    await w.request('DELETE', `/api/v1/webhooks/${hook.id}`, { token: w.adminToken });
  });

  it('sends a test ping to an enabled endpoint', async () => {
    const hook = await create({ url: `${receiver.url}/ping`, events: ['rating.created'] });
    const sent = await w.request('POST', `/api/v1/webhooks/${hook.id}/test`, {
      token: w.adminToken,
    });
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    const got = await eventually(() => receiver.on('/ping')[0], 'the ping');
    expect(got.json).toMatchObject({ type: 'ping', data: { webhookId: hook.id } });
    expect(verifySignature(hook.secret, got.signature, got.body)).toBe(true);
    await w.request('PATCH', `/api/v1/webhooks/${hook.id}`, {
      token: w.adminToken,
      body: { enabled: false },
    });
    const off = await w.request('POST', `/api/v1/webhooks/${hook.id}/test`, {
      token: w.adminToken,
    });
    expect([off.status, errorOf(off).code]).toEqual([409, 'INVALID_STATE']);
  });

  it('deletes deliveries finished more than 30 days ago, and only those', async () => {
    const hook = await create({ url: `${receiver.url}/old`, events: ['rating.created'] });
    const ctx = w.app.app.ctx;
    const day = 24 * 60 * 60 * 1000;
    const row = (
      id: string,
      state: 'pending' | 'delivered' | 'failed',
      finishedAgo: number | null,
    ) => ({
      id,
      webhook_id: hook.id,
      event_id: `event-${id}`,
      event_type: 'rating.created',
      payload: '{}',
      state,
      attempts: 1,
      next_attempt_at: ctx.now() + day,
      claimed_until: 0,
      last_attempt_at: null,
      last_duration_ms: null,
      last_status: null,
      last_error: null,
      created_at: ctx.now() - 40 * day,
      finished_at: finishedAgo === null ? null : ctx.now() - finishedAgo,
    });
    await ctx.transaction((trx) =>
      trx
        .insertInto('webhook_deliveries')
        .values([
          row('old-delivered', 'delivered', 31 * day),
          row('old-failed', 'failed', 31 * day),
          row('recent', 'delivered', 29 * day),
          row('waiting', 'pending', null),
        ])
        .execute(),
    );
    expect(await purgeWebhookDeliveries(ctx)).toBe(false);
    const left = await ctx.db
      .selectFrom('webhook_deliveries')
      .select('id')
      .where('webhook_id', '=', hook.id)
      .orderBy('id')
      .execute();
    expect(left.map((r) => r.id)).toEqual(['recent', 'waiting']);
    await w.request('DELETE', `/api/v1/webhooks/${hook.id}`, { token: w.adminToken });
  });

  it('writes nothing for a message while no endpoint wants messages', async () => {
    const hook = await create({
      url: `${receiver.url}/ended-only`,
      events: ['conversation.ended'],
    });
    const served = await w.servedConversation();
    await w.reply(served.agentSocket, served.id, 'no event for this');
    const answer = await w.request('POST', '/api/v1/visitor/messages', {
      token: served.visitor.token,
      body: text('nor this'),
    });
    expect(answer.status).toBe(201);
    const rows = await w.app.app.ctx.db
      .selectFrom('webhook_deliveries')
      .select('event_type')
      .where('webhook_id', '=', hook.id)
      .execute();
    expect(rows).toEqual([]);
    await w.request('DELETE', `/api/v1/webhooks/${hook.id}`, { token: w.adminToken });
  });
});

describe('webhook addresses without WEBHOOK_ALLOW_PRIVATE', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('refuses private, loopback, link-local and other internal addresses', async () => {
    const internal = [
      'http://127.0.0.1:8080/hook',
      'http://localhost/hook',
      'http://api.localhost/hook',
      'http://10.1.2.3/hook',
      'http://172.16.0.1/hook',
      'http://192.168.1.1/hook',
      'http://169.254.169.254/latest/meta-data',
      'http://100.64.0.1/hook',
      'http://0.0.0.0/hook',
      'http://224.0.0.1/hook',
      'http://[::1]/hook',
      'http://[::]/hook',
      'http://[fd00::1]/hook',
      'http://[fe80::1]/hook',
      'http://[::ffff:127.0.0.1]/hook',
      'http://[::ffff:a9fe:a9fe]/hook',
      'http://2130706433/hook',
      'http://0x7f.1/hook',
    ];
    for (const url of internal) {
      const answer = await t.request('POST', '/api/v1/webhooks', {
        token: t.adminToken,
        body: { url, events: ['message.created'] },
      });
      expect(answer.status, url).toBe(400);
      expect(errorOf(answer).code, url).toBe('WEBHOOK_URL_REFUSED');
    }
    const public_ = await t.request('POST', '/api/v1/webhooks', {
      token: t.adminToken,
      body: { url: 'https://93.184.215.14/hook', events: ['message.created'] },
    });
    expect(public_.status, JSON.stringify(public_.body)).toBe(201);
    const id = (public_.body as { webhook: { id: string } }).webhook.id;
    const moved = await t.request('PATCH', `/api/v1/webhooks/${id}`, {
      token: t.adminToken,
      body: { url: 'http://127.0.0.1/' },
    });
    expect([moved.status, errorOf(moved).code]).toEqual([400, 'WEBHOOK_URL_REFUSED']);
  });
});
