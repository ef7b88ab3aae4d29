import type { WebhookDelivery } from '@servicesystem/protocol';
import type { AccountActor, DomainContext } from '../context.js';
import { AppError } from '../errors.js';
import type { Outcome } from '../events.js';
import { authorize, webhookPolicy } from '../policies.js';
import { deliveryRows, insertDeliveries } from './recordWebhookEvents.js';
import { findWebhookOrThrow, presentDelivery } from './webhookRows.js';

/** The console's "send test event": a `ping` to one enabled endpoint, delivered (and retried)
 * like any event. */
export async function sendWebhookTest(
  ctx: DomainContext,
  actor: AccountActor,
  webhookId: string,
): Promise<Outcome<WebhookDelivery>> {
  authorize(webhookPolicy.manage(actor), 'Only administrators can manage webhooks');
  const now = ctx.now();
  const row = await ctx.transaction(async (trx) => {
    const webhook = await findWebhookOrThrow(trx, webhookId);
    if (Number(webhook.enabled) !== 1) {
      throw new AppError('INVALID_STATE', 'Enable the webhook before sending it a test event');
    }
    const [delivery] = deliveryRows([webhook], 'ping', { webhookId }, now, null);
    await insertDeliveries(trx, [delivery!]);
    return delivery!;
  });
  ctx.webhooks.nudge();
  return { value: presentDelivery(row), events: [] };
}
