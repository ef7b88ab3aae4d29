import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
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
): Promise<{ message: MessagesTable; conversation: ConversationsTable } | undefined> {
  const { sender, guard } = input;
  let update = trx
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
  const advanced = await update.returningAll().executeTakeFirst();
  if (!advanced) return undefined;
  const row: MessagesTable = {
    id: randomUUID(),
    conversation_id: input.conversationId,
    seq: advanced.last_seq,
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
  await trx.insertInto('messages').values(row).execute();
  return { message: row, conversation: advanced };
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
