import { sql, type Kysely } from 'kysely';
import { timeOrderedId } from '../../db/ids.js';
import { prepared, preparedInsert } from '../../db/prepared.js';
import { searchTerms } from '../../db/search/searchTerms.js';
import type { StoredMessage, VisitorMessage } from '../../db/messages/messageStore.js';
import { visitorSender } from '../../db/messages/messageRows.js';
import {
  conversationColumns,
  type ChannelsTable,
  type ConversationsTable,
  type Database,
  type VisitorsTable,
} from '../../db/schema.js';
import { isChannelOpen } from '../channels/channelOpen.js';
import { firstText, parseTexts } from '../channels/channelTexts.js';
import type { DomainContext } from '../context.js';
import { ownMessageCreated, type DomainEvent } from '../events.js';
import { foldLeftMessage } from '../reports/foldLeftMessage.js';
import { drainQueue, issueQueueOrder, keepRoutingMemo, routingMemo } from '../routing.js';
import type { ConversationView } from './conversationViews.js';
import { viewOf } from './conversationViews.js';
import { appendSystemMessage } from './systemMessages.js';
import { AppError } from '../errors.js';
import {
  appendRobotMessage,
  robotApplies,
  robotChannelColumns,
  robotMeta,
  type RobotChannel,
} from '../robot/robotMessages.js';
import { loadKnowledge, suggestionsOf } from '../robot/knowledge.js';
import { visitorLocale } from '../robot/visitorLocale.js';
import { recordWebhookEvents, type WebhookCause } from '../webhooks/recordWebhookEvents.js';

/** The contact a visitor leaves with a message when nobody can answer (leaveMessage.ts). */
export interface LeftContact {
  name: string;
  email: string | null;
  phone: string | null;
  locale: 'zh-CN' | 'en';
  timeZone: string;
  /** Replies go to `email` by mail. */
  emailReplies: boolean;
}

export interface Started {
  /** The visitor's own message. */
  message: StoredMessage;
  view: ConversationView;
  events: DomainEvent[];
}

/**
 * A visitor's message without an open conversation: under the routing lock, starts one (the
 * channel's welcome or off-hours text, then the message), routes it, and tells a queued visitor
 * their place. Should another send have opened one meanwhile, the message goes there instead.
 *
 * When the channel's robot takes it (mode `first`, or `offHours` while the channel is closed),
 * the conversation starts in state `robot` instead: no agent, not routed, the robot's greeting
 * in place of the welcome text, no queue notice. The robot answers after commit (robotTurns.ts).
 *
 * With `left`, a left message: a `message` conversation with the visitor's contact, without the
 * greeting or the queue notice (the page confirms it itself), refused while the visitor has a
 * conversation open. An anonymous visitor takes the name they gave.
 */
export function startConversation(
  ctx: DomainContext,
  visitor: VisitorsTable,
  content: VisitorMessage,
  left?: LeftContact,
): Promise<Started> {
  return ctx.transaction(
    async (trx) => {
      const started = await start(trx);
      // Done without error: the next new conversation in this transaction may keep the memo.
      keepRoutingMemo(trx);
      return started;
    },
    { lock: 'routing' },
  );

  async function start(trx: Kysely<Database>): Promise<Started> {
    const now = ctx.now();
    // One read: the visitor's open conversation if another send opened one meanwhile, their
    // channel, and the last arrival number in the queue.
    const [channel] = await channelForStart(trx, {
      channelId: visitor.channel_id,
      visitorId: visitor.id,
    });
    if (!channel) throw new Error(`channel ${visitor.channel_id} not found`);
    const stillOpen = channel.open_id === null ? undefined : { id: channel.open_id };
    if (stillOpen && left) {
      throw new AppError(
        'CONVERSATION_OPEN',
        'You have a conversation going: write in it instead of leaving a message',
      );
    }
    if (left && visitor.external_id === null && visitor.name !== left.name) {
      await trx
        .updateTable('visitors')
        .set({ name: left.name, updated_at: now })
        .where('id', '=', visitor.id)
        .execute();
      visitor = { ...visitor, name: left.name, updated_at: now };
    }
    const message = { ...content, sender: visitorSender(visitor) };
    if (stillOpen) {
      const appended = await ctx.messages.append(trx, now, {
        ...message,
        conversationId: stillOpen.id,
      });
      if (!appended) throw new Error(`conversation ${stillOpen.id} vanished`);
      const view = await viewOf(trx, stillOpen.id);
      const own = appended.message;
      const events = [ownMessageCreated(view, own)];
      await recordWebhookEvents(ctx, trx, events);
      return { message: own, view, events };
    }

    // Time-ordered: a new conversation's messages go to the end of the (conversation, seq)
    // index.
    const conversationId = timeOrderedId(now);
    const robot = !left && robotApplies(channel, now);
    const row = newConversation({
      id: conversationId,
      channel_id: visitor.channel_id,
      visitor_id: visitor.id,
      state: robot ? 'robot' : 'queued',
      // Taken now even for the robot (the column is required and orders nothing until queued):
      // a handoff takes the back of the queue again.
      queue_order: issueQueueOrder(channel.latest_queued, now),
      created_at: now,
      kind: left ? 'message' : 'chat',
    });
    await insertConversation(trx, row);
    if (left) {
      await trx
        .insertInto('left_messages')
        .values({
          conversation_id: conversationId,
          name: left.name,
          email: left.email,
          phone: left.phone,
          locale: left.locale,
          time_zone: left.timeZone,
          email_replies: left.emailReplies ? 1 : 0,
          mailed_seq: 0,
          created_at: now,
        })
        .execute();
      await foldLeftMessage(ctx, trx, {
        id: conversationId,
        channelId: visitor.channel_id,
        createdAt: now,
      });
    }
    // The visitor's name and external id find the conversation in search.
    await ctx.search.add(trx, {
      kind: 'visitor',
      refId: conversationId,
      conversationId,
      terms: searchTerms(
        `${visitor.name} ${visitor.external_id ?? ''} ${left?.email ?? ''} ${left?.phone ?? ''}`,
      ),
    });
    const written = left
      ? []
      : robot
        ? await greetAsRobot(ctx, trx, conversationId, channel, visitor.id)
        : await greet(ctx, trx, conversationId, channel, now);
    const appended = await ctx.messages.append(trx, now, { ...message, conversationId });
    if (!appended) throw new Error(`conversation ${conversationId} vanished`);
    const own = appended.message;
    // Route first, then announce the greeting and the message with the conversation as routed:
    // the agent who takes it hears them live, not only what comes after.
    const routing: DomainEvent[] = [];
    if (!robot) {
      await drainQueue(trx, ctx, routing, await routingMemo(trx), {
        conversationId,
        lastMessage: own,
        // Nobody was queued when it was read above, under the lock: this one is the head.
        ...(channel.latest_queued === null ? { alone: { conversation: row, visitor } } : {}),
      });
    }
    // Assigned just now: the assignment's event carries the view as it stands.
    const routed =
      routing.findLast(
        (e): e is Extract<DomainEvent, { type: 'conversation.updated' }> =>
          e.type === 'conversation.updated' && e.view.conversation.id === conversationId,
      )?.view ?? (await viewOf(trx, conversationId));
    const events: DomainEvent[] = [{ type: 'conversation.updated', view: routed }];
    for (const row of written) events.push({ type: 'message.created', view: routed, message: row });
    events.push(ownMessageCreated(routed, own));
    events.push(...routing);

    const causes: WebhookCause[] = [{ type: 'conversation.created', view: routed }];
    if (left) causes.push({ type: 'left_message.created', view: routed, message: own });
    if (routed.conversation.state !== 'queued' || left || robot) {
      await recordWebhookEvents(ctx, trx, events, causes);
      return { message: own, view: routed, events };
    }
    const queued = await appendSystemMessage(ctx, trx, now, conversationId, {
      kind: 'queued',
      position: routed.queuePosition ?? 1,
      reason: routed.queueReason ?? 'busy',
    });
    const final = await viewOf(trx, conversationId);
    events.push({ type: 'message.created', view: final, message: queued });
    await recordWebhookEvents(ctx, trx, events, causes);
    return { message: own, view: final, events };
  }
}

/** The channel's welcome text, or its off-hours text out of hours; nothing when it is empty. */
async function greet(
  ctx: DomainContext,
  trx: Kysely<Database>,
  conversationId: string,
  channel: Pick<ChannelsTable, 'welcome_message' | 'off_hours_message' | 'business_hours'>,
  now: number,
): Promise<StoredMessage[]> {
  const open = isChannelOpen(channel.business_hours, now);
  const texts = parseTexts(open ? channel.welcome_message : channel.off_hours_message);
  const text = firstText(texts);
  if (text === '') return [];
  const meta = open ? { kind: 'welcome' as const, texts } : { kind: 'offHours' as const, texts };
  return [await appendSystemMessage(ctx, trx, now, conversationId, meta, text)];
}

/** The robot's greeting with up to three questions the channel's FAQ answers first (in the
 * visitor's language where an entry has a phrasing in it), as suggestions; nothing when there is
 * neither. */
async function greetAsRobot(
  ctx: DomainContext,
  trx: Kysely<Database>,
  conversationId: string,
  channel: RobotChannel,
  visitorId: string,
): Promise<StoredMessage[]> {
  // In the visitor's language when their page said which, else the channel's first.
  const texts = parseTexts(channel.robot_greeting);
  const locale = await visitorLocale(trx, visitorId);
  const choices = suggestionsOf(await loadKnowledge(trx, channel.id), locale);
  const text = (locale && texts[locale]) || firstText(texts);
  if (text === '' && choices.length === 0) return [];
  const greeting = await appendRobotMessage(
    ctx,
    trx,
    conversationId,
    channel,
    text,
    robotMeta('greeting', { choices }),
  );
  if (!greeting) throw new Error(`conversation ${conversationId} vanished`);
  return [greeting];
}

/** A new conversation's row: nothing read, nothing assigned yet. */
function newConversation(
  values: Pick<
    ConversationsTable,
    'id' | 'channel_id' | 'visitor_id' | 'state' | 'queue_order' | 'created_at' | 'kind'
  >,
): ConversationsTable {
  return {
    ...values,
    agent_id: null,
    last_seq: 0,
    visitor_read_seq: 0,
    agent_read_seq: 0,
    agent_unread: 0,
    visitor_unread: 0,
    preview_seq: 0,
    assigned_at: null,
    first_response_at: null,
    ended_at: null,
    ended_by: null,
    last_activity_at: values.created_at,
    snoozed_at: null,
    snoozed_until: null,
    woken_seq: 0,
    robot_replies: 0,
    handed_off_at: null,
    handoff_reason: null,
  };
}

/** Writes a new conversation's row. */
const insertConversation = preparedInsert<ConversationsTable>('conversations', conversationColumns);

const channelForStart = prepared<
  { channelId: string; visitorId: string },
  RobotChannel &
    Pick<ChannelsTable, 'welcome_message' | 'off_hours_message'> & {
      open_id: string | null;
      latest_queued: number | null;
    }
>((db, slot) =>
  db
    .selectFrom('channels')
    .select([...robotChannelColumns, 'welcome_message', 'off_hours_message'])
    .select((eb) => [
      eb
        .selectFrom('conversations')
        .select('id')
        .where('visitor_id', '=', slot('visitorId'))
        // A literal, not a parameter: it lets SQLite use the one-open-conversation partial index.
        .where('state', '!=', sql.lit('ended'))
        .limit(1)
        .as('open_id'),
      eb
        .selectFrom('conversations')
        .select((inner) => inner.fn.max('queue_order').as('latest'))
        .where('state', '=', sql.lit('queued'))
        .as('latest_queued'),
    ])
    .where('id', '=', slot('channelId')),
);
