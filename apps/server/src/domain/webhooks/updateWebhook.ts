import type { UpdateWebhookRequest, Webhook } from '@servicesystem/protocol';
import type { z } from 'zod';
import { changedField, fieldChange, recordAudit } from '../audit/recordAudit.js';
import type { AccountActor, DomainContext } from '../context.js';
import type { Outcome } from '../events.js';
import { authorize, webhookPolicy } from '../policies.js';
import {
  checkWebhookUrl,
  findWebhookOrThrow,
  generateWebhookSecret,
  lastDeliveriesOf,
  presentWebhook,
} from './webhookRows.js';

type Input = z.output<typeof UpdateWebhookRequest>;

/**
 * An administrator changes an endpoint (`rotate`: a new generated secret). Deliveries still
 * pending go to the new URL and are signed with the new secret.
 */
export async function updateWebhook(
  ctx: DomainContext,
  actor: AccountActor,
  webhookId: string,
  input: Input,
  rotate = false,
): Promise<Outcome<Webhook>> {
  authorize(webhookPolicy.manage(actor), 'Only administrators can manage webhooks');
  if (input.url !== undefined) await checkWebhookUrl(ctx, input.url);
  const updated = await ctx.transaction(async (trx) => {
    const before = await findWebhookOrThrow(trx, webhookId);
    const beforeEvents = JSON.parse(before.events) as string[];
    const after = {
      ...before,
      url: input.url ?? before.url,
      description: input.description ?? before.description,
      events: input.events ? JSON.stringify(input.events) : before.events,
      include_notes:
        input.includeNotes === undefined ? before.include_notes : input.includeNotes ? 1 : 0,
      enabled: input.enabled === undefined ? before.enabled : input.enabled ? 1 : 0,
      secret: rotate ? generateWebhookSecret() : (input.secret ?? before.secret),
    };
    const changes = [
      ...fieldChange('url', before.url.slice(0, 200), after.url.slice(0, 200)),
      ...(after.description !== before.description ? [changedField('description')] : []),
      ...(after.events !== before.events
        ? [{ field: 'events', from: beforeEvents, to: JSON.parse(after.events) as string[] }]
        : []),
      ...fieldChange(
        'includeNotes',
        Number(before.include_notes) === 1,
        Number(after.include_notes) === 1,
      ),
      ...fieldChange('enabled', Number(before.enabled) === 1, Number(after.enabled) === 1),
      ...(after.secret !== before.secret ? [changedField('secret')] : []),
    ];
    if (changes.length === 0) return before;
    const now = ctx.now();
    const row = { ...after, updated_at: now };
    await trx.updateTable('webhooks').set(row).where('id', '=', webhookId).execute();
    await recordAudit(
      trx,
      actor,
      {
        action: rotate ? 'webhook.rotateSecret' : 'webhook.update',
        target: { type: 'webhook', id: webhookId, label: row.url.slice(0, 200) },
        changes,
      },
      now,
    );
    return row;
  });
  await ctx.webhooks.reload();
  const last = await lastDeliveriesOf(ctx.db, [webhookId]);
  return { value: presentWebhook(updated, last.get(webhookId)), events: [] };
}
