import type { Kysely } from 'kysely';
import { prepared } from '../prepared.js';
import type { ConversationsTable, Database } from '../schema.js';
import {
  advance,
  insertMessage,
  MessageStoreBase,
  newMessage,
  perShape,
  rowOf,
  shapeOf,
  type AdvanceValues,
} from './messageRows.js';
import type { Appended, NewMessage } from './messageStore.js';
import { messageSearchTerms, sqliteAdd } from '../search/searchIndex.js';

/** The seq advance, compiled once per shape. */
const advanceQuery = perShape((shape) =>
  prepared<AdvanceValues, ConversationsTable>((db, slot) =>
    advance(db, shape, { key: slot('key'), now: slot('now'), agentId: slot('agentId') }),
  ),
);

/**
 * SQLite: an append is two statements on the one connection, inside the group commit
 * (db/transactions.ts), where they run straight on the connection (db/direct.ts).
 */
export class SqliteMessages extends MessageStoreBase {
  async append(
    db: Kysely<Database>,
    now: number,
    input: NewMessage,
  ): Promise<Appended | undefined> {
    const [conversation] = await advanceQuery(shapeOf(input))(db, {
      key: input.conversationId,
      now,
      agentId: input.guard?.agentId ?? null,
    });
    if (!conversation) return undefined;
    const message = newMessage(input, conversation.last_seq, now);
    await insertMessage(db, rowOf(message));
    // Indexed for search in the same transaction: it is found as soon as it is acknowledged.
    const terms = messageSearchTerms(message);
    if (terms !== '') {
      await sqliteAdd(db, {
        kind: 'message',
        ref_id: message.id,
        conversation_id: message.conversation_id,
        terms,
      });
    }
    return { message, conversation };
  }
}
