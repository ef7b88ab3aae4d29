import { type Conversation, type Message, type VisitorConversation } from '@servicesystem/protocol';
import { sql, type Kysely } from 'kysely';
import { isUniqueViolation } from '../../db/errors.js';
import { timeOrderedId } from '../../db/ids.js';
import type { FileUrls } from '../../auth/fileUrls.js';
import {
  type ConversationsTable,
  type Database,
  type MessagesTable,
  type VisitorsTable,
  visitorColumns,
} from '../../db/schema.js';
import { attachmentFor } from '../files/attachmentFor.js';
import type { Actor, AccountActor, DomainContext, VisitorActor } from '../context.js';
import { AppError, notFound } from '../errors.js';
import type { DomainEvent, Outcome } from '../events.js';
import { authorize, conversationPolicy } from '../policies.js';
import { presentConversationFor } from '../presenters/conversation.js';
import { presentMessageFor } from '../presenters/message.js';
import { drainQueue, inRoutingTransaction, nextQueueOrder } from '../routing.js';
import {
  appendInOneStatement,
  appendMessageOrThrow,
  appendToConversation,
  messageRow,
  systemSender,
} from './appendMessage.js';
import { keepPrepared, prepared } from '../../db/prepared.js';
import type { RunWrite } from '../../db/writes.js';
import { isChannelOpen } from '../channels/channelOpen.js';
import {
  completeView,
  findConversationOrThrow,
  viewOf,
  type ConversationView,
} from './conversationViews.js';

export type SendMessageInput = { conversationId?: string | undefined; clientMsgId: string } & (
  { type: 'text'; body: string } | { type: 'image' | 'video'; fileId: string; body: string }
);

export interface Sent {
  message: Message;
  conversation: Conversation | VisitorConversation;
  /** False when this was a retry of a send that had already been stored. */
  created: boolean;
}

/**
 * A visitor or an agent sends a message. Idempotent on (sender, clientMsgId): a retry answers
 * the stored message and writes nothing. A visitor without an open conversation starts one
 * (welcome or off-hours message, then routing). The answer is given only after commit.
 */
export async function sendMessage(
  ctx: DomainContext,
  actor: Actor,
  input: SendMessageInput,
): Promise<Outcome<Sent>> {
  const senderId = actor.kind === 'visitor' ? actor.visitorId : actor.accountId;
  if (actor.kind === 'visitor') refuseFlood(ctx, actor.visitorId);
  try {
    // Checked before the transaction: on SQLite a query outside it would wait for it forever.
    const content = await contentOf(ctx, actor, input);
    const written =
      actor.kind === 'visitor'
        ? await sendAsVisitor(ctx, actor, input, content)
        : await sendAsAgent(ctx, actor, input, content);
    if ('retryOf' in written) {
      return { value: await answerRetry(ctx, actor, written.retryOf), events: [] };
    }
    return {
      value: answer(actor, written.message, written.view, true, ctx.fileUrls),
      events: written.events,
    };
  } catch (error) {
    // Two copies of one send raced: the other committed first. Answer its message.
    if (!isUniqueViolation(error)) throw error;
    const winner = await findBySenderAndClientId(ctx.db, senderId, input.clientMsgId);
    if (!winner) throw error;
    return { value: await answerRetry(ctx, actor, winner), events: [] };
  }
}

/**
 * How a send runs. On SQLite: in the group commit, reads and write in one transaction. On
 * PostgreSQL: without a transaction, because its one write is a single atomic statement whose
 * guard re-checks what the reads saw; this saves the BEGIN and COMMIT round trips.
 */
function sendSteps(ctx: DomainContext): {
  run: RunWrite;
  append: typeof appendToConversation;
} {
  return ctx.engine === 'postgres'
    ? { run: (work) => work(ctx.db), append: appendInOneStatement }
    : { run: ctx.write, append: appendToConversation };
}

/** One visitor cannot flood an agent: past their allowance, a send is refused before any work. */
function refuseFlood(ctx: DomainContext, visitorId: string): void {
  const waitMs = ctx.visitorMessages.take(visitorId);
  if (waitMs === 0) return;
  const retryAfterSeconds = Math.ceil(waitMs / 1000);
  throw new AppError(
    'RATE_LIMITED',
    `You are sending messages too fast. Try again in ${retryAfterSeconds} s.`,
    { retryAfterSeconds },
  );
}

/** What a send did, with the conversation as it stood at commit (loaded in the transaction, so
 * the answer needs no query after commit and acks leave in commit order); or, for a retry of a
 * send already stored, that message. */
type Written =
  | { message: MessagesTable; view: ConversationView; events: DomainEvent[] }
  | { retryOf: MessagesTable };

type Content = Awaited<ReturnType<typeof contentOf>>;

function answer(
  actor: Actor,
  message: MessagesTable,
  view: ConversationView,
  created: boolean,
  urls: FileUrls,
): Sent {
  return {
    message: presentMessageFor(actor, message, urls),
    conversation: presentConversationFor(actor, view, urls),
    created,
  };
}

async function answerRetry(
  ctx: DomainContext,
  actor: Actor,
  message: MessagesTable,
): Promise<Sent> {
  const view = await viewOf(ctx.db, message.conversation_id);
  // A retry after the conversation moved on (transferred away) shows nothing the sender may
  // no longer read.
  authorize(conversationPolicy.read(actor, view.conversation), 'This conversation is not yours');
  return answer(actor, message, view, false, ctx.fileUrls);
}

function findBySenderAndClientId(db: Kysely<Database>, senderId: string, clientMsgId: string) {
  return db
    .selectFrom('messages')
    .selectAll()
    .where('sender_id', '=', senderId)
    .where('client_msg_id', '=', clientMsgId)
    .executeTakeFirst();
}

/** An agent writes in the conversation they serve. One transaction reads and writes, so the
 * checks hold at commit. */
function sendAsAgent(
  ctx: DomainContext,
  actor: AccountActor,
  input: SendMessageInput,
  content: Content,
): Promise<Written> {
  const conversationId = input.conversationId;
  if (!conversationId) {
    throw new AppError('VALIDATION_FAILED', '"conversationId": required for agents', {
      issues: [{ path: 'conversationId', message: 'required for agents' }],
    });
  }
  const { run, append } = sendSteps(ctx);
  return run(async (trx): Promise<Written> => {
    const stored = await findBySenderAndClientId(trx, actor.accountId, input.clientMsgId);
    if (stored) return { retryOf: stored };
    const conversation = await findConversationOrThrow(trx, conversationId);
    authorize(conversationPolicy.read(actor, conversation), 'This conversation is not yours');
    if (conversation.state === 'ended') {
      throw new AppError('CONVERSATION_ENDED', 'This conversation has ended');
    }
    authorize(
      conversationPolicy.sendAsAgent(actor, conversation),
      actor.role === 'admin'
        ? 'Administrators watch conversations but do not write in them'
        : 'Only the assigned agent can write in this conversation',
    );
    const agent = await trx
      .selectFrom('accounts')
      .select(['id', 'display_name', 'avatar_url'])
      .where('id', '=', actor.accountId)
      .executeTakeFirstOrThrow();
    const appended = await append(trx, ctx.now(), {
      conversationId,
      sender: {
        type: 'agent',
        id: actor.accountId,
        name: agent.display_name,
        avatarUrl: agent.avatar_url,
      },
      ...content,
      clientMsgId: input.clientMsgId,
      guard: { states: ['active'], agentId: actor.accountId },
    });
    if (!appended) {
      throw new AppError('CONVERSATION_ENDED', 'This conversation has ended or was transferred');
    }
    const { message } = appended;
    const view = await completeView(trx, appended.conversation, { agent, lastMessage: message });
    return { message, view, events: [{ type: 'message.created', view, message }] };
  });
}

async function sendAsVisitor(
  ctx: DomainContext,
  actor: VisitorActor,
  input: SendMessageInput,
  content: Content,
): Promise<Written> {
  // Fast path, no routing lock: the visitor has an open conversation. The guard catches an end
  // that lands meanwhile on another node.
  if (ctx.engine === 'postgres') {
    const appended = await appendForVisitorOnPostgres(ctx, actor.visitorId, input, content);
    if (appended) return appended;
  }
  const { run, append } = sendSteps(ctx);
  const fast = await run(async (trx) => {
    const { visitor, open, storedId } = await visitorSendState(trx, actor.visitorId, input);
    if (storedId !== null) {
      const stored = await trx
        .selectFrom('messages')
        .selectAll()
        .where('id', '=', storedId)
        .executeTakeFirstOrThrow();
      return { written: { retryOf: stored } };
    }
    const message = { sender: visitorSender(visitor), ...content, clientMsgId: input.clientMsgId };
    if (!open) return { visitor, message };
    const done = await append(trx, ctx.now(), {
      ...message,
      conversationId: open.id,
      guard: { states: ['queued', 'active'] },
    });
    if (!done) return { visitor, message };
    const known = { visitor, agent: open.agent, lastMessage: done.message };
    const view = await completeView(trx, done.conversation, known);
    const written: Written = {
      message: done.message,
      view,
      events: [{ type: 'message.created', view, message: done.message }],
    };
    return { written };
  });
  if (fast.written !== undefined) return fast.written;
  const { visitor, message } = fast;

  return inRoutingTransaction(ctx, async (trx): Promise<Written> => {
    const events: DomainEvent[] = [];
    const now = ctx.now();
    const stillOpen = await openConversationOf(trx, actor.visitorId);
    if (stillOpen) {
      const row = await appendMessageOrThrow(trx, now, {
        ...message,
        conversationId: stillOpen.id,
      });
      const view = await viewOf(trx, stillOpen.id);
      events.push({ type: 'message.created', view, message: row });
      return { message: row, view, events };
    }

    // Time-ordered: a new conversation's messages go to the end of the (conversation, seq) index.
    const conversationId = timeOrderedId(now);
    await trx
      .insertInto('conversations')
      .values({
        id: conversationId,
        channel_id: visitor.channel_id,
        visitor_id: visitor.id,
        agent_id: null,
        state: 'queued',
        queue_order: await nextQueueOrder(trx),
        last_seq: 0,
        visitor_read_seq: 0,
        agent_read_seq: 0,
        created_at: now,
        assigned_at: null,
        first_response_at: null,
        ended_at: null,
        ended_by: null,
        last_activity_at: now,
      })
      .execute();
    const channel = await trx
      .selectFrom('channels')
      .select(['welcome_message', 'off_hours_message', 'business_hours'])
      .where('id', '=', visitor.channel_id)
      .executeTakeFirstOrThrow();
    const open = isChannelOpen(channel.business_hours, now);
    const greetingText = open ? channel.welcome_message : channel.off_hours_message;
    const written: MessagesTable[] = [];
    if (greetingText !== '') {
      written.push(
        await appendMessageOrThrow(trx, now, {
          conversationId,
          sender: systemSender(),
          type: 'system',
          body: greetingText,
          meta: { kind: open ? 'welcome' : 'offHours' },
        }),
      );
    }
    const own = await appendMessageOrThrow(trx, now, { ...message, conversationId });
    written.push(own);
    // Route first, then announce the greeting and the message with the conversation as routed:
    // the agent who takes it hears them live, not only what comes after.
    const routing: DomainEvent[] = [];
    await drainQueue(trx, ctx, routing);
    const routed = await viewOf(trx, conversationId);
    events.push({ type: 'conversation.updated', view: routed });
    for (const row of written) events.push({ type: 'message.created', view: routed, message: row });
    events.push(...routing);

    let final = routed;
    if (final.conversation.state === 'queued') {
      const position = final.queuePosition ?? 1;
      const queued = await appendMessageOrThrow(trx, now, {
        conversationId,
        sender: systemSender(),
        type: 'system',
        body: `All our agents are busy. You are number ${position} in the queue; please wait.`,
        meta: { kind: 'queued', position },
      });
      final = await viewOf(trx, conversationId);
      events.push({ type: 'message.created', view: final, message: queued });
    }
    return { message: own, view: final, events };
  });
}

/**
 * PostgreSQL: a visitor's message to their open conversation in one statement, one round trip.
 * The update finds the open conversation by visitor and takes its next seq (and its row lock);
 * the insert takes the seq and the visitor's name from it; the select answers the conversation,
 * the visitor and the agent. A retry of a stored send fails on the unique (sender, clientMsgId)
 * index, which undoes the whole statement; sendMessage then answers the stored message.
 * Undefined when the visitor has no open conversation.
 */
async function appendForVisitorOnPostgres(
  ctx: DomainContext,
  visitorId: string,
  input: SendMessageInput,
  content: Content,
): Promise<Written | undefined> {
  const now = ctx.now();
  const sender = { type: 'visitor' as const, id: visitorId, name: '', avatarUrl: null };
  const row = messageRow(
    { conversationId: '', sender, ...content, clientMsgId: input.clientMsgId },
    0,
    now,
  );
  const query = sql<{
    conversation: ConversationsTable;
    visitor: VisitorsTable;
    agent_id: string | null;
    agent_name: string | null;
    agent_avatar_url: string | null;
  }>`
    with c as (
      update conversations
      set last_seq = last_seq + 1, last_activity_at = ${now}, visitor_read_seq = last_seq + 1
      where visitor_id = ${visitorId} and state in ('queued', 'active')
      returning *
    ),
    v as (select * from visitors where id = ${visitorId}),
    m as (
      insert into messages (id, conversation_id, seq, sender_type, sender_id, sender_name,
        sender_avatar_url, type, body, meta, attachment_id, attachment, client_msg_id, created_at)
      select ${row.id}, c.id, c.last_seq, 'visitor', v.id, v.name, v.avatar_url, ${row.type},
        ${row.body}, ${row.meta}, ${row.attachment_id}, ${row.attachment}, ${row.client_msg_id},
        cast(${now} as bigint)
      from c cross join v
    )
    select row_to_json(c) as conversation, row_to_json(v) as visitor, a.id as agent_id,
      a.display_name as agent_name, a.avatar_url as agent_avatar_url
    from c cross join v left join accounts a on a.id = c.agent_id`.compile(ctx.db);
  // The text is the same for every send (values are parameters): PostgreSQL keeps it prepared.
  keepPrepared(query.sql);
  const found = (await ctx.db.executeQuery(query)).rows[0];
  if (!found) return undefined;
  const { conversation, visitor } = found;
  const message: MessagesTable = {
    ...row,
    conversation_id: conversation.id,
    seq: conversation.last_seq,
    sender_name: visitor.name,
    sender_avatar_url: visitor.avatar_url,
  };
  const agent =
    found.agent_id === null
      ? null
      : { id: found.agent_id, display_name: found.agent_name!, avatar_url: found.agent_avatar_url };
  const view = await completeView(ctx.db, conversation, { visitor, agent, lastMessage: message });
  return { message, view, events: [{ type: 'message.created', view, message }] };
}

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

async function visitorSendState(trx: Kysely<Database>, visitorId: string, input: SendMessageInput) {
  const [row] = await sendStateQuery(trx, { visitorId, clientMsgId: input.clientMsgId });
  if (!row) throw notFound('The visitor');
  const {
    open_id: openId,
    open_agent_id: agentId,
    open_agent_name: agentName,
    open_agent_avatar_url: agentAvatarUrl,
    stored_id: storedId,
    ...visitor
  } = row;
  const agent =
    agentId === null ? null : { id: agentId, display_name: agentName!, avatar_url: agentAvatarUrl };
  return {
    visitor: visitor satisfies VisitorsTable,
    open: openId === null ? null : { id: openId, agent },
    storedId,
  };
}

function visitorSender(visitor: VisitorsTable) {
  return {
    type: 'visitor' as const,
    id: visitor.id,
    name: visitor.name,
    avatarUrl: visitor.avatar_url,
  };
}

/** The type, body and (for images and videos) the attachment, checked: only the uploader may
 * send a file, and as its own kind. */
async function contentOf(ctx: DomainContext, actor: Actor, input: SendMessageInput) {
  if (input.type === 'text') return { type: input.type, body: input.body };
  return {
    type: input.type,
    body: input.body,
    attachment: await attachmentFor(ctx, actor, input.fileId, input.type),
  };
}

function openConversationOf(db: Kysely<Database>, visitorId: string) {
  return (
    db
      .selectFrom('conversations')
      .selectAll()
      .where('visitor_id', '=', visitorId)
      // A literal, not a parameter: it lets SQLite use the one-open-conversation partial index.
      .where('state', '!=', sql.lit('ended'))
      .executeTakeFirst()
  );
}
