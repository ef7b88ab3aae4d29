import type { WebhookDelivery } from '@servicesystem/protocol';
import type { AccountActor, DomainContext } from '../context.js';
import { notFound } from '../errors.js';
import type { Outcome } from '../events.js';
import { authorize, webhookPolicy } from '../policies.js';
import { presentDelivery } from './webhookRows.js';

/**
 * "Send again": a delivery (delivered, failed or pending) is due at once, the same event id and
 * body. One that fails again after its event's 24 h is `failed` again; otherwise it is retried
 * on the usual schedule. A delivery being attempted at that moment keeps its claim, and that
 * attempt's outcome decides what follows.
 */
export async function retryWebhookDelivery(
  ctx: DomainContext,
  actor: AccountActor,
  webhookId: string,
  deliveryId: string,
): Promise<Outcome<WebhookDelivery>> {
  authorize(webhookPolicy.manage(actor), 'Only administrators can manage webhooks');
  const now = ctx.now();
  const row = await ctx.transaction(async (trx) => {
    const updated = await trx
      .updateTable('webhook_deliveries')
      .set({ state: 'pending', next_attempt_at: now, finished_at: null })
      .where('id', '=', deliveryId)
      .where('webhook_id', '=', webhookId)
      .returningAll()
      .executeTakeFirst();
    if (!updated) throw notFound('The delivery');
    return updated;
  });
  ctx.webhooks.nudge();
  return { value: presentDelivery(row), events: [] };
}
