import { recordAudit } from '../audit/recordAudit.js';
import type { AccountActor, DomainContext } from '../context.js';
import type { Outcome } from '../events.js';
import { authorize, webhookPolicy } from '../policies.js';
import { findWebhookOrThrow } from './webhookRows.js';

/** An administrator deletes an endpoint and, with it, its deliveries (pending ones too). */
export async function deleteWebhook(
  ctx: DomainContext,
  actor: AccountActor,
  webhookId: string,
): Promise<Outcome<null>> {
  authorize(webhookPolicy.manage(actor), 'Only administrators can manage webhooks');
  await ctx.transaction(async (trx) => {
    const row = await findWebhookOrThrow(trx, webhookId);
    await trx.deleteFrom('webhook_deliveries').where('webhook_id', '=', webhookId).execute();
    await trx.deleteFrom('webhooks').where('id', '=', webhookId).execute();
    await recordAudit(
      trx,
      actor,
      {
        action: 'webhook.delete',
        target: { type: 'webhook', id: webhookId, label: row.url.slice(0, 200) },
        changes: [],
      },
      ctx.now(),
    );
  });
  await ctx.webhooks.reload();
  return { value: null, events: [] };
}
