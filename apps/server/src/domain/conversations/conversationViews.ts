import type { Kysely } from 'kysely';
import { newestMessagesOf, storedOf } from '../../db/messages/messageRows.js';
import type { StoredMessage } from '../../db/messages/messageStore.js';
import { prepared } from '../../db/prepared.js';
import {
  conversationColumns,
  messageColumns,
  type AccountsTable,
  type ConversationRatingsTable,
  type ConversationsTable,
  type Database,
  type LeftMessagesTable,
  type MessagesTable,
  type VisitorsTable,
} from '../../db/schema.js';
import { leftMessagesOf } from '../leftMessages/leftMessageRows.js';
import type { QueueReason } from '@servicesystem/protocol';
import { anyAgentOnline } from '../agents/agentPresence.js';
import { isChannelOpen } from '../channels/channelOpen.js';
import { notFound } from '../errors.js';
import { labelsOfConversations, type ConversationLabelRow } from '../labels/labelRows.js';
import { ratingsOfConversations } from '../ratings/ratingRows.js';

/** A conversation with what any presenter needs: its visitor, agent and newest message. */
export interface ConversationView {
  conversation: ConversationsTable;
  visitor: VisitorsTable;
  agent: Pick<AccountsTable, 'id' | 'display_name' | 'avatar_url'> | null;
  lastMessage: StoredMessage | null;
  /** 1-based place in the queue while queued, else null. */
  queuePosition: number | null;
  /** Why it waits, while queued; else null. */
  queueReason: QueueReason | null;
  /** Its labels, by name; undefined where a message's write built the view (a message never
   * changes them, and the hot path asks nothing more). */
  labels?: ConversationLabelRow[];
  /** Its visitor's rating (null: none yet); undefined where a message's write built the view. */
  rating?: ConversationRatingsTable | null;
  /** The contact a visitor left with a `message` conversation; null for a chat. */
  leftMessage: LeftMessagesTable | null;
}

/**
 * Why queued conversations wait, per channel: some agent is online but all are at their caps
 * (`busy`); nobody is online (`nobodyOnline`), and the channel is outside its hours
 * (`offHours`). One query for the agents, one for the channels.
 */
export async function queueReasonsOf(
  db: Kysely<Database>,
  channelIds: readonly string[],
  now = Date.now(),
): Promise<Map<string, QueueReason>> {
  const reasons = new Map<string, QueueReason>();
  if (channelIds.length === 0) return reasons;
  if (await anyAgentOnline(db)) {
    for (const id of channelIds) reasons.set(id, 'busy');
    return reasons;
  }
  const channels = await db
    .selectFrom('channels')
    .select(['id', 'business_hours'])
    .where('id', 'in', [...new Set(channelIds)])
    .execute();
  for (const channel of channels) {
    reasons.set(
      channel.id,
      isChannelOpen(channel.business_hours, now) ? 'nobodyOnline' : 'offHours',
    );
  }
  return reasons;
}

function queuedChannels(conversations: readonly ConversationsTable[]): string[] {
  return [...new Set(conversations.filter((c) => c.state === 'queued').map((c) => c.channel_id))];
}

/** Completes conversation rows into views with a handful of queries, whatever their number. */
export async function viewsOf(
  db: Kysely<Database>,
  conversations: ConversationsTable[],
): Promise<ConversationView[]> {
  if (conversations.length === 0) return [];
  const visitorIds = [...new Set(conversations.map((c) => c.visitor_id))];
  const agentIds = [
    ...new Set(conversations.map((c) => c.agent_id).filter((id): id is string => id !== null)),
  ];
  const [visitors, agents, lastMessages, queued, reasons, labels, ratings, left] =
    await Promise.all([
      db.selectFrom('visitors').selectAll().where('id', 'in', visitorIds).execute(),
      agentIds.length === 0
        ? Promise.resolve([])
        : db
            .selectFrom('accounts')
            .select(['id', 'display_name', 'avatar_url'])
            .where('id', 'in', agentIds)
            .execute(),
      newestMessagesOf(db, conversations),
      conversations.some((c) => c.state === 'queued')
        ? db
            .selectFrom('conversations')
            .select('id')
            .where('state', '=', 'queued')
            .orderBy('queue_order')
            .execute()
        : Promise.resolve([]),
      queueReasonsOf(db, queuedChannels(conversations)),
      labelsOfConversations(
        db,
        conversations.map((c) => c.id),
      ),
      ratingsOfConversations(
        db,
        conversations.filter((c) => c.state === 'ended').map((c) => c.id),
      ),
      leftMessagesOf(db, conversations),
    ]);
  const visitorById = new Map(visitors.map((v) => [v.id, v]));
  const agentById = new Map(agents.map((a) => [a.id, a]));
  const messageByConversation = new Map(lastMessages.map((m) => [m.conversation_id, m]));
  const positionById = new Map(queued.map((q, index) => [q.id, index + 1]));
  return conversations.map((conversation) => ({
    conversation,
    visitor: visitorById.get(conversation.visitor_id)!,
    agent: conversation.agent_id ? (agentById.get(conversation.agent_id) ?? null) : null,
    lastMessage: messageByConversation.get(conversation.id) ?? null,
    queuePosition: positionById.get(conversation.id) ?? null,
    queueReason:
      conversation.state === 'queued' ? (reasons.get(conversation.channel_id) ?? 'busy') : null,
    labels: labels.get(conversation.id) ?? [],
    rating: ratings.get(conversation.id) ?? null,
    leftMessage: left.get(conversation.id) ?? null,
  }));
}

const conversationById = prepared<{ id: string }, ConversationsTable>((db, slot) =>
  db.selectFrom('conversations').select(conversationColumns).where('id', '=', slot('id')),
);

export async function findConversationOrThrow(
  db: Kysely<Database>,
  id: string,
): Promise<ConversationsTable> {
  const [row] = await conversationById(db, { id });
  if (!row) throw notFound('The conversation');
  return row;
}

// One conversation's view, as `viewsOf` builds it for many, with statements compiled once:
// routing and every action build this view several times per conversation.
const visitorById = prepared<{ id: string }, VisitorsTable>((db, slot) =>
  db.selectFrom('visitors').selectAll().where('id', '=', slot('id')),
);
const agentById = prepared<{ id: string }, NonNullable<ConversationView['agent']>>((db, slot) =>
  db
    .selectFrom('accounts')
    .select(['id', 'display_name', 'avatar_url'])
    .where('id', '=', slot('id')),
);
const messageAt = prepared<{ conversationId: string; seq: number }, MessagesTable>((db, slot) =>
  db
    .selectFrom('messages')
    .select(messageColumns)
    .where('conversation_id', '=', slot('conversationId'))
    .where('seq', '=', slot('seq')),
);
const queuedAhead = prepared<{ order: number }, { ahead: number }>((db, slot) =>
  db
    .selectFrom('conversations')
    .select((eb) => eb.fn.countAll<number>().as('ahead'))
    .where('state', '=', 'queued')
    .where('queue_order', '<=', slot('order')),
);
const labelsOf = prepared<{ id: string }, ConversationLabelRow>((db, slot) =>
  db
    .selectFrom('conversation_labels as cl')
    .innerJoin('labels as l', 'l.id', 'cl.label_id')
    .select(['l.id', 'l.name', 'l.color'])
    .where('cl.conversation_id', '=', slot('id'))
    .orderBy('l.name'),
);

export async function viewOf(db: Kysely<Database>, id: string): Promise<ConversationView> {
  const conversation = await findConversationOrThrow(db, id);
  const agentId = conversation.agent_id;
  const queued = conversation.state === 'queued';
  const [[visitor], agent, lastMessage, ahead, reasons, labels, ratings, left] = await Promise.all([
    visitorById(db, { id: conversation.visitor_id }),
    agentId === null ? null : agentById(db, { id: agentId }).then(([row]) => row ?? null),
    conversation.preview_seq > 0
      ? messageAt(db, { conversationId: id, seq: conversation.preview_seq }).then(([row]) =>
          row ? storedOf(row) : null,
        )
      : null,
    queued ? queuedAhead(db, { order: conversation.queue_order }) : null,
    queueReasonsOf(db, queuedChannels([conversation])),
    labelsOf(db, { id }),
    ratingsOfConversations(db, conversation.state === 'ended' ? [id] : []),
    leftMessagesOf(db, [conversation]),
  ]);
  return {
    conversation,
    visitor: visitor!,
    agent,
    lastMessage,
    queuePosition: ahead ? Number(ahead[0]?.ahead ?? 0) : null,
    queueReason: queued ? (reasons.get(conversation.channel_id) ?? 'busy') : null,
    labels,
    rating: ratings.get(id) ?? null,
    leftMessage: left.get(id) ?? null,
  };
}

/**
 * The view of a conversation whose row the caller holds already, with what else it holds (the
 * visitor, the agent, the newest message): asks the database only for the rest.
 */
export async function completeView(
  db: Kysely<Database>,
  conversation: ConversationsTable,
  known: {
    visitor?: VisitorsTable;
    agent?: ConversationView['agent'];
    lastMessage?: StoredMessage;
  },
): Promise<ConversationView> {
  const agentId = conversation.agent_id;
  const [visitor, agent, lastMessage, queuePosition, reasons, left] = await Promise.all([
    known.visitor?.id === conversation.visitor_id
      ? known.visitor
      : db
          .selectFrom('visitors')
          .selectAll()
          .where('id', '=', conversation.visitor_id)
          .executeTakeFirstOrThrow(),
    agentId === null
      ? null
      : known.agent?.id === agentId
        ? known.agent
        : db
            .selectFrom('accounts')
            .select(['id', 'display_name', 'avatar_url'])
            .where('id', '=', agentId)
            .executeTakeFirst()
            .then((row) => row ?? null),
    known.lastMessage?.conversation_id === conversation.id &&
    known.lastMessage.seq === conversation.preview_seq
      ? known.lastMessage
      : newestMessagesOf(db, [conversation]).then((rows) => rows[0] ?? null),
    conversation.state === 'queued'
      ? db
          .selectFrom('conversations')
          .select((eb) => eb.fn.countAll<number>().as('ahead'))
          .where('state', '=', 'queued')
          .where('queue_order', '<=', conversation.queue_order)
          .executeTakeFirstOrThrow()
          .then((row) => Number(row.ahead))
      : null,
    queueReasonsOf(db, queuedChannels([conversation])),
    leftMessagesOf(db, [conversation]),
  ]);
  const queueReason =
    conversation.state === 'queued' ? (reasons.get(conversation.channel_id) ?? 'busy') : null;
  return {
    conversation,
    visitor,
    agent,
    lastMessage,
    queuePosition,
    queueReason,
    leftMessage: left.get(conversation.id) ?? null,
  };
}

/**
 * `completeView`, with the labels and the rating as `viewOf` gives them: the view of a
 * conversation a write just changed (an assignment), from the row it returned and what it holds.
 */
export async function completeFullView(
  db: Kysely<Database>,
  conversation: ConversationsTable,
  known: Parameters<typeof completeView>[2] & {
    /** Known already: a conversation started in this transaction has none. */
    labels?: ConversationLabelRow[];
  },
): Promise<ConversationView> {
  const [view, labels, ratings] = await Promise.all([
    completeView(db, conversation, known),
    known.labels ?? labelsOf(db, { id: conversation.id }),
    ratingsOfConversations(db, conversation.state === 'ended' ? [conversation.id] : []),
  ]);
  return { ...view, labels, rating: ratings.get(conversation.id) ?? null };
}
