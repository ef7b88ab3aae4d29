import { sql, type Kysely } from 'kysely';
import type { Engine } from './connect.js';
import type { Database, WebhookDeliveriesTable } from './schema.js';

export type ClaimedDelivery = Pick<
  WebhookDeliveriesTable,
  'id' | 'webhook_id' | 'event_id' | 'event_type' | 'payload' | 'attempts' | 'created_at'
>;

/**
 * Claims up to `limit` due deliveries of one endpoint until `until`, counting the attempt, in
 * one statement. On PostgreSQL the rows are picked `FOR UPDATE SKIP LOCKED`: nodes claiming at
 * the same moment each get different rows and never wait on one another. SQLite has one writer
 * (and one node) already. A claim that is not settled by `until` (the node died) lapses and the
 * row is due again.
 */
export async function claimDueDeliveries(
  db: Kysely<Database>,
  engine: Engine,
  webhookId: string,
  now: number,
  until: number,
  limit: number,
): Promise<ClaimedDelivery[]> {
  const lock = engine === 'postgres' ? sql`for update skip locked` : sql``;
  const result = await sql<ClaimedDelivery>`
    update webhook_deliveries set claimed_until = ${until}, attempts = attempts + 1
    where id in (
      select id from webhook_deliveries
      where webhook_id = ${webhookId} and state = 'pending'
        and next_attempt_at <= ${now} and claimed_until <= ${now}
      order by next_attempt_at, id
      limit ${limit}
      ${lock}
    )
    returning id, webhook_id, event_id, event_type, payload, attempts, created_at`.execute(db);
  return result.rows.map((row) => ({
    ...row,
    attempts: Number(row.attempts),
    created_at: Number(row.created_at),
  }));
}
