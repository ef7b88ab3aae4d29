import type { Webhook, WebhookDelivery, WebhookEventType } from '@servicesystem/protocol';
import type { Kysely } from 'kysely';
import { randomBytes } from 'node:crypto';
import type { Database, WebhookDeliveriesTable, WebhooksTable } from '../../db/schema.js';
import type { DomainContext } from '../context.js';
import { AppError, notFound } from '../errors.js';
import { refusalOf } from './addressGuard.js';

export async function findWebhookOrThrow(db: Kysely<Database>, id: string): Promise<WebhooksTable> {
  const row = await db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('The webhook');
  return row;
}

/** A new secret: `whsec_` and 32 random bytes, base64url. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** Refuses a URL whose host is (or resolves to) an internal address, unless allowed. */
export async function checkWebhookUrl(ctx: DomainContext, url: string): Promise<void> {
  const refusal = await refusalOf(new URL(url), ctx.webhooks.allowPrivate);
  if (refusal) {
    throw new AppError(
      'WEBHOOK_URL_REFUSED',
      `Webhooks may not reach private or internal addresses: ${refusal}`,
      { issues: [{ path: 'url', message: refusal }] },
    );
  }
}

export type LastDelivery = Pick<
  WebhookDeliveriesTable,
  'state' | 'last_status' | 'created_at' | 'last_attempt_at'
>;

export function presentWebhook(row: WebhooksTable, last: LastDelivery | undefined): Webhook {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    events: JSON.parse(row.events) as WebhookEventType[],
    includeNotes: Number(row.include_notes) === 1,
    secret: row.secret,
    enabled: Number(row.enabled) === 1,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    lastDelivery: last
      ? {
          state: last.state,
          responseCode: last.last_status === null ? null : Number(last.last_status),
          at: Number(last.last_attempt_at ?? last.created_at),
        }
      : null,
  };
}

/** The newest delivery of each of `webhookIds`. */
export async function lastDeliveriesOf(
  db: Kysely<Database>,
  webhookIds: readonly string[],
): Promise<Map<string, LastDelivery>> {
  const result = new Map<string, LastDelivery>();
  for (const id of webhookIds) {
    const row = await db
      .selectFrom('webhook_deliveries')
      .select(['state', 'last_status', 'created_at', 'last_attempt_at'])
      .where('webhook_id', '=', id)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (row) result.set(id, row);
  }
  return result;
}

export function presentDelivery(row: WebhookDeliveriesTable): WebhookDelivery {
  const num = (v: number | null) => (v === null ? null : Number(v));
  return {
    id: row.id,
    webhookId: row.webhook_id,
    eventId: row.event_id,
    eventType: row.event_type as WebhookDelivery['eventType'],
    state: row.state,
    attempts: Number(row.attempts),
    responseCode: num(row.last_status),
    error: row.last_error,
    lastAttemptAt: num(row.last_attempt_at),
    lastDurationMs: num(row.last_duration_ms),
    nextAttemptAt: row.state === 'pending' ? Number(row.next_attempt_at) : null,
    createdAt: Number(row.created_at),
  };
}
