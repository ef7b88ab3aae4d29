import { z } from 'zod';
import { Id, stripControlCharacters, Timestamp } from './common.js';

/**
 * Webhooks: administrators register endpoints that receive events as signed JSON POSTs.
 *
 * Every event is written to the delivery table in the same transaction as the change it
 * reports, one row per (event, endpoint), all with the same event `id`. Delivery is
 * at-least-once: a receiver may see an event twice (after a retry, a crash or "send again") and
 * should ignore an `id` it has seen. See docs/PROTOCOL.md for payloads and the signature.
 *
 * Event types:
 * - `conversation.created`: a visitor started a conversation (or left a message).
 *   `data: { conversation }`
 * - `conversation.assigned`: routing (or an administrator) gave a queued or reassigned
 *   conversation to an agent. `data: { conversation }`
 * - `conversation.transferred`: an agent or administrator moved an active conversation to
 *   another agent. `data: { conversation }` (its new `agent`)
 * - `conversation.ended`: an agent or administrator ended it, or it ended after being idle.
 *   `data: { conversation }`
 * - `message.created`: a visitor's, agent's or system message (and, later, a robot's).
 *   `data: { conversation, message }`. An internal note is sent only to endpoints with
 *   `includeNotes`, as `message.created` with `data: { conversation, note, internal: true }`.
 * - `rating.created`: the visitor rated an ended conversation. `data: { conversation, rating }`
 * - `left_message.created`: a visitor left a message with their contact.
 *   `data: { conversation, message }` (the contact in `conversation.leftMessage`)
 * - `ping`: the console's "send test event". `data: { webhookId }`
 */
export const WebhookEventType = z.enum([
  'conversation.created',
  'conversation.assigned',
  'conversation.transferred',
  'conversation.ended',
  'message.created',
  'rating.created',
  'left_message.created',
]);
export type WebhookEventType = z.infer<typeof WebhookEventType>;

/** Every type a delivery may carry: the subscribable ones and `ping`. */
export const WebhookDeliveryEventType = z.union([WebhookEventType, z.literal('ping')]);
export type WebhookDeliveryEventType = z.infer<typeof WebhookDeliveryEventType>;

/** The body of every POST to an endpoint. */
export const WebhookEnvelope = z.object({
  /** Stable: the same on every attempt and for every endpoint. Deduplicate on it. */
  id: z.string(),
  type: WebhookDeliveryEventType,
  createdAt: Timestamp,
  data: z.record(z.string(), z.unknown()),
});
export type WebhookEnvelope = z.infer<typeof WebhookEnvelope>;

/** Longest URL accepted. */
export const maxWebhookUrlLength = 2048;

/** An endpoint's URL: absolute http or https, no credentials, at most 2,048 characters. */
export const WebhookUrl = z
  .string()
  .trim()
  .max(maxWebhookUrlLength, `must be at most ${maxWebhookUrlLength} characters`)
  .refine((value) => {
    try {
      const url = new URL(value);
      return (
        (url.protocol === 'https:' || url.protocol === 'http:') &&
        url.hostname !== '' &&
        url.username === '' &&
        url.password === ''
      );
    } catch {
      return false;
    }
  }, 'must be an http or https URL without user name or password');

/** A secret given by the administrator: 16..256 visible characters. */
export const WebhookSecret = z
  .string()
  .min(16, 'must be at least 16 characters')
  .max(256, 'must be at most 256 characters')
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

export const WebhookDescription = z
  .string()
  .transform((v) => stripControlCharacters(v).trim())
  .pipe(z.string().max(200, 'must be at most 200 characters'));

export const WebhookEvents = z
  .array(WebhookEventType)
  .min(1, 'choose at least one event')
  .max(WebhookEventType.options.length)
  .transform((events) => [...new Set(events)]);

/** The state of the newest delivery, for the list. Null: nothing sent yet. */
export const WebhookDeliveryState = z.enum(['pending', 'delivered', 'failed']);
export type WebhookDeliveryState = z.infer<typeof WebhookDeliveryState>;

/** An endpoint, as administrators see it (the secret included: they sign with it). */
export const Webhook = z.object({
  id: z.string(),
  url: z.string(),
  description: z.string(),
  events: z.array(WebhookEventType),
  includeNotes: z.boolean(),
  secret: z.string(),
  enabled: z.boolean(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  /** The newest delivery's state and response code; null when none was made. */
  lastDelivery: z
    .object({
      state: WebhookDeliveryState,
      responseCode: z.number().int().nullable(),
      at: Timestamp,
    })
    .nullable(),
});
export type Webhook = z.infer<typeof Webhook>;

/** One event's delivery to one endpoint. */
export const WebhookDelivery = z.object({
  id: z.string(),
  webhookId: z.string(),
  eventId: z.string(),
  eventType: WebhookDeliveryEventType,
  state: WebhookDeliveryState,
  attempts: z.number().int(),
  /** The HTTP status of the last attempt; null when it got none (timeout, refused, reset). */
  responseCode: z.number().int().nullable(),
  /** Why the last attempt failed, shortly; null after a success. */
  error: z.string().nullable(),
  lastAttemptAt: Timestamp.nullable(),
  lastDurationMs: z.number().int().nullable(),
  /** When the next attempt is due (pending only). */
  nextAttemptAt: Timestamp.nullable(),
  createdAt: Timestamp,
});
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;

// ---- GET /api/v1/webhooks, POST; GET/PATCH/DELETE /api/v1/webhooks/:id (admins)
export const WebhookListResponse = z.object({ webhooks: z.array(Webhook) });
export type WebhookListResponse = z.infer<typeof WebhookListResponse>;

export const WebhookResponse = z.object({ webhook: Webhook });
export type WebhookResponse = z.infer<typeof WebhookResponse>;

export const CreateWebhookRequest = z
  .object({
    url: WebhookUrl,
    description: WebhookDescription.default(''),
    events: WebhookEvents,
    includeNotes: z.boolean().default(false),
    /** Absent: one is generated (`whsec_` and 32 random bytes, base64url). */
    secret: WebhookSecret.optional(),
    enabled: z.boolean().default(true),
  })
  .strict();
export type CreateWebhookRequest = z.input<typeof CreateWebhookRequest>;

export const UpdateWebhookRequest = z
  .object({
    url: WebhookUrl.optional(),
    description: WebhookDescription.optional(),
    events: WebhookEvents.optional(),
    includeNotes: z.boolean().optional(),
    secret: WebhookSecret.optional(),
    enabled: z.boolean().optional(),
  })
  .strict();
export type UpdateWebhookRequest = z.input<typeof UpdateWebhookRequest>;

// ---- GET /api/v1/webhooks/:id/deliveries (admins)
export const WebhookDeliveryListQuery = z
  .object({
    /** The id of the last delivery of the previous page: the next page starts after it. */
    before: Id.optional(),
    limit: z.coerce.number().int().min(1).max(100).default(50),
    state: WebhookDeliveryState.optional(),
  })
  .strict();
export type WebhookDeliveryListQuery = z.input<typeof WebhookDeliveryListQuery>;

export const WebhookDeliveryListResponse = z.object({
  /** Newest first. */
  deliveries: z.array(WebhookDelivery),
  hasMore: z.boolean(),
});
export type WebhookDeliveryListResponse = z.infer<typeof WebhookDeliveryListResponse>;

// ---- POST /api/v1/webhooks/:id/deliveries/:deliveryId/retry, POST /api/v1/webhooks/:id/test
export const WebhookDeliveryParams = z.object({ id: Id, deliveryId: Id }).strict();
export const WebhookDeliveryResponse = z.object({ delivery: WebhookDelivery });
export type WebhookDeliveryResponse = z.infer<typeof WebhookDeliveryResponse>;

/** The headers every delivery carries. */
export const webhookHeaders = {
  eventId: 'ServiceSystem-Event-Id',
  eventType: 'ServiceSystem-Event-Type',
  /** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>` */
  signature: 'ServiceSystem-Signature',
} as const;
