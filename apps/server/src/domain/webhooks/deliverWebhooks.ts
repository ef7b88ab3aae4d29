import { webhookHeaders } from '@servicesystem/protocol';
import type { Engine } from '../../db/connect.js';
import { claimDueDeliveries, type ClaimedDelivery } from '../../db/webhookClaims.js';
import type { DomainContext } from '../context.js';
import { postWebhook, type PostResult } from './postWebhook.js';
import type { KnownWebhook } from './webhookDirectory.js';
import { signWebhook } from './webhookSignature.js';

/** How deliveries are paced. App options (tests shorten them), not environment variables. */
export interface WebhookSchedule {
  /** One attempt's limit: connect, send, answer (10 s). */
  timeoutMs: number;
  /** The wait after the first failure, doubling after each one (10 s)... */
  firstRetryMs: number;
  /** ...up to this (1 h), each with ±20 % jitter. */
  maxRetryMs: number;
  /** An event not delivered this long after it happened is `failed` (24 h). */
  giveUpAfterMs: number;
  /** How often each node looks for due deliveries besides being nudged (1 s). */
  pollMs: number;
  /** Deliveries in flight at once per endpoint (4) and per node (32). */
  perEndpoint: number;
  perNode: number;
}

export const defaultWebhookSchedule: WebhookSchedule = {
  timeoutMs: 10_000,
  firstRetryMs: 10_000,
  maxRetryMs: 60 * 60 * 1000,
  giveUpAfterMs: 24 * 60 * 60 * 1000,
  pollMs: 1000,
  perEndpoint: 4,
  perNode: 32,
};

/** What became of one attempt, for metrics. */
export type DeliveryOutcome = 'delivered' | 'retry' | 'failed';
export type ObserveDelivery = (result: DeliveryOutcome, durationMs: number) => void;

/** The wait before attempt `attempts + 1`, after `attempts` failed ones. */
export function retryDelay(schedule: WebhookSchedule, attempts: number, random = Math.random()) {
  const base = Math.min(
    schedule.firstRetryMs * 2 ** Math.max(0, attempts - 1),
    schedule.maxRetryMs,
  );
  return Math.round(base * (0.8 + 0.4 * random));
}

/**
 * The delivery worker, one on every node: claims due deliveries of each enabled endpoint (at most
 * `perEndpoint` in flight each and `perNode` in all, so a slow or dead endpoint holds only its
 * own slots and never the chat or other endpoints), POSTs them signed, and records each attempt.
 * A claim lasts the attempt's timeout and a margin; a node that dies mid-attempt loses it then,
 * and another node (or this one, restarted) tries again: at-least-once.
 */
export class WebhookWorker {
  private readonly inFlight = new Map<string, number>();
  private total = 0;
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private again = false;
  private stopping = false;
  private readonly running = new Set<Promise<void>>();
  private readonly stopped = new AbortController();

  constructor(
    private readonly ctx: DomainContext,
    private readonly engine: Engine,
    private readonly schedule: WebhookSchedule,
    private readonly onError: (error: unknown) => void,
    private readonly observe?: ObserveDelivery,
  ) {}

  start(): void {
    this.ctx.webhooks.whenDue(() => this.poke());
    this.timer = setInterval(() => this.poke(), this.schedule.pollMs);
    this.timer.unref();
    this.poke();
  }

  /** Looks for due deliveries now. */
  poke(): void {
    if (this.stopping) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = true;
    void this.tick()
      .catch(this.onError)
      .finally(() => {
        this.ticking = false;
        if (this.again) {
          this.again = false;
          this.poke();
        }
      });
  }

  /** Stops claiming, cuts the attempts under way short (each is recorded, to be made again) and
   * waits for them to be recorded. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    this.stopped.abort();
    this.ctx.webhooks.whenDue(() => undefined);
    await Promise.all(this.running);
  }

  private async tick(): Promise<void> {
    for (const endpoint of this.ctx.webhooks.enabled()) {
      if (this.stopping) return;
      const free = Math.min(
        this.schedule.perEndpoint - (this.inFlight.get(endpoint.id) ?? 0),
        this.schedule.perNode - this.total,
      );
      if (free <= 0) continue;
      const now = this.ctx.now();
      const until = now + this.schedule.timeoutMs + 5000;
      const claimed = await this.ctx.transaction(
        (trx) => claimDueDeliveries(trx, this.engine, endpoint.id, now, until, free),
        { singleStatement: true },
      );
      for (const delivery of claimed) this.launch(endpoint, delivery, until);
    }
  }

  private launch(endpoint: KnownWebhook, delivery: ClaimedDelivery, until: number): void {
    this.total += 1;
    this.inFlight.set(endpoint.id, (this.inFlight.get(endpoint.id) ?? 0) + 1);
    const attempt = this.attempt(endpoint, delivery, until)
      .catch(this.onError)
      .finally(() => {
        this.total -= 1;
        this.inFlight.set(endpoint.id, (this.inFlight.get(endpoint.id) ?? 1) - 1);
        this.running.delete(attempt);
        // A slot is free: more may be waiting.
        this.poke();
      });
    this.running.add(attempt);
  }

  private async attempt(
    endpoint: KnownWebhook,
    delivery: ClaimedDelivery,
    until: number,
  ): Promise<void> {
    const at = this.ctx.now();
    const result = await postWebhook(
      endpoint.url,
      delivery.payload,
      {
        [webhookHeaders.eventId]: delivery.event_id,
        [webhookHeaders.eventType]: delivery.event_type,
        [webhookHeaders.signature]: signWebhook(
          endpoint.secret,
          delivery.payload,
          Math.floor(at / 1000),
        ),
      },
      {
        timeoutMs: this.schedule.timeoutMs,
        allowPrivate: this.ctx.webhooks.allowPrivate,
        signal: this.stopped.signal,
      },
    );
    await this.settle(delivery, until, at, result);
  }

  private async settle(
    delivery: ClaimedDelivery,
    until: number,
    at: number,
    result: PostResult,
  ): Promise<void> {
    const now = this.ctx.now();
    const delivered = result.error === undefined;
    const expired = now - delivery.created_at >= this.schedule.giveUpAfterMs;
    const outcome: DeliveryOutcome = delivered ? 'delivered' : expired ? 'failed' : 'retry';
    const state = outcome === 'retry' ? 'pending' : outcome;
    await this.ctx.transaction(
      (trx) =>
        trx
          .updateTable('webhook_deliveries')
          .set({
            state,
            claimed_until: 0,
            last_attempt_at: at,
            last_duration_ms: result.durationMs,
            last_status: result.status ?? null,
            last_error: result.error ?? null,
            next_attempt_at:
              outcome === 'retry' ? now + retryDelay(this.schedule, delivery.attempts) : now,
            finished_at: outcome === 'retry' ? null : now,
          })
          .where('id', '=', delivery.id)
          // Only the claim this attempt was made under: one that lapsed is another's now.
          .where('claimed_until', '=', until)
          .execute(),
      { singleStatement: true },
    );
    this.observe?.(outcome, result.durationMs);
  }
}

/** Deletes deliveries finished more than 30 days ago, a batch at a time; answers whether more
 * may be left. */
export async function purgeWebhookDeliveries(ctx: DomainContext): Promise<boolean> {
  const before = ctx.now() - 30 * 24 * 60 * 60 * 1000;
  const batch = 1000;
  const deleted = await ctx.transaction(
    (trx) =>
      trx
        .deleteFrom('webhook_deliveries')
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('webhook_deliveries')
            .select('id')
            .where('state', '!=', 'pending')
            .where('finished_at', '<', before)
            .limit(batch),
        )
        .executeTakeFirst(),
    { singleStatement: true },
  );
  return Number(deleted.numDeletedRows) === batch;
}
