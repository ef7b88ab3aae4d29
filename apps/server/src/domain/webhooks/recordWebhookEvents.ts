import type { WebhookDeliveryEventType, WebhookEventType } from '@servicesystem/protocol';
import type { Kysely } from 'kysely';
import { timeOrderedId } from '../../db/ids.js';
import { prepared } from '../../db/prepared.js';
import type { StoredMessage } from '../../db/messages/messageStore.js';
import type {
  ConversationRatingsTable,
  Database,
  WebhookDeliveriesTable,
} from '../../db/schema.js';
import type { DomainContext } from '../context.js';
import type { ConversationView } from '../conversations/conversationViews.js';
import type { DomainEvent } from '../events.js';
import { presentConversationForConsole } from '../presenters/conversation.js';
import { presentMessageForConsole } from '../presenters/message.js';
import { presentNote } from '../presenters/note.js';
import { presentRating } from '../presenters/rating.js';
import type { KnownWebhook } from './webhookDirectory.js';

/** What happened that the domain events alone do not say. */
export type WebhookCause =
  | { type: 'conversation.created'; view: ConversationView }
  | { type: 'left_message.created'; view: ConversationView; message: StoredMessage }
  | { type: 'rating.created'; view: ConversationView; rating: ConversationRatingsTable };

/**
 * Writes the webhook events of a change into the delivery table, with `trx`, the transaction of
 * the change itself: the events exist exactly when the change does. One row per (event,
 * endpoint that wants it), one event id for all of them. Call at the end of an action's write
 * with the domain events it produced (and the `causes` they cannot tell):
 * - a message (visitor, agent, system) → `message.created`; a system message also says the
 *   conversation was `assigned`, `transferred` or `ended`;
 * - an internal note → `message.created` with `internal: true`, to endpoints with include_notes;
 * - `causes` → `conversation.created`, `left_message.created`, `rating.created`.
 * Costs nothing when no enabled endpoint exists (the endpoints are held in memory).
 */
export async function recordWebhookEvents(
  ctx: DomainContext,
  trx: Kysely<Database>,
  events: readonly DomainEvent[],
  causes: readonly WebhookCause[] = [],
): Promise<void> {
  const directory = ctx.webhooks;
  if (!directory.active) return;
  const now = ctx.now();
  const rows: WebhookDeliveriesTable[] = [];
  const conversation = (view: ConversationView) =>
    presentConversationForConsole(view, ctx.fileUrls);
  const add = (
    type: WebhookEventType,
    view: ConversationView,
    data: () => Record<string, unknown>,
    which: (endpoint: KnownWebhook) => boolean = () => true,
  ) => {
    const endpoints = directory.subscribers(type).filter(which);
    if (endpoints.length === 0) return;
    rows.push(...deliveryRows(endpoints, type, data(), now, view.conversation.id));
  };

  for (const cause of causes) {
    switch (cause.type) {
      case 'conversation.created':
        add(cause.type, cause.view, () => ({ conversation: conversation(cause.view) }));
        break;
      case 'left_message.created':
        add(cause.type, cause.view, () => ({
          conversation: conversation(cause.view),
          message: presentMessageForConsole(cause.message, ctx.fileUrls),
        }));
        break;
      case 'rating.created':
        add(cause.type, cause.view, () => ({
          conversation: conversation(cause.view),
          rating: presentRating(cause.rating),
        }));
        break;
    }
  }
  for (const event of events) {
    if (event.type === 'message.created') {
      const change = conversationChangeOf(event.message);
      if (change) add(change, event.view, () => ({ conversation: conversation(event.view) }));
      add('message.created', event.view, () => ({
        conversation: conversation(event.view),
        message: presentMessageForConsole(event.message, ctx.fileUrls),
      }));
    } else if (event.type === 'note.created') {
      add(
        'message.created',
        event.view,
        () => ({
          conversation: conversation(event.view),
          note: presentNote(event.note),
          internal: true,
        }),
        (endpoint) => endpoint.includeNotes,
      );
    }
  }
  await insertDeliveries(trx, rows);
}

/** The conversation change a system message reports, if any. */
function conversationChangeOf(message: StoredMessage): WebhookEventType | undefined {
  if (message.sender_type !== 'system' || !message.meta) return undefined;
  switch (message.meta.kind) {
    case 'assigned':
      return 'conversation.assigned';
    case 'transferred':
      return 'conversation.transferred';
    case 'ended':
    case 'idleEnded':
      return 'conversation.ended';
    default:
      return undefined;
  }
}

/** One event's rows: the same id and body for every endpoint, each due now. */
export function deliveryRows(
  endpoints: readonly Pick<KnownWebhook, 'id'>[],
  type: WebhookDeliveryEventType,
  data: Record<string, unknown>,
  now: number,
  conversationId: string | null,
): WebhookDeliveriesTable[] {
  const eventId = timeOrderedId(now);
  const payload = JSON.stringify({ id: eventId, type, createdAt: now, data });
  return endpoints.map((endpoint) => ({
    id: timeOrderedId(now),
    webhook_id: endpoint.id,
    event_id: eventId,
    event_type: type,
    conversation_id: conversationId,
    payload,
    state: 'pending',
    attempts: 0,
    next_attempt_at: now,
    claimed_until: 0,
    last_attempt_at: null,
    last_duration_ms: null,
    last_status: null,
    last_error: null,
    created_at: now,
    finished_at: null,
  }));
}

const deliveryColumns = [
  'id',
  'webhook_id',
  'event_id',
  'event_type',
  'conversation_id',
  'payload',
  'state',
  'attempts',
  'next_attempt_at',
  'claimed_until',
  'last_attempt_at',
  'last_duration_ms',
  'last_status',
  'last_error',
  'created_at',
  'finished_at',
] as const satisfies readonly (keyof WebhookDeliveriesTable)[];

/** One delivery row, compiled once (and kept prepared on PostgreSQL; on SQLite it runs straight
 * on the group commit's connection), since it runs beside every recorded message. */
const insertDelivery = prepared<WebhookDeliveriesTable, unknown>((db, slot) =>
  db
    .insertInto('webhook_deliveries')
    .values(Object.fromEntries(deliveryColumns.map((c) => [c, slot(c)])) as never),
);

export async function insertDeliveries(
  trx: Kysely<Database>,
  rows: readonly WebhookDeliveriesTable[],
): Promise<void> {
  for (const row of rows) await insertDelivery(trx, row);
}
