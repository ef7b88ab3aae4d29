import type { WebhookEventType } from '@servicesystem/protocol';
import type { Kysely } from 'kysely';
import type { Database, WebhooksTable } from '../../db/schema.js';

/** An endpoint as the recorder and the delivery worker use it. */
export interface KnownWebhook {
  id: string;
  url: string;
  secret: string;
  enabled: boolean;
  events: ReadonlySet<WebhookEventType>;
  includeNotes: boolean;
}

export function knownWebhookOf(row: WebhooksTable): KnownWebhook {
  return {
    id: row.id,
    url: row.url,
    secret: row.secret,
    enabled: Number(row.enabled) === 1,
    events: new Set(JSON.parse(row.events) as WebhookEventType[]),
    includeNotes: Number(row.include_notes) === 1,
  };
}

/**
 * Every registered endpoint, held in memory so that recording events costs nothing while no
 * enabled endpoint wants them (the message path asks `wants('message.created')` and, on
 * PostgreSQL, keeps its one-statement write). Read again after every change made on this node
 * and every `refreshMs` (2 s) for changes made on other nodes: a new endpoint receives the
 * events of changes committed from at most that long after its creation.
 */
export class WebhookDirectory {
  private endpoints: KnownWebhook[] = [];
  private byType = new Map<WebhookEventType, KnownWebhook[]>();
  private timer: NodeJS.Timeout | undefined;
  private loading: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Kysely<Database>,
    /** WEBHOOK_ALLOW_PRIVATE: endpoints may be on internal addresses. */
    readonly allowPrivate: boolean,
    private readonly refreshMs = 2000,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  /** Loads the endpoints, then keeps them current. */
  async start(): Promise<void> {
    await this.reload();
    this.timer = setInterval(() => {
      this.reload().catch(this.onError);
    }, this.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Reads every endpoint again (after a change on this node). Reloads run one after another,
   * so an older read never replaces a newer one. */
  reload(): Promise<void> {
    const next = this.loading.catch(() => undefined).then(() => this.read());
    this.loading = next;
    return next;
  }

  private async read(): Promise<void> {
    const rows = await this.db.selectFrom('webhooks').selectAll().orderBy('id').execute();
    const endpoints = rows.map(knownWebhookOf);
    const byType = new Map<WebhookEventType, KnownWebhook[]>();
    for (const endpoint of endpoints) {
      if (!endpoint.enabled) continue;
      for (const type of endpoint.events) {
        const list = byType.get(type) ?? [];
        list.push(endpoint);
        byType.set(type, list);
      }
    }
    this.endpoints = endpoints;
    this.byType = byType;
  }

  /** Whether any enabled endpoint wants events of `type`. */
  wants(type: WebhookEventType): boolean {
    return this.byType.has(type);
  }

  /** Whether any enabled endpoint wants anything at all. */
  get active(): boolean {
    return this.byType.size > 0;
  }

  /** The enabled endpoints that want `type`. */
  subscribers(type: WebhookEventType): readonly KnownWebhook[] {
    return this.byType.get(type) ?? [];
  }

  /** Every enabled endpoint. */
  enabled(): KnownWebhook[] {
    return this.endpoints.filter((e) => e.enabled);
  }

  /** Tells the delivery worker (whenDue) that rows are due now: after a commit that wrote some. */
  nudge(): void {
    this.due?.();
  }

  whenDue(listener: () => void): void {
    this.due = listener;
  }

  private due: (() => void) | undefined;

  find(id: string): KnownWebhook | undefined {
    return this.endpoints.find((e) => e.id === id);
  }
}
