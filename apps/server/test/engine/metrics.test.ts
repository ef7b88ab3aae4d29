import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientEvent } from '@servicesystem/protocol';
import { startTestApp, type TestApp } from '../support/testApp.js';
import { startLiveApp, type LiveApp } from '../support/liveApp.js';
import { freePort } from '../support/processes.js';
import { parseExposition, sampleKey, type Exposition } from '../support/prometheusText.js';
import { testEngine } from '../support/testDatabase.js';
import { send, sendOk, startWorld, text, type World } from '../support/world.js';
import { eventually, startWebhookReceiver } from '../support/webhookReceiver.js';

const token = 'metrics-token-0123456789abcdef';

/** Prometheus text at `/metrics`: who may read it, and that what it says is what happened. */
describe('metrics behind METRICS_TOKEN on the main port', () => {
  let w: World;
  // The clock the database counts' cache ages by: moved on to read them afresh.
  let offset = 0;
  beforeAll(async () => {
    w = await startWorld(
      { METRICS_TOKEN: token, MEDIA_CONCURRENCY: '1', WEBHOOK_ALLOW_PRIVATE: '1' },
      { now: () => Date.now() + offset },
    );
  });
  afterAll(async () => {
    await w?.close();
  });

  /** A scrape over real HTTP with the token, checked line by line. */
  async function scrape(): Promise<Exposition> {
    const answer = await fetch(`${w.app.url}/metrics`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    return parseExposition(await answer.text());
  }
  const value = (e: Exposition, name: string, labels: Record<string, string> = {}) =>
    e.samples.get(sampleKey(name, labels)) ?? 0;

  it('answers 401 without the token or with a wrong one, in the error shape', async () => {
    for (const authorization of [
      undefined,
      `Bearer ${token}x`,
      `Bearer ${token.slice(1)}`,
      'Bearer ',
      `Basic ${token}`,
      token,
    ]) {
      const answer = await fetch(`${w.app.url}/metrics`, {
        headers: authorization === undefined ? {} : { authorization },
      });
      expect(answer.status, authorization).toBe(401);
      expect(answer.headers.get('www-authenticate')).toBe('Bearer');
      const body = (await answer.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('UNAUTHENTICATED');
      expect(body.error.message).not.toContain(token);
    }
    // A visitor's or an admin's own token is not the metrics token.
    const visitor = await w.visitor();
    for (const other of [visitor.token, w.adminToken]) {
      expect((await w.request('GET', '/metrics', { token: other })).status).toBe(401);
    }
  });

  it('is valid exposition text, every name prefixed, with the runtime and webhook families', async () => {
    const e = await scrape();
    const names = [...e.families.keys()];
    expect(names.filter((name) => !name.startsWith('servicesystem_'))).toEqual([]);
    for (const family of [
      'servicesystem_http_requests_total',
      'servicesystem_http_request_duration_seconds',
      'servicesystem_socket_events_total',
      'servicesystem_socket_event_duration_seconds',
      'servicesystem_socket_connections',
      'servicesystem_messages_sent_total',
      'servicesystem_conversations',
      'servicesystem_queue_length',
      'servicesystem_agents',
      'servicesystem_media_jobs',
      'servicesystem_db_statement_duration_seconds',
      'servicesystem_webhook_deliveries_total',
      'servicesystem_webhook_delivery_duration_seconds',
      'servicesystem_nodejs_eventloop_lag_p99_seconds',
    ]) {
      expect(e.families.has(family), family).toBe(true);
    }
    expect(e.families.get('servicesystem_http_request_duration_seconds')?.type).toBe('histogram');
    expect(e.families.get('servicesystem_conversations')?.type).toBe('gauge');
    // Group commits exist on SQLite only.
    expect(e.families.has('servicesystem_sqlite_group_commit_size')).toBe(testEngine === 'sqlite');
  });

  it('counts messages by type and sender, socket events and HTTP routes as they happen', async () => {
    const before = await scrape();
    const served = await w.servedConversation({ body: 'first' });
    const id = served.id;
    // Over Socket.IO: two agent replies and one visitor message; one send with a bad payload.
    await sendOk(served.agentSocket, { conversationId: id, ...text('a1') });
    await sendOk(served.agentSocket, { conversationId: id, ...text('a2') });
    await sendOk(served.visitorSocket, text('v1'));
    const invalid = await send(served.agentSocket, { conversationId: id } as never);
    expect(invalid.ok).toBe(false);
    // Over REST: one agent message (the visitor's first came over REST in servedConversation).
    const rest = await w.request('POST', `/api/v1/conversations/${id}/messages`, {
      token: served.agent.token,
      body: text('a3'),
    });
    expect(rest.status).toBe(201);
    const missing = await fetch(`${w.app.url}/no/such/page-${id}`);
    expect(missing.status).toBe(404);

    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) =>
      value(after, name, labels) - value(before, name, labels);

    expect(delta('servicesystem_messages_sent_total', { type: 'text', sender: 'agent' })).toBe(3);
    expect(delta('servicesystem_messages_sent_total', { type: 'text', sender: 'visitor' })).toBe(2);
    // Every message the database holds was counted once, by its type and sender.
    const stored = await w.app.app.ctx.db
      .selectFrom('messages')
      .select((eb) => ['type', 'sender_type', eb.fn.countAll<number>().as('count')])
      .groupBy(['type', 'sender_type'])
      .execute();
    expect(stored.length).toBeGreaterThan(1);
    for (const row of stored) {
      expect(
        value(after, 'servicesystem_messages_sent_total', {
          type: row.type,
          sender: row.sender_type,
        }),
        `${row.type} ${row.sender_type}`,
      ).toBe(Number(row.count));
    }

    const send1 = { event: ClientEvent.SendMessage };
    expect(delta('servicesystem_socket_events_total', { ...send1, result: 'ok' })).toBe(3);
    expect(delta('servicesystem_socket_events_total', { ...send1, result: 'invalid' })).toBe(1);
    expect(delta('servicesystem_socket_event_duration_seconds_count', send1)).toBe(4);

    const route = {
      method: 'POST',
      route: '/api/v1/conversations/:id/messages',
      status_class: '2xx',
    };
    expect(delta('servicesystem_http_requests_total', route)).toBe(1);
    expect(delta('servicesystem_http_request_duration_seconds_count', route)).toBe(1);
    expect(
      delta('servicesystem_http_requests_total', {
        method: 'GET',
        route: 'unmatched',
        status_class: '4xx',
      }),
    ).toBe(1);
    // Label values are route patterns: no conversation id appears anywhere in the text.
    expect([...after.samples.keys()].filter((key) => key.includes(id))).toEqual([]);

    // This world's two sockets: the agent's and the visitor's.
    expect(value(after, 'servicesystem_socket_connections', { role: 'agent' })).toBe(1);
    expect(value(after, 'servicesystem_socket_connections', { role: 'visitor' })).toBe(1);
    expect(value(after, 'servicesystem_socket_connections', { role: 'admin' })).toBe(0);

    expect(
      delta('servicesystem_db_statement_duration_seconds_count', {
        engine: testEngine,
        path: 'kysely',
      }),
    ).toBeGreaterThan(0);
    if (testEngine === 'sqlite') {
      // A send's hot statements run straight on the connection inside the group commit.
      expect(
        delta('servicesystem_db_statement_duration_seconds_count', {
          engine: 'sqlite',
          path: 'direct',
        }),
      ).toBeGreaterThan(0);
      expect(delta('servicesystem_sqlite_group_commit_size_count')).toBeGreaterThan(0);
    }
    expect(value(after, 'servicesystem_media_jobs', { state: 'running' })).toBe(0);
    expect(value(after, 'servicesystem_media_jobs', { state: 'queued' })).toBe(0);
  });

  it('gives conversations by state, the queue and agents by status as the database holds them', async () => {
    // One conversation waits: its would-be agent is away.
    const away = await w.soleAgent();
    await w.setStatus(away.token, 'away');
    const waiting = await w.visitor();
    await w.startConversation(waiting.token, 'anyone?');

    offset += 60_000;
    const e = await scrape();
    const db = w.app.app.ctx.db;
    const conversations = await db
      .selectFrom('conversations')
      .select((eb) => ['state', eb.fn.countAll<number>().as('count')])
      .groupBy('state')
      .execute();
    const held = (state: string) =>
      Number(conversations.find((row) => row.state === state)?.count ?? 0);
    expect(held('queued')).toBeGreaterThanOrEqual(1);
    expect(held('active')).toBeGreaterThanOrEqual(1);
    for (const state of ['queued', 'active']) {
      expect(value(e, 'servicesystem_conversations', { state }), state).toBe(held(state));
    }
    expect(value(e, 'servicesystem_queue_length')).toBe(held('queued'));

    const agents = await db
      .selectFrom('accounts')
      .select((eb) => ['status', eb.fn.countAll<number>().as('count')])
      .where('role', '=', 'agent')
      .where('disabled_at', 'is', null)
      .groupBy('status')
      .execute();
    for (const status of ['online', 'away', 'offline']) {
      const count = Number(agents.find((row) => row.status === status)?.count ?? 0);
      expect(value(e, 'servicesystem_agents', { status }), status).toBe(count);
    }
    expect(value(e, 'servicesystem_agents', { status: 'away' })).toBeGreaterThanOrEqual(2);
    expect(value(e, 'servicesystem_agents', { status: 'offline' })).toBeGreaterThanOrEqual(1);
  });

  it('shows the media jobs running and waiting for a slot on this node', async () => {
    // One slot (MEDIA_CONCURRENCY=1): a job that holds it and one that waits its turn.
    const slots = w.app.app.ctx.media.slots;
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const first = slots.run(() => held);
    const second = slots.run(() => Promise.resolve());
    const busy = await scrape();
    expect(value(busy, 'servicesystem_media_jobs', { state: 'running' })).toBe(1);
    expect(value(busy, 'servicesystem_media_jobs', { state: 'queued' })).toBe(1);
    release();
    await Promise.all([first, second]);
    const idle = await scrape();
    expect(value(idle, 'servicesystem_media_jobs', { state: 'running' })).toBe(0);
    expect(value(idle, 'servicesystem_media_jobs', { state: 'queued' })).toBe(0);
  });

  it("counts the webhook worker's real deliveries: one delivered, one to retry", async () => {
    const receiver = await startWebhookReceiver();
    try {
      receiver.answer('/bad', 500);
      const before = await scrape();
      const hooks: string[] = [];
      for (const path of ['/ok', '/bad']) {
        const made = await w.request('POST', '/api/v1/webhooks', {
          token: w.adminToken,
          body: { url: `${receiver.url}${path}`, events: ['rating.created'] },
        });
        expect(made.status, JSON.stringify(made.body)).toBe(201);
        const id = (made.body as { webhook: { id: string } }).webhook.id;
        hooks.push(id);
        const ping = await w.request('POST', `/api/v1/webhooks/${id}/test`, {
          token: w.adminToken,
        });
        expect(ping.status).toBe(202);
      }
      await eventually(
        () => receiver.on('/ok').length === 1 && receiver.on('/bad').length >= 1,
        'both pings',
      );
      const counted = await eventually(async () => {
        const after = await scrape();
        const delta = (result: string) =>
          value(after, 'servicesystem_webhook_deliveries_total', { result }) -
          value(before, 'servicesystem_webhook_deliveries_total', { result });
        return delta('delivered') === 1 && delta('retry') >= 1 && after;
      }, 'the deliveries counted');
      expect(
        value(counted, 'servicesystem_webhook_delivery_duration_seconds_count', {
          result: 'delivered',
        }) -
          value(before, 'servicesystem_webhook_delivery_duration_seconds_count', {
            result: 'delivered',
          }),
      ).toBe(1);
      for (const id of hooks) {
        await w.request('DELETE', `/api/v1/webhooks/${id}`, { token: w.adminToken });
      }
    } finally {
      await receiver.close();
    }
  });

  it('counts webhook deliveries through its hook, by result, with their time', async () => {
    const metrics = w.app.app.metrics!;
    const before = await scrape();
    metrics.webhookDelivery('delivered', 120);
    metrics.webhookDelivery('retry', 5000);
    metrics.webhookDelivery('failed', 30_000);
    metrics.webhookDelivery('delivered', 80);
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) =>
      value(after, name, labels) - value(before, name, labels);
    expect(delta('servicesystem_webhook_deliveries_total', { result: 'delivered' })).toBe(2);
    expect(delta('servicesystem_webhook_deliveries_total', { result: 'retry' })).toBe(1);
    expect(delta('servicesystem_webhook_deliveries_total', { result: 'failed' })).toBe(1);
    expect(
      delta('servicesystem_webhook_delivery_duration_seconds_sum', { result: 'delivered' }),
    ).toBeCloseTo(0.2, 6);
    expect(
      delta('servicesystem_webhook_delivery_duration_seconds_bucket', {
        result: 'failed',
        le: '10',
      }),
    ).toBe(0);
    expect(
      delta('servicesystem_webhook_delivery_duration_seconds_bucket', {
        result: 'failed',
        le: '30',
      }),
    ).toBe(1);
  });
});

describe('metrics on METRICS_PORT', () => {
  let app: LiveApp;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    app = await startLiveApp({ METRICS_PORT: String(port), HOST: '127.0.0.1' });
    expect(await app.app.metricsServer!.listen()).toBe(port);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('serves metrics on its own port without a token, and not on the main port', async () => {
    const answer = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(answer.status).toBe(200);
    const e = parseExposition(await answer.text());
    expect(e.families.has('servicesystem_messages_sent_total')).toBe(true);

    const main = await fetch(`${app.url}/metrics`);
    expect(main.status).toBe(404);
    const withToken = await fetch(`${app.url}/metrics`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(withToken.status).toBe(404);
    // Nothing else is served on the metrics port.
    for (const path of ['/', '/healthz', '/api/v1/me', '/metrics/x']) {
      const other = await fetch(`http://127.0.0.1:${port}${path}`);
      expect(other.status, path).toBe(404);
      expect(((await other.json()) as { error: { code: string } }).error.code).toBe(
        'ROUTE_NOT_FOUND',
      );
    }
    const post = await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'POST' });
    expect(post.status).toBe(404);
  });

  it('asks for the token on its own port too when METRICS_TOKEN is also set', async () => {
    const both = await startTestApp({
      METRICS_PORT: String(await freePort()),
      METRICS_TOKEN: token,
      HOST: '127.0.0.1',
    });
    try {
      const bothPort = await both.app.metricsServer!.listen();
      const refused = await fetch(`http://127.0.0.1:${bothPort}/metrics`);
      expect(refused.status).toBe(401);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
        'UNAUTHENTICATED',
      );
      const allowed = await fetch(`http://127.0.0.1:${bothPort}/metrics`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(allowed.status).toBe(200);
      parseExposition(await allowed.text());
      // Still not on the main port.
      expect((await both.request('GET', '/metrics', { token })).status).toBe(404);
    } finally {
      await both.close();
    }
  });
});

describe('metrics by default', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('are neither collected nor served without METRICS_TOKEN or METRICS_PORT', async () => {
    expect(t.app.metrics).toBeUndefined();
    expect(t.app.metricsServer).toBeUndefined();
    const answer = await t.request('GET', '/metrics', { token });
    expect(answer.status).toBe(404);
    expect(answer.body.error.code).toBe('ROUTE_NOT_FOUND');
  });
});
