import { sql, type Kysely, type RawBuilder } from 'kysely';
import { prepared } from '../prepared.js';
import {
  messageColumns,
  visitorColumns,
  type ConversationsTable,
  type Database,
  type MessagesTable,
} from '../schema.js';
import {
  advance,
  advanceValues,
  MessageStoreBase,
  newMessage,
  perShape,
  rowOf,
  shapeOf,
  type AdvanceValues,
} from './messageRows.js';
import type { Appended, NewMessage, VisitorAppend, VisitorMessage } from './messageStore.js';
import { messageSearchTerms } from '../search/searchIndex.js';
import {
  batchStatement,
  visitorShape,
  VisitorAppendBatches,
  type BatchedAppend,
  type BatchedRow,
} from './visitorAppendBatches.js';

type AppendValues = AdvanceValues &
  Omit<MessagesTable, 'seq'> & {
    /** The message's search terms, space separated ('' for none: nothing is indexed). */
    search_terms: string;
  };

/**
 * The insert of a message whose seq (and conversation) come from the advance `c`, as part of one
 * data-modifying statement; `from` overrides columns (the visitor variant takes the sender from
 * the visitor's row).
 */
function insertFromAdvance(
  slot: <K extends keyof AppendValues & string>(name: K) => AppendValues[K],
  from: Partial<Record<keyof MessagesTable, RawBuilder<unknown>>>,
  source: RawBuilder<unknown>,
) {
  const values = messageColumns.map(
    (column) =>
      from[column] ??
      (column === 'seq'
        ? sql.ref('c.last_seq')
        : column === 'conversation_id'
          ? sql.ref('c.id')
          : column === 'created_at'
            ? sql`cast(${slot('created_at')} as bigint)`
            : sql`${slot(column)}`),
  );
  return sql`insert into messages (${sql.join(messageColumns.map((column) => sql.ref(column)))})
    select ${sql.join(values)} from ${source}`;
}

/** The message's search entry, in the same statement (nothing when it has no terms). */
function indexFromAdvance(
  slot: <K extends keyof AppendValues & string>(name: K) => AppendValues[K],
  source: RawBuilder<unknown>,
) {
  return sql`insert into search_index (terms, kind, ref_id, conversation_id)
    select string_to_array(${slot('search_terms')}, ' '), 'message', ${slot('id')}, c.id
    from ${source} where ${slot('search_terms')} <> ''`;
}

/** An assigning append's stamp of the agent's `last_assigned_at`, when the advance wrote. */
function stampFromAdvance(
  slot: <K extends keyof AppendValues & string>(name: K) => AppendValues[K],
) {
  return sql`update accounts set last_assigned_at = cast(${slot('stamp')} as bigint)
    where id = ${slot('assignee')} and exists (select 1 from c)`;
}

/** The append as one statement: the insert reads the seq from the update. */
const appendStatement = perShape((shape) =>
  prepared<AppendValues, ConversationsTable>(
    (db, slot) => sql<ConversationsTable>`
      with c as (${advance(db, shape, slot)}),
      m as (${insertFromAdvance(slot, {}, sql`c`)}),
      s as (${indexFromAdvance(slot, sql`c`)})${
        shape.assigns
          ? sql`,
      a as (${stampFromAdvance(slot)})`
          : sql``
      }
      select * from c`,
  ),
);

/**
 * A visitor's message to their open conversation, one statement: the update finds the open
 * conversation by visitor and takes its next seq (and its row lock); the insert takes the seq
 * and the visitor's name from it; the select answers the conversation, the visitor and the agent.
 * Without an open conversation it writes nothing and answers the visitor alone, with the id of
 * the message this send stored before, if any: a first message needs no second read.
 */
const visitorAppendStatement = prepared<AppendValues, BatchedRow>(
  (db, slot) => sql<BatchedRow>`
    with c as (${advance(db, visitorShape, slot)}),
    v as (
      select ${sql.join(visitorColumns.map((column) => sql.ref(column)))}
      from visitors where id = ${slot('key')}
    ),
    m as (${insertFromAdvance(
      slot,
      {
        sender_id: sql.ref('v.id'),
        sender_name: sql.ref('v.name'),
        sender_avatar_url: sql.ref('v.avatar_url'),
      },
      sql`c cross join v`,
    )}),
    s as (${indexFromAdvance(slot, sql`c`)})
    select row_to_json(c) as conversation, row_to_json(v) as visitor, a.id as agent_id,
      a.display_name as agent_name, a.avatar_url as agent_avatar_url,
      case when c.id is null then (
        select id from messages where sender_id = v.id and client_msg_id = ${slot('client_msg_id')}
      ) end as stored_id
    from v left join c on true left join accounts a on a.id = c.agent_id`,
);

/**
 * PostgreSQL: an append is one data-modifying statement, atomic by itself, so a send needs no
 * transaction (one round trip instead of four), sent as a named prepared statement
 * (db/prepared.ts) so each connection plans it once.
 */
export class PostgresMessages extends MessageStoreBase {
  async append(
    db: Kysely<Database>,
    now: number,
    input: NewMessage,
  ): Promise<Appended | undefined> {
    const message = newMessage(input, 0, now);
    const [conversation] = await appendStatement(shapeOf(input))(db, {
      ...rowOf(message),
      ...advanceValues(input, now),
      search_terms: messageSearchTerms(message),
    });
    if (!conversation) return undefined;
    return { message: { ...message, seq: conversation.last_seq }, conversation };
  }

  /** Batches per database handle: the pool's sends share them (`VisitorAppendBatches`). */
  private readonly batches = new WeakMap<Kysely<Database>, VisitorAppendBatches>();

  /** One statement, whether or not the visitor has an open conversation; outside a transaction
   * it may carry other visitors' messages too. A retry whose conversation has ended reads its
   * stored message. */
  override async appendFromVisitor(
    db: Kysely<Database>,
    now: number,
    visitorId: string,
    content: VisitorMessage,
  ): Promise<VisitorAppend> {
    const sender = { type: 'visitor' as const, id: visitorId, name: '', avatarUrl: null };
    const message = newMessage({ ...content, conversationId: '', sender }, 0, now);
    const append: BatchedAppend = {
      visitorId,
      row: rowOf(message),
      searchTerms: messageSearchTerms(message),
    };
    let found: BatchedRow;
    if (db.isTransaction) {
      // A transaction's statements run in its order, on its connection: alone.
      found = await appendAlone(db, append);
    } else {
      let batches = this.batches.get(db);
      if (!batches) {
        batches = new VisitorAppendBatches(db, batchStatement(), appendAlone);
        this.batches.set(db, batches);
      }
      found = await batches.add(append);
    }
    const { conversation, visitor } = found;
    if (!visitor) return { kind: 'unknownVisitor' };
    if (!conversation) {
      // Nothing written: a retry of a message stored in a conversation that has ended since, or
      // the visitor's first message of a new conversation.
      if (found.stored_id !== null) {
        const stored = await this.findBySenderAndClientId(db, visitorId, content.clientMsgId);
        if (stored) return { kind: 'retry', stored };
      }
      return { kind: 'noOpenConversation', visitor };
    }
    const agent =
      found.agent_id === null
        ? null
        : {
            id: found.agent_id,
            display_name: found.agent_name!,
            avatar_url: found.agent_avatar_url,
          };
    return {
      kind: 'appended',
      message: {
        ...message,
        conversation_id: conversation.id,
        seq: conversation.last_seq,
        sender_name: visitor.name,
        sender_avatar_url: visitor.avatar_url,
      },
      conversation,
      visitor,
      agent,
    };
  }
}

/** No such visitor: the one-message statement answers no row. */
const unknownVisitor: BatchedRow = {
  conversation: null,
  visitor: null,
  agent_id: null,
  agent_name: null,
  agent_avatar_url: null,
  stored_id: null,
};

/** One visitor's message as the one-message statement. */
async function appendAlone(
  db: Kysely<Database>,
  { visitorId, row, searchTerms }: BatchedAppend,
): Promise<BatchedRow> {
  const [found] = await visitorAppendStatement(db, {
    ...row,
    key: visitorId,
    now: row.created_at,
    agentId: null,
    assignee: null,
    stamp: null,
    search_terms: searchTerms,
  });
  return found ?? unknownVisitor;
}
