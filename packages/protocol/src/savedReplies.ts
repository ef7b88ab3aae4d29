import { z } from 'zod';
import { hasNoControlCharacters, stripControlCharacters, Timestamp } from './common.js';
import { messageTextMaxLength } from './wire.js';

/** Limits of a saved reply's fields (the text's is a message's). */
export const savedReplyLimits = {
  shortcut: 32,
  title: 100,
  text: messageTextMaxLength,
} as const;

/**
 * Who sees a saved reply: `shared` (every console user; administrators manage them) or
 * `personal` (its owner only, who manages it).
 */
export const SavedReplyScope = z.enum(['shared', 'personal']);
export type SavedReplyScope = z.infer<typeof SavedReplyScope>;

/**
 * What an agent types after `/` to find the reply: 1 to 32 characters, no whitespace and no `/`,
 * stored and compared in lower case (`Refund` and `refund` are one shortcut).
 */
export const SavedReplyShortcut = z
  .string()
  .max(200, `must be at most ${savedReplyLimits.shortcut} characters`)
  .transform((v) => v.trim().toLowerCase())
  .pipe(
    z
      .string()
      .min(1, 'must not be empty')
      .max(savedReplyLimits.shortcut, `must be at most ${savedReplyLimits.shortcut} characters`)
      .refine(hasNoControlCharacters, 'must not contain control characters')
      .regex(/^[^\s/]+$/u, 'must not contain spaces or "/"'),
  );

/** A single line naming the reply in lists: trimmed, inner whitespace folded, 1 to 100. */
export const SavedReplyTitle = z
  .string()
  .max(2000, `must be at most ${savedReplyLimits.title} characters`)
  .transform((v) => stripControlCharacters(v).replace(/\s+/g, ' ').trim())
  .pipe(
    z
      .string()
      .min(1, 'must not be empty')
      .max(savedReplyLimits.title, `must be at most ${savedReplyLimits.title} characters`),
  );

/**
 * The text inserted into the composer, with the placeholders `{visitor.name}` and `{agent.name}`
 * filled in there: like a message's text, 1 to 5,000 characters.
 */
export const SavedReplyText = z
  .string()
  .max(20_000, `must be at most ${savedReplyLimits.text} characters`)
  .transform((v) => stripControlCharacters(v).trim())
  .pipe(
    z
      .string()
      .min(1, 'must not be empty')
      .max(savedReplyLimits.text, `must be at most ${savedReplyLimits.text} characters`),
  );

export const SavedReply = z.object({
  id: z.string(),
  scope: SavedReplyScope,
  shortcut: z.string(),
  title: z.string(),
  text: z.string(),
  /** Shared replies only: the channel robots may answer with it (its title is the question). */
  robotAnswer: z.boolean(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type SavedReply = z.infer<typeof SavedReply>;

// ---- GET /api/v1/saved-replies (console)
export const SavedReplyListResponse = z.object({
  /** The caller's personal replies, then the shared ones; each by shortcut. */
  savedReplies: z.array(SavedReply),
});
export type SavedReplyListResponse = z.infer<typeof SavedReplyListResponse>;

export const SavedReplyResponse = z.object({ savedReply: SavedReply });
export type SavedReplyResponse = z.infer<typeof SavedReplyResponse>;

// ---- POST /api/v1/saved-replies (console; `shared`: admins)
export const CreateSavedReplyRequest = z
  .object({
    scope: SavedReplyScope.default('personal'),
    shortcut: SavedReplyShortcut,
    title: SavedReplyTitle,
    text: SavedReplyText,
    /** Shared replies only (admins). */
    robotAnswer: z.boolean().optional(),
  })
  .strict();
export type CreateSavedReplyRequest = z.input<typeof CreateSavedReplyRequest>;

// ---- PATCH /api/v1/saved-replies/:id (its owner; shared: admins). The scope stays.
export const UpdateSavedReplyRequest = z
  .object({
    shortcut: SavedReplyShortcut.optional(),
    title: SavedReplyTitle.optional(),
    text: SavedReplyText.optional(),
    robotAnswer: z.boolean().optional(),
  })
  .strict();
export type UpdateSavedReplyRequest = z.input<typeof UpdateSavedReplyRequest>;
