import type { Kysely } from 'kysely';
import type { ConversationRatingsTable, Database } from '../../db/schema.js';

/** The ratings of these conversations (those rated), in one query. */
export async function ratingsOfConversations(
  db: Kysely<Database>,
  conversationIds: readonly string[],
): Promise<Map<string, ConversationRatingsTable>> {
  if (conversationIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('conversation_ratings')
    .selectAll()
    .where('conversation_id', 'in', [...new Set(conversationIds)])
    .execute();
  return new Map(rows.map((row) => [row.conversation_id, row]));
}
