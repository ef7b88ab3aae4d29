import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { ConversationsTable, Database, MessagesTable } from '../../db/schema.js';
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
  const advanced = await advance(trx, now, input).executeTakeFirst();
  if (!advanced) return undefined;
  const message = messageRow(input, advanced.last_seq, now);
  await trx.insertInto('messages').values(message).execute();
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
    with c as (${advance(db, now, input)}),
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

/** Takes the conversation's next seq, if the guard holds; answers the updated row. */
function advance(db: Kysely<Database>, now: number, input: NewMessage) {
  const { sender, guard } = input;
  let update = db
    .updateTable('conversations')
    .set((eb) => ({
      last_seq: eb('last_seq', '+', 1),
      last_activity_at: now,
      ...(sender.type === 'visitor' ? { visitor_read_seq: eb('last_seq', '+', 1) } : {}),
      ...(sender.type === 'agent'
        ? {
            agent_read_seq: eb('last_seq', '+', 1),
            first_response_at: eb.fn.coalesce('first_response_at', eb.val(now)),
          }
        : {}),
    }))
    .where('id', '=', input.conversationId);
  if (guard) update = update.where('state', 'in', guard.states);
  if (guard?.agentId) update = update.where('agent_id', '=', guard.agentId);
  return update.returningAll();
}

export function messageRow(input: NewMessage, seq: number, now: number): MessagesTable {
  const { sender } = input;
  return {
    id: randomUUID(),
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
