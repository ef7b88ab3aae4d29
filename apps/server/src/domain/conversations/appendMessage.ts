import { sql, type Kysely } from 'kysely';
import { timeOrderedId } from '../../db/ids.js';
import { prepared } from '../../db/prepared.js';
import {
  conversationColumns,
  type ConversationsTable,
  type Database,
  type MessagesTable,
} from '../../db/schema.js';
import type { AttachmentSnapshot } from '../presenters/file.js';

export interface NewMessage {
  conversationId: string;
  sender: {
    type: 'visitor' | 'agent' | 'system';
    id: string | null;
    name: string;
    avatarUrl: string | null;
  };
  type: MessagesTable['type'];
  body: string;
  meta?: Record<string, unknown>;
  /** Images and videos: the uploaded file. */
  attachment?: AttachmentSnapshot;
  clientMsgId?: string;
  /** Write only if the conversation is still in this state (and, for agents, still theirs). */
  guard?: { states: ConversationsTable['state'][]; agentId?: string };
}

/**
 * Writes a message with the conversation's next seq, or answers undefined when the guard no
 * longer holds (the conversation ended or moved meanwhile). The update takes the conversation's row
 * lock (PostgreSQL), so concurrent sends get 1, 2, 3... with no gap and no repeat. Sending also
 * reads: the sender's read position moves to their own message.
 */
export async function appendMessage(
  trx: Kysely<Database>,
  now: number,
  input: NewMessage,
): Promise<MessagesTable | undefined> {
  return (await appendToConversation(trx, now, input))?.message;
}

/** appendMessage, also answering the conversation row as the append left it. */
export async function appendToConversation(
  trx: Kysely<Database>,
  now: number,
  input: NewMessage,
): Promise<Appended | undefined> {
  const { sender, guard } = input;
  const shape = { senderType: sender.type, states: guard?.states, byAgent: !!guard?.agentId };
  const [advanced] = await preparedAdvance(shape)(trx, {
    id: input.conversationId,
    now,
    agentId: guard?.agentId ?? null,
  });
  if (!advanced) return undefined;
  const message = messageRow(input, advanced.last_seq, now);
  await insertMessage(trx, message);
  return { message, conversation: advanced };
}

/**
 * PostgreSQL: the same append as one statement (the insert reads the seq from the update in a
 * data-modifying CTE), atomic by itself: no transaction, so one round trip instead of four.
 */
export async function appendInOneStatement(
  db: Kysely<Database>,
  now: number,
  input: NewMessage,
): Promise<Appended | undefined> {
  const message = messageRow(input, 0, now);
  const columns = Object.keys(message) as (keyof MessagesTable)[];
  const values = columns.map((column) =>
    column === 'seq'
      ? sql.ref('c.last_seq')
      : column === 'created_at'
        ? sql`cast(${now} as bigint)`
        : sql`${message[column]}`,
  );
  const { rows } = await sql<ConversationsTable>`
    with c as (${advance(
      db,
      {
        senderType: input.sender.type,
        states: input.guard?.states,
        byAgent: !!input.guard?.agentId,
      },
      { id: input.conversationId, now, agentId: input.guard?.agentId ?? null },
    )}),
    m as (
      insert into messages (${sql.join(columns.map((column) => sql.ref(column)))})
      select ${sql.join(values)} from c
    )
    select * from c`.execute(db);
  const advanced = rows[0];
  if (!advanced) return undefined;
  return { message: { ...message, seq: Number(advanced.last_seq) }, conversation: advanced };
}

export interface Appended {
  message: MessagesTable;
  conversation: ConversationsTable;
}

/** Which update an append runs: by the sender's side and the guard. */
interface AdvanceShape {
  senderType: NewMessage['sender']['type'];
  states: ConversationsTable['state'][] | undefined;
  byAgent: boolean;
}

interface AdvanceValues {
  id: string;
  now: number;
  agentId: string | null;
}

/** Takes the conversation's next seq, if the guard holds; answers the updated row. */
function advance(db: Kysely<Database>, shape: AdvanceShape, values: AdvanceValues) {
  let update = db
    .updateTable('conversations')
    .set((eb) => ({
      last_seq: eb('last_seq', '+', 1),
      last_activity_at: values.now,
      ...(shape.senderType === 'visitor' ? { visitor_read_seq: eb('last_seq', '+', 1) } : {}),
      ...(shape.senderType === 'agent'
        ? {
            agent_read_seq: eb('last_seq', '+', 1),
            first_response_at: eb.fn.coalesce('first_response_at', eb.val(values.now)),
          }
        : {}),
    }))
    .where('id', '=', values.id);
  if (shape.states) update = update.where('state', 'in', shape.states);
  if (shape.byAgent) update = update.where('agent_id', '=', values.agentId);
  return update.returning(conversationColumns);
}

/** `advance`, compiled once per shape (appends are the hottest writes). */
const advanceByShape = new Map<string, ReturnType<typeof prepareAdvance>>();
function prepareAdvance(shape: AdvanceShape) {
  return prepared<{ id: string; now: number; agentId: string | null }, ConversationsTable>(
    (db, slot) =>
      advance(db, shape, { id: slot('id'), now: slot('now'), agentId: slot('agentId') }),
  );
}
function preparedAdvance(shape: AdvanceShape) {
  const key = `${shape.senderType}|${shape.states?.join(',') ?? '*'}|${shape.byAgent}`;
  let query = advanceByShape.get(key);
  if (!query) {
    query = prepareAdvance(shape);
    advanceByShape.set(key, query);
  }
  return query;
}

const insertMessage = prepared<MessagesTable, never>((db, slot) =>
  db.insertInto('messages').values({
    id: slot('id'),
    conversation_id: slot('conversation_id'),
    seq: slot('seq'),
    sender_type: slot('sender_type'),
    sender_id: slot('sender_id'),
    sender_name: slot('sender_name'),
    sender_avatar_url: slot('sender_avatar_url'),
    type: slot('type'),
    body: slot('body'),
    meta: slot('meta'),
    attachment_id: slot('attachment_id'),
    attachment: slot('attachment'),
    client_msg_id: slot('client_msg_id'),
    created_at: slot('created_at'),
  }),
);

export function messageRow(input: NewMessage, seq: number, now: number): MessagesTable {
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
    meta: input.meta ? JSON.stringify(input.meta) : null,
    attachment_id: input.attachment?.id ?? null,
    attachment: input.attachment ? JSON.stringify(input.attachment) : null,
    client_msg_id: input.clientMsgId ?? null,
    created_at: now,
  };
}

export function systemSender() {
  return { type: 'system' as const, id: null, name: 'System', avatarUrl: null };
}

/** For messages whose conversation is known to be writable (system messages inside a lock). */
export async function appendMessageOrThrow(
  trx: Kysely<Database>,
  now: number,
  input: NewMessage,
): Promise<MessagesTable> {
  const row = await appendMessage(trx, now, input);
  if (!row) throw new Error(`conversation ${input.conversationId} vanished`);
  return row;
}
