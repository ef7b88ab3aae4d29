import { z } from 'zod';
import { Id, stripControlCharacters, Timestamp } from './common.js';

/** A label's name: one line, trimmed, 1..32 characters; unique regardless of case. */
export const LabelName = z
  .string()
  .transform((v) => stripControlCharacters(v).replace(/\s+/g, ' ').trim())
  .pipe(z.string().min(1, 'must not be empty').max(32, 'must be at most 32 characters'));

/** A colour as `#rrggbb` (stored and answered in lower case). */
export const LabelColor = z
  .string()
  .regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour like #1f6feb')
  .transform((v) => v.toLowerCase());

/** A label an administrator defined; agents put labels on conversations. */
export const Label = z.object({
  id: z.string(),
  name: z.string(),
  color: z.string(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Label = z.infer<typeof Label>;

/** A label as a conversation carries it. */
export const ConversationLabel = Label.pick({ id: true, name: true, color: true });
export type ConversationLabel = z.infer<typeof ConversationLabel>;

/** At most this many labels exist, and at most `maxLabelsPerConversation` on one conversation. */
export const maxLabels = 200;
export const maxLabelsPerConversation = 20;

// ---- GET /api/v1/labels, POST, PATCH /:id, DELETE /:id
export const LabelListResponse = z.object({ labels: z.array(Label) });
export type LabelListResponse = z.infer<typeof LabelListResponse>;

export const LabelResponse = z.object({ label: Label });
export type LabelResponse = z.infer<typeof LabelResponse>;

export const CreateLabelRequest = z.object({ name: LabelName, color: LabelColor }).strict();
export type CreateLabelRequest = z.input<typeof CreateLabelRequest>;

export const UpdateLabelRequest = z
  .object({ name: LabelName.optional(), color: LabelColor.optional() })
  .strict();
export type UpdateLabelRequest = z.input<typeof UpdateLabelRequest>;

// ---- PUT/DELETE /api/v1/conversations/:id/labels/:labelId
export const ConversationLabelParams = z.object({ id: Id, labelId: Id }).strict();
export type ConversationLabelParams = z.infer<typeof ConversationLabelParams>;

// ---- POST /api/v1/conversations/:id/snooze
/** `until`: when it comes back by itself (epoch ms, in the future, within 90 days); without it,
 * it comes back when the visitor writes. It always comes back when the visitor writes. */
export const SnoozeRequest = z
  .object({ until: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional() })
  .strict();
export type SnoozeRequest = z.infer<typeof SnoozeRequest>;

/** The farthest ahead a snooze may be set. */
export const maxSnoozeMs = 90 * 24 * 60 * 60 * 1000;

/** While the agent serving it has hidden (snoozed) it: since when, and until when (null: until
 * the visitor writes). */
export const ConversationSnooze = z.object({
  since: Timestamp,
  until: Timestamp.nullable(),
});
export type ConversationSnooze = z.infer<typeof ConversationSnooze>;

// ---- console views and their counts (GET /api/v1/conversations/counts)
/**
 * - `mine`: the caller's active conversations that are not snoozed;
 * - `snoozed`: the caller's active conversations that are snoozed;
 * - `unassigned`: the queue (every console user);
 * - `all`: every open conversation, queued or active (administrators).
 */
export const ConversationView = z.enum(['mine', 'unassigned', 'snoozed', 'all']);
export type ConversationView = z.infer<typeof ConversationView>;

export const ConversationCounts = z.object({
  mine: z.number().int(),
  snoozed: z.number().int(),
  unassigned: z.number().int(),
  /** Administrators only; null for agents. */
  all: z.number().int().nullable(),
});
export type ConversationCounts = z.infer<typeof ConversationCounts>;

export const ConversationCountsResponse = z.object({ counts: ConversationCounts });
export type ConversationCountsResponse = z.infer<typeof ConversationCountsResponse>;
