import {
  Counter,
  Gauge,
  Histogram,
  Registry,
  collectDefaultMetrics,
  type CollectFunction,
} from 'prom-client';
import type { Engine } from '../db/connect.js';
import type { LiveCounts } from '../domain/stats/liveCounts.js';
import type { CommittedListener } from '../domain/runner.js';
import type { SocketEventResult } from '../realtime/handlers.js';

/** What a webhook delivery attempt came to: accepted, to be tried again, or given up on. */
export type WebhookDeliveryResult = 'delivered' | 'retry' | 'failed';

/** Who holds an open Socket.IO connection. */
export type ConnectionRole = 'visitor' | 'agent' | 'admin';

/** What the scrape reads from the rest of the node, when it is scraped. */
export interface MetricsSources {
  /** The role of each Socket.IO connection open on this node. */
  connections(): Iterable<ConnectionRole>;
  /** Media jobs running and waiting for a slot on this node. */
  mediaJobs(): { running: number; waiting: number };
  /** Open conversations and agents by status, from the database (cached, see `liveCountsMs`). */
  liveCounts(): Promise<LiveCounts>;
}

const prefix = 'servicesystem_';

/** Seconds: from a quick read to a slow upload. */
const requestBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Seconds: a statement on SQLite takes tens of microseconds, on PostgreSQL a round trip. */
const statementBuckets = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1,
];
/** Writes per group commit (at most 256, transactions.ts). */
const groupBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256];
/** Seconds: a receiver's answer, up to the delivery's timeout. */
const webhookBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const methods = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * The node's Prometheus metrics, in a registry of its own (never prom-client's global one: tests
 * run several apps in one process). The rest of the server reports through these small methods,
 * each a counter or histogram step; gauges are read when scraped (`watch`). Label values are
 * bounded: route patterns, never raw URLs; event names, message types and results from fixed
 * lists.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  private readonly httpRequests: Counter<'method' | 'route' | 'status_class'>;
  private readonly httpDuration: Histogram<'method' | 'route' | 'status_class'>;
  private readonly socketEvents: Counter<'event' | 'result'>;
  private readonly socketEventDuration: Histogram<'event'>;
  private readonly messagesSent: Counter<'type' | 'sender'>;
  private readonly statementDuration: Histogram<'engine' | 'path'>;
  private readonly groupCommitSize: Histogram | undefined;
  private readonly webhookDeliveries: Counter<'result'>;
  private readonly webhookDuration: Histogram<'result'>;
  private sources: MetricsSources | undefined;
  private counts: { at: number; value: Promise<LiveCounts | undefined> } | undefined;

  constructor(
    private readonly options: {
      engine: Engine;
      /** The clock the cache of `liveCounts` is aged by. */
      now: () => number;
      /** How long one read of the database's counts serves scrapes. */
      liveCountsMs: number;
      /** A failed read of the counts: the gauges are left out of that scrape. */
      onError: (error: unknown) => void;
    },
  ) {
    const registers = [this.registry];
    // Process and runtime: CPU, memory, handles, GC, and the event loop's delay
    // (`servicesystem_nodejs_eventloop_lag_p99_seconds` and friends, from monitorEventLoopDelay).
    collectDefaultMetrics({ register: this.registry, prefix });
    const labelNames = ['method', 'route', 'status_class'] as const;
    this.httpRequests = new Counter({
      name: `${prefix}http_requests_total`,
      help: 'HTTP requests answered, by method, route pattern and status class.',
      labelNames,
      registers,
    });
    this.httpDuration = new Histogram({
      name: `${prefix}http_request_duration_seconds`,
      help: 'Time to answer an HTTP request, by method, route pattern and status class.',
      labelNames,
      buckets: requestBuckets,
      registers,
    });
    this.socketEvents = new Counter({
      name: `${prefix}socket_events_total`,
      help: 'Socket.IO client events handled, by event name and result (ok, error, invalid, rate_limited).',
      labelNames: ['event', 'result'],
      registers,
    });
    this.socketEventDuration = new Histogram({
      name: `${prefix}socket_event_duration_seconds`,
      help: 'Time from a client event to its acknowledgement, by event name.',
      labelNames: ['event'],
      buckets: requestBuckets,
      registers,
    });
    this.messagesSent = new Counter({
      name: `${prefix}messages_sent_total`,
      help: 'Messages committed on this node, by type (text, image, video, system, robot) and sender (visitor, agent, system, robot).',
      labelNames: ['type', 'sender'],
      registers,
    });
    this.statementDuration = new Histogram({
      name: `${prefix}db_statement_duration_seconds`,
      help: 'Database statement time, by engine and path (kysely: every query builder query; direct: hot statements run straight on the SQLite connection inside a group commit).',
      labelNames: ['engine', 'path'],
      buckets: statementBuckets,
      registers,
    });
    if (options.engine === 'sqlite') {
      this.groupCommitSize = new Histogram({
        name: `${prefix}sqlite_group_commit_size`,
        help: 'Writes that shared one SQLite commit (group commit).',
        buckets: groupBuckets,
        registers,
      });
    }
    this.webhookDeliveries = new Counter({
      name: `${prefix}webhook_deliveries_total`,
      help: 'Webhook delivery attempts, by result (delivered, retry, failed).',
      labelNames: ['result'],
      registers,
    });
    this.webhookDuration = new Histogram({
      name: `${prefix}webhook_delivery_duration_seconds`,
      help: 'Time a webhook delivery attempt took, by result.',
      labelNames: ['result'],
      buckets: webhookBuckets,
      registers,
    });
    this.gauges();
  }

  /** The sources the gauges read at scrape time. */
  watch(sources: MetricsSources): void {
    this.sources = sources;
  }

  /** Prometheus text exposition of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  httpRequest(method: string, route: string | undefined, status: number, seconds: number): void {
    const labels = {
      method: methods.has(method) ? method : 'other',
      // Fastify's pattern (`/api/v1/conversations/:id`); a request no route matched has none.
      route: route ?? 'unmatched',
      status_class: `${Math.floor(status / 100)}xx`,
    };
    this.httpRequests.inc(labels);
    this.httpDuration.observe(labels, seconds);
  }

  /** Socket.IO events: `event` is one of the protocol's client event names. */
  readonly socketEvent = (event: string, result: SocketEventResult, seconds: number): void => {
    this.socketEvents.inc({ event, result });
    this.socketEventDuration.observe({ event }, seconds);
  };

  readonly dbStatement = (seconds: number, path: 'kysely' | 'direct'): void => {
    this.statementDuration.observe({ engine: this.options.engine, path }, seconds);
  };

  readonly groupCommit = (size: number): void => {
    this.groupCommitSize?.observe(size);
  };

  /** One webhook delivery attempt and how long it took (the webhook worker reports here). */
  readonly webhookDelivery = (result: WebhookDeliveryResult, ms: number): void => {
    this.webhookDeliveries.inc({ result });
    this.webhookDuration.observe({ result }, ms / 1000);
  };

  /** Counts the messages of every committed batch (listens on the ActionRunner). */
  readonly committedListener: CommittedListener = (events) => {
    for (const event of events) {
      if (event.type === 'message.created') {
        this.messagesSent.inc({ type: event.message.type, sender: event.message.sender_type });
      }
    }
  };

  /** Gauges set when scraped: nothing to keep current between scrapes. */
  private gauges(): void {
    const registers = [this.registry];
    // The gauge is `this` inside `collect`; these reach the sources.
    const sources = () => this.sources;
    const counts = () => this.liveCounts();
    new Gauge({
      name: `${prefix}socket_connections`,
      help: 'Socket.IO connections open on this node, by role (visitor, agent, admin).',
      labelNames: ['role'],
      registers,
      collect(this: Gauge<'role'>) {
        const open: Record<ConnectionRole, number> = { visitor: 0, agent: 0, admin: 0 };
        for (const role of sources()?.connections() ?? []) open[role] += 1;
        for (const [role, count] of Object.entries(open)) this.set({ role }, count);
      },
    });
    new Gauge({
      name: `${prefix}media_jobs`,
      help: 'Media jobs (image re-encodes, video probes and covers) on this node, by state (running, queued).',
      labelNames: ['state'],
      registers,
      collect(this: Gauge<'state'>) {
        const load = sources()?.mediaJobs() ?? { running: 0, waiting: 0 };
        this.set({ state: 'running' }, load.running);
        this.set({ state: 'queued' }, load.waiting);
      },
    });
    const fromDatabase = <L extends string>(
      read: (gauge: Gauge<L>, counts: LiveCounts) => void,
    ): CollectFunction<Gauge<L>> =>
      async function (this: Gauge<L>) {
        const now = await counts();
        // Unknown (the database did not answer): no sample rather than a stale or a false one.
        if (now === undefined) this.reset();
        else read(this, now);
      };
    new Gauge({
      name: `${prefix}conversations`,
      help: 'Open conversations by state (queued, active, robot), from the database: the same on every node.',
      labelNames: ['state'],
      registers,
      collect: fromDatabase<'state'>((gauge, counts) => {
        gauge.set({ state: 'queued' }, counts.conversations.queued);
        gauge.set({ state: 'active' }, counts.conversations.active);
        gauge.set({ state: 'robot' }, counts.conversations.robot);
      }),
    });
    new Gauge({
      name: `${prefix}queue_length`,
      help: 'Conversations waiting in the queue for an agent, from the database: the same on every node.',
      registers,
      collect: fromDatabase((gauge, counts) => gauge.set(counts.conversations.queued)),
    });
    new Gauge({
      name: `${prefix}agents`,
      help: 'Enabled agents by presence status (online, away, offline), from the database: the same on every node.',
      labelNames: ['status'],
      registers,
      collect: fromDatabase<'status'>((gauge, counts) => {
        for (const [status, count] of Object.entries(counts.agents)) gauge.set({ status }, count);
      }),
    });
  }

  /** One read of the database's counts serves the three gauges and the scrapes of a few seconds. */
  private liveCounts(): Promise<LiveCounts | undefined> {
    const sources = this.sources;
    if (!sources) return Promise.resolve(undefined);
    const now = this.options.now();
    if (this.counts === undefined || now - this.counts.at >= this.options.liveCountsMs) {
      this.counts = {
        at: now,
        value: sources.liveCounts().catch((error: unknown) => {
          this.options.onError(error);
          // Asked again at the next scrape.
          this.counts = undefined;
          return undefined;
        }),
      };
    }
    return this.counts.value;
  }
}
