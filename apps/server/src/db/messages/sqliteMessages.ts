import type { Kysely } from 'kysely';
import { prepared } from '../prepared.js';
import type { ConversationsTable, Database } from '../schema.js';
import {
  advance,
  advanceValues,
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
  prepared<AdvanceValues, ConversationsTable>((db, slot) => advance(db, shape, slot)),
);

/** Stamps an agent's `last_assigned_at`: an assigning append's second statement. */
const stampAssignment = prepared<{ assignee: string; stamp: number }, never>((db, slot) =>
  db
    .updateTable('accounts')
    .set({ last_assigned_at: slot('stamp') })
    .where('id', '=', slot('assignee')),
);

/**
 * SQLite: an append is two statements on the one connection, another when it assigns, and its
 * search entry at the group's end, inside the group commit (db/transactions.ts), where they run
 * straight on the connection (db/direct.ts).
 */
export class SqliteMessages extends MessageStoreBase {
  async append(
    db: Kysely<Database>,
    now: number,
    input: NewMessage,
  ): Promise<Appended | undefined> {
    const [conversation] = await advanceQuery(shapeOf(input))(db, advanceValues(input, now));
    if (!conversation) return undefined;
    if (input.assign) {
      await stampAssignment(db, { assignee: input.assign.agentId, stamp: input.assign.stamp });
    }
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
