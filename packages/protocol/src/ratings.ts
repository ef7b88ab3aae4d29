import { z } from 'zod';
import { stripControlCharacters, Timestamp } from './common.js';
import { ratingCommentMaxLength } from './wire.js';

/** 1 (very unhappy) to 5 (very happy). */
export const RatingScore = z.number().int().min(1).max(5);

/** The visitor's words with a rating: control characters removed, trimmed; empty means none. */
export const RatingComment = z
  .string()
  .max(4 * ratingCommentMaxLength, `must be at most ${ratingCommentMaxLength} characters`)
  .transform((v) => stripControlCharacters(v).trim())
  .pipe(
    z.string().max(ratingCommentMaxLength, `must be at most ${ratingCommentMaxLength} characters`),
  );

// ---- POST /api/v1/conversations/:id/rating (its visitor, once, after it ended)
export const RateConversationRequest = z
  .object({ score: RatingScore, comment: RatingComment.optional() })
  .strict();
export type RateConversationRequest = z.input<typeof RateConversationRequest>;

/** How the visitor rated a conversation (satisfaction, CSAT). */
export const ConversationRating = z.object({
  score: RatingScore,
  /** Null: no comment. */
  comment: z.string().nullable(),
  createdAt: Timestamp,
});
export type ConversationRating = z.infer<typeof ConversationRating>;

export const RatingResponse = z.object({ rating: ConversationRating });
export type RatingResponse = z.infer<typeof RatingResponse>;
