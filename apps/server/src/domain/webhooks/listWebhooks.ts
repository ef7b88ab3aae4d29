import type { Webhook } from '@servicesystem/protocol';
import type { AccountActor, DomainContext } from '../context.js';
import { authorize, webhookPolicy } from '../policies.js';
import { findWebhookOrThrow, lastDeliveriesOf, presentWebhook } from './webhookRows.js';

/** Every endpoint, oldest first, each with its newest delivery's state. */
export async function listWebhooks(ctx: DomainContext, actor: AccountActor): Promise<Webhook[]> {
  authorize(webhookPolicy.manage(actor), 'Only administrators can manage webhooks');
  const rows = await ctx.db.selectFrom('webhooks').selectAll().orderBy('id').execute();
  const last = await lastDeliveriesOf(
    ctx.db,
    rows.map((r) => r.id),
  );
  return rows.map((row) => presentWebhook(row, last.get(row.id)));
}

export async function readWebhook(
  ctx: DomainContext,
  actor: AccountActor,
  webhookId: string,
): Promise<Webhook> {
  authorize(webhookPolicy.manage(actor), 'Only administrators can manage webhooks');
  const row = await findWebhookOrThrow(ctx.db, webhookId);
  const last = await lastDeliveriesOf(ctx.db, [webhookId]);
  return presentWebhook(row, last.get(webhookId));
}
