import { sql, type Kysely } from 'kysely';
import { timeOrderedId } from '../ids.js';
import { prepared, preparedInsert } from '../prepared.js';
import {
  conversationColumns,
  messageColumns,
  visitorColumns,
  type ConversationsTable,
  type Database,
  type MessagesTable,
  type VisitorsTable,
} from '../schema.js';
import type {
  Appended,
  MessageStore,
  NewMessage,
  PageRead,
  Sender,
  StoredMessage,
  VisitorAppend,
  VisitorMessage,
} from './messageStore.js';

/**
 * The pieces both engines' stores are built from: the message row, the seq advance, the insert,
 * the reads. Each store differs only in how an append reaches the database.
 */

/** A new message as the domain keeps it, and the row it is written as (JSON made once here). */
export function newMessage(input: NewMessage, seq: number, now: number): StoredMessage {
  const { sender } = input;
  return {
    id: timeOrderedId(now),
    conversation_id: input.conversationId,
    seq,
    sender_type: sender.type,
    sender_id: sender.id,
    sender_name: sender.name,
    sender_avatar_url: sender.avatarUrl,
    type: input.type,
    body: input.body,
    meta: input.meta ?? null,
    attachment_id: input.attachment?.id ?? null,
    attachment: input.attachment ?? null,
    client_msg_id: input.clientMsgId ?? null,
    created_at: now,
    redacted_at: null,
  };
}

export function rowOf(message: StoredMessage): MessagesTable {
  return {
    ...message,
    meta: message.meta ? JSON.stringify(message.meta) : null,
    attachment: message.attachment ? JSON.stringify(message.attachment) : null,
  };
}

/** A row read back: its JSON parsed, once. */
export function storedOf(row: MessagesTable): StoredMessage {
  return {
    ...row,
    meta: row.meta ? (JSON.parse(row.meta) as StoredMessage['meta']) : null,
    attachment: row.attachment ? (JSON.parse(row.attachment) as StoredMessage['attachment']) : null,
  };
}

export function visitorSender(visitor: VisitorsTable): Sender {
  return { type: 'visitor', id: visitor.id, name: visitor.name, avatarUrl: visitor.avatar_url };
}

/** Which seq advance an append runs: the conversation by id or the visitor's open one, the
 * sender's side, the guard. */
export interface AdvanceShape {
  by: 'id' | 'visitor';
  senderType: Sender['type'];
  states: ConversationsTable['state'][] | undefined;
  byAgent: boolean;
  /** The append also assigns the conversation (`NewMessage.assign`). */
  assigns: boolean;
}

export interface AdvanceValues {
  /** The conversation's id, or (by visitor) the visitor's. */
  key: string;
  now: number;
  agentId: string | null;
  /** With `assigns`: the agent who takes the conversation, and their new assignment stamp. */
  assignee: string | null;
  stamp: number | null;
}

/** The advance's values for `input`. */
export function advanceValues(input: NewMessage, now: number): AdvanceValues {
  return {
    key: input.conversationId,
    now,
    agentId: input.guard?.agentId ?? null,
    assignee: input.assign?.agentId ?? null,
    stamp: input.assign?.stamp ?? null,
  };
}

export function shapeOf(input: NewMessage): AdvanceShape {
  return {
    by: 'id',
    senderType: input.sender.type,
    states: input.guard?.states,
    byAgent: input.guard?.agentId !== undefined,
    assigns: input.assign !== undefined,
  };
}

export function shapeKey(shape: AdvanceShape): string {
  return `${shape.by}|${shape.senderType}|${shape.states?.join(',') ?? '*'}|${shape.byAgent}|${shape.assigns}`;
}

/** Takes the conversation's next seq, if the guard holds; answers the updated row. Built once
 * per shape for a prepared query (db/prepared.ts): its values are that query's `slot`s. */
export function advance(
  db: Kysely<Database>,
  shape: AdvanceShape,
  slot: <K extends keyof AdvanceValues & string>(name: K) => AdvanceValues[K],
) {
  const values = {
    key: slot('key'),
    now: slot('now'),
    agentId: slot('agentId'),
    assignee: slot('assignee'),
  };
  let update = db
    .updateTable('conversations')
    .set((eb) => ({
      last_seq: eb('last_seq', '+', 1),
      last_activity_at: values.now,
      // A visitor's, agent's or robot's message: what lists preview; the sender has read
      // everything, and the other side has one more unread. System notices move neither. The
      // robot writes for the agents' side to the visitor, but it is not a person: it never reads
      // for the agents nor sets the first response time.
      ...(shape.senderType === 'system' ? {} : { preview_seq: eb('last_seq', '+', 1) }),
      ...(shape.senderType === 'visitor'
        ? {
            visitor_read_seq: eb('last_seq', '+', 1),
            visitor_unread: eb.val(0),
            agent_unread: eb('agent_unread', '+', 1),
            // The visitor writes: a hidden (snoozed) conversation comes back, and the message
            // that brought it back is recorded, read from the row before this update.
            snoozed_at: sql<null>`null`,
            snoozed_until: sql<null>`null`,
            woken_seq: eb
              .case()
              .when('snoozed_at', 'is not', null)
              .then(eb('last_seq', '+', 1))
              .else(eb.ref('woken_seq'))
              .end(),
          }
        : {}),
      ...(shape.senderType === 'agent'
        ? {
            agent_read_seq: eb('last_seq', '+', 1),
            agent_unread: eb.val(0),
            visitor_unread: eb('visitor_unread', '+', 1),
            first_response_at: eb.fn.coalesce('first_response_at', eb.val(values.now)),
          }
        : {}),
      ...(shape.senderType === 'robot' ? { visitor_unread: eb('visitor_unread', '+', 1) } : {}),
      // The assignment notice: the conversation becomes the agent's (a snooze does not survive).
      ...(shape.assigns
        ? {
            state: sql.lit('active'),
            agent_id: values.assignee,
            assigned_at: values.now,
            snoozed_at: sql<null>`null`,
            snoozed_until: sql<null>`null`,
          }
        : {}),
    }))
    .where(shape.by === 'id' ? 'id' : 'visitor_id', '=', values.key);
  // Literals, not parameters: fixed per shape, and they let the planners use the
  // one-open-conversation partial index.
  if (shape.states)
    update = update.where(
      'state',
      'in',
      shape.states.map((s) => sql.lit(s)),
    );
  if (shape.byAgent) update = update.where('agent_id', '=', values.agentId);
  return update.returning(conversationColumns);
}

/** Compiled queries, one per shape (appends are the hottest writes). */
export function perShape<Q>(build: (shape: AdvanceShape) => Q): (shape: AdvanceShape) => Q {
  const byKey = new Map<string, Q>();
  return (shape) => {
    const key = shapeKey(shape);
    let query = byKey.get(key);
    if (!query) byKey.set(key, (query = build(shape)));
    return query;
  };
}

export const insertMessage = preparedInsert<MessagesTable>('messages', messageColumns);

function pageQuery(bound: PageRead['bound']) {
  return prepared<Omit<PageRead, 'bound'>, MessagesTable>((db, slot) => {
    let query = db
      .selectFrom('messages')
      .select(messageColumns)
      .where('conversation_id', '=', slot('conversationId'));
    if (bound === 'after') query = query.where('seq', '>', slot('seq'));
    if (bound === 'before') query = query.where('seq', '<', slot('seq'));
    return query.orderBy('seq', bound === 'after' ? 'asc' : 'desc').limit(slot('limit'));
  });
}

const pages = {
  after: pageQuery('after'),
  before: pageQuery('before'),
  newest: pageQuery('newest'),
};

const bySenderAndClientId = prepared<{ senderId: string; clientMsgId: string }, MessagesTable>(
  (db, slot) =>
    db
      .selectFrom('messages')
      .select(messageColumns)
      .where('sender_id', '=', slot('senderId'))
      .where('client_msg_id', '=', slot('clientMsgId')),
);

/**
 * In one query (one round trip on PostgreSQL): the visitor, their open conversation and its agent,
 * and the message this send already stored, if it is a retry.
 */
const sendStateQuery = prepared<{ visitorId: string; clientMsgId: string }, SendStateRow>(
  (db, slot) =>
    db
      .selectFrom('visitors as v')
      .leftJoin('conversations as c', (join) =>
        // A literal, not a parameter: it lets SQLite use the one-open-conversation partial index.
        join.onRef('c.visitor_id', '=', 'v.id').on('c.state', '!=', sql.lit('ended')),
      )
      .leftJoin('accounts as a', 'a.id', 'c.agent_id')
      .leftJoin('messages as m', (join) =>
        join
          .on('m.sender_id', '=', slot('visitorId'))
          .on('m.client_msg_id', '=', slot('clientMsgId')),
      )
      .select(visitorColumns.map((column) => `v.${column}` as const))
      .select([
        'c.id as open_id',
        'a.id as open_agent_id',
        'a.display_name as open_agent_name',
        'a.avatar_url as open_agent_avatar_url',
        'm.id as stored_id',
      ])
      .where('v.id', '=', slot('visitorId')),
);

type SendStateRow = VisitorsTable & {
  open_id: string | null;
  open_agent_id: string | null;
  open_agent_name: string | null;
  open_agent_avatar_url: string | null;
  stored_id: string | null;
};

/** What both stores share; each supplies how one append is written. */
export abstract class MessageStoreBase implements MessageStore {
  abstract append(
    db: Kysely<Database>,
    now: number,
    input: NewMessage,
  ): Promise<Appended | undefined>;

  async appendFromVisitor(
    db: Kysely<Database>,
    now: number,
    visitorId: string,
    message: VisitorMessage,
  ): Promise<VisitorAppend> {
    const [state] = await sendStateQuery(db, { visitorId, clientMsgId: message.clientMsgId });
    if (!state) return { kind: 'unknownVisitor' };
    const {
      open_id: openId,
      open_agent_id: agentId,
      open_agent_name: agentName,
      open_agent_avatar_url: agentAvatarUrl,
      stored_id: storedId,
      ...visitor
    } = state;
    if (storedId !== null) {
      const stored = await this.findBySenderAndClientId(db, visitorId, message.clientMsgId);
      if (stored) return { kind: 'retry', stored };
    }
    if (openId === null) return { kind: 'noOpenConversation', visitor };
    const appended = await this.append(db, now, {
      ...message,
      conversationId: openId,
      sender: visitorSender(visitor),
      guard: { states: ['queued', 'active', 'robot'] },
    });
    if (!appended) return { kind: 'noOpenConversation', visitor };
    const agent =
      agentId === null
        ? null
        : { id: agentId, display_name: agentName!, avatar_url: agentAvatarUrl };
    return { kind: 'appended', ...appended, visitor, agent };
  }

  async findBySenderAndClientId(
    db: Kysely<Database>,
    senderId: string,
    clientMsgId: string,
  ): Promise<StoredMessage | undefined> {
    const [row] = await bySenderAndClientId(db, { senderId, clientMsgId });
    return row && storedOf(row);
  }

  async page(db: Kysely<Database>, { bound, ...values }: PageRead): Promise<StoredMessage[]> {
    return (await pages[bound](db, values)).map(storedOf);
  }
}

/** The newest message of each conversation that has one (the same query on both engines). */
export async function newestMessagesOf(
  db: Kysely<Database>,
  conversations: readonly Pick<ConversationsTable, 'id' | 'preview_seq'>[],
): Promise<StoredMessage[]> {
  const withMessages = conversations.filter((c) => c.preview_seq > 0);
  if (withMessages.length === 0) return [];
  const rows = await db
    .selectFrom('messages')
    .select(messageColumns)
    .where((eb) =>
      eb.or(
        withMessages.map((c) =>
          eb.and([eb('conversation_id', '=', c.id), eb('seq', '=', c.preview_seq)]),
        ),
      ),
    )
    .execute();
  return rows.map(storedOf);
}
