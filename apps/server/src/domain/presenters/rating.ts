import type { ConversationRating } from '@servicesystem/protocol';
import type { ConversationRatingsTable } from '../../db/schema.js';

/** A rating as console users and its visitor see it. */
export function presentRating(row: ConversationRatingsTable): ConversationRating {
  return { score: Number(row.score), comment: row.comment, createdAt: Number(row.created_at) };
}
