import { type Conversation, type Message, type VisitorConversation } from '@servicesystem/protocol';
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { isUniqueViolation } from '../../db/errors.js';
import type { FileUrls } from '../../auth/fileUrls.js';
import type { Database, MessagesTable } from '../../db/schema.js';
import { attachmentFor } from '../files/attachmentFor.js';
import type { Actor, AccountActor, DomainContext, VisitorActor } from '../context.js';
import { AppError } from '../errors.js';
import type { DomainEvent, Outcome } from '../events.js';
import { authorize, conversationPolicy } from '../policies.js';
import { presentConversationFor } from '../presenters/conversation.js';
import { presentMessageFor } from '../presenters/message.js';
import { drainQueue, inRoutingTransaction, nextQueueOrder } from '../routing.js';
import { appendMessage, appendMessageOrThrow, systemSender } from './appendMessage.js';
import { isChannelOpen } from '../channels/channelOpen.js';
import { findConversationOrThrow, viewOf, type ConversationView } from './conversationViews.js';

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
  const stored = await findBySenderAndClientId(ctx.db, senderId, input.clientMsgId);
  if (stored) return { value: await answerRetry(ctx, actor, stored), events: [] };
  try {
    const written =
      actor.kind === 'visitor'
        ? await sendAsVisitor(ctx, actor, input)
        : await sendAsAgent(ctx, actor, input);
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

/** What a send did, with the conversation as it stood at commit (loaded in the transaction, so
 * the answer needs no query after commit and acks leave in commit order). */
interface Written {
  message: MessagesTable;
  view: ConversationView;
  events: DomainEvent[];
}

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

async function sendAsAgent(
  ctx: DomainContext,
  actor: AccountActor,
  input: SendMessageInput,
): Promise<Written> {
  if (!input.conversationId) {
    throw new AppError('VALIDATION_FAILED', '"conversationId": required for agents', {
      issues: [{ path: 'conversationId', message: 'required for agents' }],
    });
  }
  const conversation = await findConversationOrThrow(ctx.db, input.conversationId);
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
  const agent = await ctx.db
    .selectFrom('accounts')
    .select(['display_name', 'avatar_url'])
    .where('id', '=', actor.accountId)
    .executeTakeFirstOrThrow();
  // Checked before the transaction: on SQLite a query outside it would wait for it forever.
  const content = await contentOf(ctx, actor, input);
  return ctx.db.transaction().execute(async (trx) => {
    const message = await appendMessage(trx, ctx.now(), {
      conversationId: conversation.id,
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
    if (!message) {
      throw new AppError('CONVERSATION_ENDED', 'This conversation has ended or was transferred');
    }
    const view = await viewOf(trx, conversation.id);
    return { message, view, events: [{ type: 'message.created', view, message }] };
  });
}

async function sendAsVisitor(
  ctx: DomainContext,
  actor: VisitorActor,
  input: SendMessageInput,
): Promise<Written> {
  const visitor = await ctx.db
    .selectFrom('visitors')
    .selectAll()
    .where('id', '=', actor.visitorId)
    .executeTakeFirstOrThrow();
  const sender = {
    type: 'visitor' as const,
    id: visitor.id,
    name: visitor.name,
    avatarUrl: visitor.avatar_url,
  };
  const message = {
    sender,
    ...(await contentOf(ctx, actor, input)),
    clientMsgId: input.clientMsgId,
  };

  const open = await openConversationOf(ctx.db, actor.visitorId);
  if (open) {
    // Fast path: no routing lock. The guard catches an end that lands meanwhile.
    const appended = await ctx.db.transaction().execute(async (trx) => {
      const row = await appendMessage(trx, ctx.now(), {
        ...message,
        conversationId: open.id,
        guard: { states: ['queued', 'active'] },
      });
      return row ? { message: row, view: await viewOf(trx, open.id) } : undefined;
    });
    if (appended) {
      const { message: row, view } = appended;
      return { message: row, view, events: [{ type: 'message.created', view, message: row }] };
    }
  }

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

    const conversationId = randomUUID();
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
  return db
    .selectFrom('conversations')
    .selectAll()
    .where('visitor_id', '=', visitorId)
    .where('state', '!=', 'ended')
    .executeTakeFirst();
}
