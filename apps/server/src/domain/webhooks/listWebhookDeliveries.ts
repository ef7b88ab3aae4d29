import type {
  WebhookDeliveryListQuery,
  WebhookDeliveryListResponse,
} from '@servicesystem/protocol';
import type { z } from 'zod';
import type { AccountActor, DomainContext } from '../context.js';
import { authorize, webhookPolicy } from '../policies.js';
import { findWebhookOrThrow, presentDelivery } from './webhookRows.js';

type Query = z.output<typeof WebhookDeliveryListQuery>;

/** An endpoint's deliveries, newest first, a page at a time (`before`: the previous page's last
 * id), perhaps only those in one state. */
export async function listWebhookDeliveries(
  ctx: DomainContext,
  actor: AccountActor,
  webhookId: string,
  query: Query,
): Promise<WebhookDeliveryListResponse> {
  authorize(webhookPolicy.manage(actor), 'Only administrators can manage webhooks');
  await findWebhookOrThrow(ctx.db, webhookId);
  let select = ctx.db
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where('webhook_id', '=', webhookId)
    .orderBy('id', 'desc')
    .limit(query.limit + 1);
  if (query.before) select = select.where('id', '<', query.before);
  if (query.state) select = select.where('state', '=', query.state);
  const rows = await select.execute();
  return {
    deliveries: rows.slice(0, query.limit).map(presentDelivery),
    hasMore: rows.length > query.limit,
  };
}
