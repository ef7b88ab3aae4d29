import type { RobotMeta, SystemMeta } from '@servicesystem/protocol';
import type { Kysely } from 'kysely';
import type { Engine } from '../connect.js';
import type {
  AccountsTable,
  AttachmentSnapshot,
  ConversationsTable,
  Database,
  MessagesTable,
  VisitorsTable,
} from '../schema.js';
import { PostgresMessages } from './postgresMessages.js';
import { SqliteMessages } from './sqliteMessages.js';

/**
 * Everything about appending, reading and paging messages that depends on the engine, behind one
 * interface. The domain calls `ctx.messages`; it never asks which engine runs.
 *
 * Every method takes the handle to run on: a transaction's (`trx`) inside a write, the outer one
 * for reads outside any write.
 */
export interface MessageStore {
  /**
   * Writes a message with the conversation's next seq, or answers undefined when the guard no
   * longer holds (the conversation ended or moved meanwhile). Taking the seq takes the
   * conversation's row lock (PostgreSQL), so concurrent sends get 1, 2, 3... with no gap and no
   * repeat. Sending also reads: the sender's read position moves to their own message, and an
   * agent's first message sets the conversation's first response time.
   */
  append(db: Kysely<Database>, now: number, input: NewMessage): Promise<Appended | undefined>;
  /**
   * A visitor's message to their open conversation, found by visitor. Answers what was written,
   * or the stored message when this is a retry of a send already stored, or that the visitor has
   * no open conversation (the caller then starts one under the routing lock). A retry may also
   * fail with the unique (sender, clientMsgId) violation: the caller answers the stored message.
   * Runs inside `ctx.transaction(work, { singleStatement: true })`.
   */
  appendFromVisitor(
    db: Kysely<Database>,
    now: number,
    visitorId: string,
    message: VisitorMessage,
  ): Promise<VisitorAppend>;
  /** The message a sender stored under `clientMsgId`, if any (retries are answered with it). */
  findBySenderAndClientId(
    db: Kysely<Database>,
    senderId: string,
    clientMsgId: string,
  ): Promise<StoredMessage | undefined>;
  /**
   * Up to `limit` messages of a conversation: `after` a seq, oldest first (what a reconnecting
   * client missed); `before` a seq, or the `newest`, newest first.
   */
  page(db: Kysely<Database>, query: PageRead): Promise<StoredMessage[]>;
}

export function createMessageStore(engine: Engine): MessageStore {
  return engine === 'postgres' ? new PostgresMessages() : new SqliteMessages();
}

export interface Sender {
  type: MessagesTable['sender_type'];
  id: string | null;
  name: string;
  avatarUrl: string | null;
}

/** What a message says: its type, text or caption, and (images, videos) the file. */
export interface MessageContent {
  type: MessagesTable['type'];
  body: string;
  /** System messages: what happened; robot messages: what kind of reply. */
  meta?: SystemMeta | RobotMeta;
  /** Images and videos: the uploaded file. */
  attachment?: AttachmentSnapshot;
}

export interface NewMessage extends MessageContent {
  conversationId: string;
  sender: Sender;
  clientMsgId?: string;
  /** Write only if the conversation is still in one of these states (and, with `agentId`,
   * still that agent's). */
  guard?: { states: ConversationsTable['state'][]; agentId?: string };
  /** The message records an assignment (a system notice): the same write makes the
   * conversation active and the agent's, and stamps the agent's `last_assigned_at` (routing's
   * tie-break) with `stamp`. One statement on PostgreSQL instead of three round trips. */
  assign?: { agentId: string; stamp: number };
}

export interface VisitorMessage extends MessageContent {
  clientMsgId: string;
}

/** A message as the domain handles it: the row, with `meta` and `attachment` parsed (once). */
export type StoredMessage = Omit<MessagesTable, 'meta' | 'attachment'> & {
  meta: SystemMeta | RobotMeta | null;
  attachment: AttachmentSnapshot | null;
};

export interface Appended {
  message: StoredMessage;
  /** The conversation row as the append left it. */
  conversation: ConversationsTable;
}

export type AgentSummary = Pick<AccountsTable, 'id' | 'display_name' | 'avatar_url'>;

export type VisitorAppend =
  | (Appended & { kind: 'appended'; visitor: VisitorsTable; agent: AgentSummary | null })
  | { kind: 'retry'; stored: StoredMessage }
  | { kind: 'noOpenConversation'; visitor: VisitorsTable }
  | { kind: 'unknownVisitor' };

export interface PageRead {
  conversationId: string;
  bound: 'after' | 'before' | 'newest';
  seq: number;
  limit: number;
}
