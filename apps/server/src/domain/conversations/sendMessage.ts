import { type Conversation, type Message, type VisitorConversation } from '@servicesystem/protocol';
import type { FileUrls } from '../../auth/fileUrls.js';
import type { MessageContent, StoredMessage } from '../../db/messages/messageStore.js';
import { isUniqueViolation } from '../../db/errors.js';
import { attachmentFor } from '../files/attachmentFor.js';
import type { Actor, AccountActor, DomainContext, VisitorActor } from '../context.js';
import { AppError, notFound, rateLimited } from '../errors.js';
import { ownMessageCreated, type DomainEvent, type Outcome } from '../events.js';
import { authorize, conversationPolicy } from '../policies.js';
import { presentConversationFor } from '../presenters/conversation.js';
import { presentMessageFor } from '../presenters/message.js';
import { completeView, viewOf } from './conversationViews.js';
import { startConversation, type Started } from './startConversation.js';
import type { Kysely, Nullable } from 'kysely';
import { conversationColumns, type ConversationsTable, type Database } from '../../db/schema.js';
import { prepared } from '../../db/prepared.js';
import { mayMailReplies, queueReplyMail } from '../leftMessages/queueReplyMail.js';
import { recordWebhookEvents } from '../webhooks/recordWebhookEvents.js';

export type SendMessageInput = { conversationId?: string | undefined; clientMsgId: string } & (
  | { type: 'text'; body: string; choice?: string | undefined }
  | { type: 'image' | 'video'; fileId: string; body: string }
);

export interface Sent {
  message: Message;
  conversation: Conversation | VisitorConversation;
  /** False when this was a retry of a send that had already been stored. */
  created: boolean;
}

/** What a send wrote, with the conversation as it stood at commit (loaded in the transaction, so
 * the answer needs no query after commit and acks leave in commit order); or, for a retry of a
 * send already stored, that message. */
type Written = Started | { retryOf: StoredMessage };

/**
 * A visitor or an agent sends a message. Idempotent on (sender, clientMsgId): a retry answers
 * the stored message and writes nothing. A visitor without an open conversation starts one
 * (startConversation.ts), within the limit of new conversations per client address (`origin`).
 * The answer is given only after commit.
 */
export async function sendMessage(
  ctx: DomainContext,
  actor: Actor,
  input: SendMessageInput,
  origin: { ip: string },
): Promise<Outcome<Sent>> {
  const senderId = actor.kind === 'visitor' ? actor.visitorId : actor.accountId;
  if (actor.kind === 'visitor') refuseFlood(ctx, actor.visitorId);
  try {
    // Checked before the transaction: the upload is read through the outer handle.
    const content = await contentOf(ctx, actor, input);
    const written =
      actor.kind === 'visitor'
        ? await sendAsVisitor(ctx, actor, input.clientMsgId, content, origin)
        : await sendAsAgent(ctx, actor, input, content);
    if ('retryOf' in written) {
      return { value: await answerRetry(ctx, actor, written.retryOf), events: [] };
    }
    // A visitor's answer to the robot travels with the event to the robot's turn.
    const choice = actor.kind === 'visitor' && input.type === 'text' ? input.choice : undefined;
    return {
      value: answer(actor, written.message, written.view, true, ctx.fileUrls),
      events: choice
        ? written.events.map((e) =>
            e.type === 'message.created' && e.message.id === written.message.id
              ? { ...e, choice }
              : e,
          )
        : written.events,
    };
  } catch (error) {
    // Two copies of one send raced: the other committed first. Answer its message.
    if (!isUniqueViolation(error)) throw error;
    const winner = await ctx.messages.findBySenderAndClientId(ctx.db, senderId, input.clientMsgId);
    if (!winner) throw error;
    return { value: await answerRetry(ctx, actor, winner), events: [] };
  }
}

/** One visitor cannot flood an agent: past their allowance, a send is refused before any work. */
export function refuseFlood(ctx: DomainContext, visitorId: string): void {
  const waitMs = ctx.visitorSendLimit.take(visitorId);
  if (waitMs === 0) return;
  throw rateLimited(waitMs, (s) => `You are sending messages too fast. Try again in ${s} s.`);
}

function answer(
  actor: Actor,
  message: StoredMessage,
  view: Started['view'],
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
  message: StoredMessage,
): Promise<Sent> {
  const view = await viewOf(ctx.db, message.conversation_id);
  // A retry after the conversation moved on (transferred away) shows nothing the sender may
  // no longer read.
  authorize(conversationPolicy.read(actor, view.conversation), 'This conversation is not yours');
  return answer(actor, message, view, false, ctx.fileUrls);
}

/** What an agent's send reads before it writes, in one statement: the agent's name and avatar
 * (the message carries them), the conversation (all null when there is none), and the id of the
 * message this send already stored, if it is a retry. */
const agentSendState = prepared<
  { agentId: string; conversationId: string; clientMsgId: string },
  Nullable<ConversationsTable> & {
    sender_display_name: string;
    sender_avatar_url: string | null;
    stored_id: string | null;
  }
>((db, slot) =>
  db
    .selectFrom('accounts as a')
    .leftJoin('conversations as c', (join) => join.on('c.id', '=', slot('conversationId')))
    .select(conversationColumns.map((column) => `c.${column}` as const))
    .select(['a.display_name as sender_display_name', 'a.avatar_url as sender_avatar_url'])
    .select((eb) =>
      eb
        .selectFrom('messages as m')
        .select('m.id')
        .where('m.sender_id', '=', slot('agentId'))
        .where('m.client_msg_id', '=', slot('clientMsgId'))
        .as('stored_id'),
    )
    .where('a.id', '=', slot('agentId')),
);

/** An agent writes in the conversation they serve. The append's guard re-checks at the write that
 * the conversation is still active and theirs. */
async function sendAsAgent(
  ctx: DomainContext,
  actor: AccountActor,
  input: SendMessageInput,
  content: MessageContent,
): Promise<Written> {
  const conversationId = input.conversationId;
  if (!conversationId) {
    throw new AppError('VALIDATION_FAILED', '"conversationId": required for agents', {
      issues: [{ path: 'conversationId', message: 'required for agents' }],
    });
  }
  // A reply to a left message may owe the visitor a mail, and an endpoint may want the message
  // as a webhook event: such a write takes a real transaction, so the message and its outbox or
  // delivery rows commit together. Every other send is one statement.
  const hooked = ctx.webhooks.wants('message.created');
  const write =
    (full: boolean) =>
    async (trx: Kysely<Database>): Promise<Written | 'needsTransaction'> => {
      // One read: the sender's name, the conversation, whether this send is a retry.
      const [state] = await agentSendState(trx, {
        agentId: actor.accountId,
        conversationId,
        clientMsgId: input.clientMsgId,
      });
      if (!state) throw new Error('The sending account no longer exists');
      const {
        sender_display_name: displayName,
        sender_avatar_url: avatarUrl,
        stored_id: storedId,
        ...found
      } = state;
      if (storedId !== null) {
        const stored = await ctx.messages.findBySenderAndClientId(
          trx,
          actor.accountId,
          input.clientMsgId,
        );
        if (stored) return { retryOf: stored };
      }
      if (found.id === null) throw notFound('The conversation');
      const conversation = found as ConversationsTable;
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
      if (!full && mayMailReplies(ctx, conversation)) return 'needsTransaction';
      const agent = { id: actor.accountId, display_name: displayName, avatar_url: avatarUrl };
      const appended = await ctx.messages.append(trx, ctx.now(), {
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
      if (full) await queueReplyMail(ctx, trx, conversationId, message.created_at);
      const view = await completeView(trx, appended.conversation, { agent, lastMessage: message });
      const events = [ownMessageCreated(view, message)];
      if (hooked) await recordWebhookEvents(ctx, trx, events);
      return { message, view, events };
    };
  const written = await ctx.transaction(write(false), { singleStatement: !hooked });
  if (written !== 'needsTransaction') return written;
  const again = await ctx.transaction(write(true));
  if (again === 'needsTransaction') throw new Error('a full transaction was asked for again');
  return again;
}

/** Fresh visitors opening conversation after conversation from one address would reach every
 * agent; the per-visitor message limit cannot see them (CONVERSATIONS_PER_ADDRESS_PER_MINUTE). */
export async function refuseNewConversationFlood(ctx: DomainContext, ip: string): Promise<void> {
  const waitMs = await ctx.conversationLimit.take(ip);
  if (waitMs > 0) {
    throw rateLimited(
      waitMs,
      (s) => `Too many new conversations from this address. Try again in ${s} s.`,
    );
  }
}

/** A visitor writes in their open conversation (no routing lock: the append's guard catches an
 * end that lands meanwhile, even on another node), or starts one. */
async function sendAsVisitor(
  ctx: DomainContext,
  actor: VisitorActor,
  clientMsgId: string,
  content: MessageContent,
  origin: { ip: string },
): Promise<Written> {
  const message = { ...content, clientMsgId };
  // An endpoint that wants messages: a real transaction, so its delivery row commits with it.
  const hooked = ctx.webhooks.wants('message.created');
  const sent = await ctx.transaction(
    async (trx) => {
      const result = await ctx.messages.appendFromVisitor(trx, ctx.now(), actor.visitorId, message);
      if (result.kind !== 'appended') return result;
      const known = { visitor: result.visitor, agent: result.agent, lastMessage: result.message };
      const view = await completeView(trx, result.conversation, known);
      if (hooked) await recordWebhookEvents(ctx, trx, [ownMessageCreated(view, result.message)]);
      return { kind: 'written' as const, view, message: result.message };
    },
    { singleStatement: !hooked },
  );
  switch (sent.kind) {
    case 'unknownVisitor':
      throw notFound('The visitor');
    case 'retry':
      return { retryOf: sent.stored };
    case 'noOpenConversation': {
      await refuseNewConversationFlood(ctx, origin.ip);
      return startConversation(ctx, sent.visitor, message);
    }
    case 'written': {
      const { view, message: own } = sent;
      const events: DomainEvent[] = [ownMessageCreated(view, own)];
      // The append brought a hidden (snoozed) conversation back: the console hears it.
      if (view.conversation.woken_seq === own.seq) {
        events.push({ type: 'conversation.updated', view, consoleOnly: true });
      }
      return { message: own, view, events };
    }
  }
}

/** The type, body and (for images and videos) the attachment, checked: only the uploader may
 * send a file, and as its own kind. */
async function contentOf(
  ctx: DomainContext,
  actor: Actor,
  input: SendMessageInput,
): Promise<MessageContent> {
  if (input.type === 'text') return { type: input.type, body: input.body };
  return {
    type: input.type,
    body: input.body,
    attachment: await attachmentFor(ctx, actor, input.fileId, input.type),
  };
}
