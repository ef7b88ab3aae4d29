import type { CreateWebhookRequest, Webhook } from '@servicesystem/protocol';
import type { z } from 'zod';
import { timeOrderedId } from '../../db/ids.js';
import { recordAudit } from '../audit/recordAudit.js';
import type { AccountActor, DomainContext } from '../context.js';
import type { Outcome } from '../events.js';
import { authorize, webhookPolicy } from '../policies.js';
import { checkWebhookUrl, generateWebhookSecret, presentWebhook } from './webhookRows.js';

type Input = z.output<typeof CreateWebhookRequest>;

/** An administrator registers an endpoint. It receives the events of changes committed from
 * within about 2 s of its creation (every node's view of the endpoints is that fresh). */
export async function createWebhook(
  ctx: DomainContext,
  actor: AccountActor,
  input: Input,
): Promise<Outcome<Webhook>> {
  authorize(webhookPolicy.manage(actor), 'Only administrators can manage webhooks');
  await checkWebhookUrl(ctx, input.url);
  const now = ctx.now();
  const row = {
    id: timeOrderedId(now),
    url: input.url,
    description: input.description,
    events: JSON.stringify(input.events),
    include_notes: input.includeNotes ? 1 : 0,
    secret: input.secret ?? generateWebhookSecret(),
    enabled: input.enabled ? 1 : 0,
    created_at: now,
    updated_at: now,
  };
  await ctx.transaction(async (trx) => {
    await trx.insertInto('webhooks').values(row).execute();
    await recordAudit(
      trx,
      actor,
      {
        action: 'webhook.create',
        target: { type: 'webhook', id: row.id, label: row.url.slice(0, 200) },
        changes: [
          { field: 'url', to: row.url.slice(0, 200) },
          { field: 'events', to: input.events },
          { field: 'includeNotes', to: input.includeNotes },
          { field: 'enabled', to: input.enabled },
          { field: 'secret' },
        ],
      },
      now,
    );
  });
  await ctx.webhooks.reload();
  return { value: presentWebhook(row, undefined), events: [] };
}
