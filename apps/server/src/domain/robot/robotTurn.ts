import type { HandoffReason, RobotChoice } from '@servicesystem/protocol';
import { randomUUID } from 'node:crypto';
import type { StoredMessage } from '../../db/messages/messageStore.js';
import type { Kysely } from 'kysely';
import type { AttachmentSnapshot, Database } from '../../db/schema.js';
import type { DomainContext } from '../context.js';
import { findConversationOrThrow, viewOf } from '../conversations/conversationViews.js';
import type { DomainEvent, Outcome } from '../events.js';
import { snapshotOf } from '../presenters/file.js';
import { recordWebhookEvents } from '../webhooks/recordWebhookEvents.js';
import { handOff } from './handOff.js';
import { localeOfText, suggestionsOf } from './knowledge.js';
import { visitorLocale } from './visitorLocale.js';
import { asksForPerson, matchThresholds, smallTalkOf, type KnowledgeItem } from './matcher.js';
import type { ModelOutcome, ModelTurn } from './model/robotModel.js';
import {
  appendRobotMessage,
  robotChannelColumns,
  robotMeta,
  type RobotChannel,
} from './robotMessages.js';

/** What a turn answers: a visitor's message in a conversation the robot held when it was sent,
 * and the choice it was sent with, if any. */
export interface RobotTurnInput {
  message: StoredMessage;
  choice?: string | undefined;
}

/** How a turn talks while it works: publishes events as they happen (streamed previews), and
 * the signal that says the conversation left the robot meanwhile. */
export interface TurnIO {
  publish(events: DomainEvent[]): void;
  signal: AbortSignal;
}

/** Previews of a streamed answer at most this often (about ten a second). */
const streamEveryMs = 100;
/** How much of the conversation the model reads. */
const historyMessages = 20;

/**
 * The robot's turn after a visitor's message (robotTurns.ts runs it after the send commits,
 * never inside it). Reads the conversation again: no longer the robot's, the robot says
 * nothing. Then, in order: the visitor asks for a person (the "Talk to a person" choice, or
 * words like 转人工) → hand over; an image or video → hand over; a "did you mean" choice →
 * that entry's answer; the channel answers only the opening message and this is a later one →
 * hand over; else the matcher decides: an answer (from the language model when one is
 * configured and the knowledge holds something close), up to three choices, or a handoff.
 * Answers the events written; streamed previews go out through `io` as they come.
 */
export async function robotTurn(
  ctx: DomainContext,
  input: RobotTurnInput,
  io: TurnIO,
): Promise<Outcome<void>> {
  const { message, choice } = input;
  const conversationId = message.conversation_id;
  const silent: Outcome<void> = { value: undefined, events: [] };
  const conversation = await findConversationOrThrow(ctx.db, conversationId);
  if (conversation.state !== 'robot') return silent;
  const channel = await ctx.db
    .selectFrom('channels')
    .select(robotChannelColumns)
    .where('id', '=', conversation.channel_id)
    .executeTakeFirstOrThrow();
  const hand = async (reason: HandoffReason): Promise<Outcome<void>> => {
    const { events } = await handOff(ctx, conversationId, reason);
    return { value: undefined, events };
  };

  if (choice === 'handoff' || (message.type === 'text' && asksForPerson(message.body))) {
    return hand('requested');
  }
  if (message.type === 'image' || message.type === 'video') return hand('media');
  const index = await ctx.robotKnowledge.indexFor(channel.id);
  // A pick from "did you mean" continues the question it answers, so it is answered even where
  // the robot answers only the opening message.
  const picked = choice !== undefined ? index.find(choice) : undefined;
  if (picked) return answerFrom(ctx, conversationId, channel, picked);
  if (channel.robot_every_message === 0 && (await askedBefore(ctx, message))) {
    return hand('followUp');
  }
  const decision = index.decide(message.body);
  const talk = decision.outcome === 'answer' ? null : smallTalkOf(message.body);
  if (talk) return answerSmallTalk(ctx, conversationId, channel, talk, message.body, index.items);
  const retrieved = decision.matches.filter((m) => m.score >= matchThresholds.possible);
  if (ctx.robotModel && retrieved.length > 0) {
    return answerWithModel(
      ctx,
      conversation.visitor_id,
      conversationId,
      channel,
      retrieved.map((m) => m.item),
      io,
    );
  }
  switch (decision.outcome) {
    case 'answer':
      return answerFrom(ctx, conversationId, channel, decision.answer!.item);
    case 'choices':
      return offerChoices(
        ctx,
        conversationId,
        channel,
        // The phrasing that came closest: in the visitor's words and language.
        decision.choices.map((c) => ({ entryId: c.item.id, question: c.question })),
      );
    case 'handoff':
      return hand('unanswered');
  }
}

/** Whether the visitor wrote in this conversation before this message. */
async function askedBefore(ctx: DomainContext, message: StoredMessage): Promise<boolean> {
  const earlier = await ctx.db
    .selectFrom('messages')
    .select('id')
    .where('conversation_id', '=', message.conversation_id)
    .where('sender_type', '=', 'visitor')
    .where('seq', '<', message.seq)
    .limit(1)
    .executeTakeFirst();
  return earlier !== undefined;
}

/** Writes one robot message while the conversation is still the robot's, with its events
 * (nothing when it is not). */
async function say(
  ctx: DomainContext,
  conversationId: string,
  write: (trx: Kysely<Database>) => Promise<StoredMessage | undefined>,
  after: DomainEvent[] = [],
): Promise<Outcome<void>> {
  return ctx.transaction(async (trx) => {
    const message = await write(trx);
    if (!message) return { value: undefined, events: [] };
    const view = await viewOf(trx, conversationId);
    const events: DomainEvent[] = [{ type: 'message.created', view, message }];
    await recordWebhookEvents(ctx, trx, events);
    // The stream's end goes out with the stored message, after it.
    for (const event of after)
      events.push(event.type === 'robot.stream' ? { ...event, view } : event);
    return { value: undefined, events };
  });
}

/** An entry's answer as it is: an FAQ entry's image goes with it; a saved reply's placeholders
 * name the visitor and the robot. */
async function answerFrom(
  ctx: DomainContext,
  conversationId: string,
  channel: RobotChannel,
  item: KnowledgeItem,
): Promise<Outcome<void>> {
  let text = item.answer;
  if (item.source === 'savedReply') {
    const visitor = await ctx.db
      .selectFrom('conversations as c')
      .innerJoin('visitors as v', 'v.id', 'c.visitor_id')
      .select('v.name')
      .where('c.id', '=', conversationId)
      .executeTakeFirstOrThrow();
    text = text
      .replaceAll('{visitor.name}', visitor.name)
      .replaceAll('{agent.name}', channel.robot_name || defaultRobotName(text));
  }
  const attachment = item.imageFileId ? await imageOf(ctx, item.imageFileId) : undefined;
  return say(ctx, conversationId, (trx) =>
    appendRobotMessage(
      ctx,
      trx,
      conversationId,
      channel,
      text,
      robotMeta('answer', { source: item.source, entryId: item.id }),
      attachment,
    ),
  );
}

/** An entry's image, if it is still there (an image deleted since answers without it). */
async function imageOf(
  ctx: DomainContext,
  fileId: string,
): Promise<AttachmentSnapshot | undefined> {
  const file = await ctx.db
    .selectFrom('files')
    .selectAll()
    .where('id', '=', fileId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return file && file.kind === 'image' ? snapshotOf(file) : undefined;
}

/** The robot's words for small talk, in the language the visitor wrote in. */
const smallTalkWords = {
  greeting: {
    'zh-CN': '您好！请直接输入您的问题，或点选下面的常见问题。',
    en: 'Hi! Type your question, or pick one below.',
  },
  thanks: {
    'zh-CN': '不客气！还有其他问题可以继续问我，需要人工服务请点「转人工」。',
    en: 'You are welcome! Ask me anything else, or choose “Talk to a person”.',
  },
} as const;

/** A greeting is greeted back with the channel's first questions as suggestions; thanks are
 * acknowledged. Neither hands over, and neither counts as an answer. */
function answerSmallTalk(
  ctx: DomainContext,
  conversationId: string,
  channel: RobotChannel,
  talk: 'greeting' | 'thanks',
  text: string,
  items: readonly KnowledgeItem[],
): Promise<Outcome<void>> {
  const locale = localeOfText(text);
  const choices = talk === 'greeting' ? suggestionsOf(items, locale) : [];
  return say(ctx, conversationId, (trx) =>
    appendRobotMessage(
      ctx,
      trx,
      conversationId,
      channel,
      smallTalkWords[talk][locale],
      robotMeta('greeting', { choices }),
    ),
  );
}

/** "Did you mean": the server's English words in the body; clients show their own. */
function offerChoices(
  ctx: DomainContext,
  conversationId: string,
  channel: RobotChannel,
  choices: RobotChoice[],
): Promise<Outcome<void>> {
  return say(ctx, conversationId, (trx) =>
    appendRobotMessage(
      ctx,
      trx,
      conversationId,
      channel,
      `Did you mean: ${choices.map((c) => c.question).join(' / ')}`,
      robotMeta('choices', { choices }),
    ),
  );
}

/**
 * The language model answers from what the matcher retrieved, streaming: the visitor and the
 * console see the text grow (`robot.stream`, at most about ten previews a second), then the
 * stored message (`done`). Unsure or failed: the preview is dropped (`abandoned`) and the
 * robot hands over. The conversation leaving the robot meanwhile aborts the call
 * (`io.signal`): the preview is dropped and nothing is stored.
 */
async function answerWithModel(
  ctx: DomainContext,
  visitorId: string,
  conversationId: string,
  channel: RobotChannel,
  knowledge: KnowledgeItem[],
  io: TurnIO,
): Promise<Outcome<void>> {
  const model = ctx.robotModel!;
  const streamId = randomUUID();
  const streamView = await viewOf(ctx.db, conversationId);
  const stream = (text: string, state: 'writing' | 'done' | 'abandoned'): DomainEvent => ({
    type: 'robot.stream',
    view: streamView,
    payload: { conversationId, streamId, text, state },
  });
  let lastSent = 0;
  let latest = '';
  let pending: NodeJS.Timeout | undefined;
  const flush = () => {
    pending = undefined;
    lastSent = Date.now();
    if (!io.signal.aborted) io.publish([stream(latest, 'writing')]);
  };
  const onText = (text: string) => {
    latest = text;
    if (pending) return;
    const wait = lastSent + streamEveryMs - Date.now();
    if (wait <= 0) flush();
    else pending = setTimeout(flush, wait);
  };
  const outcome = await model
    .answer({
      instruction: channel.robot_instruction,
      knowledge,
      history: await historyOf(ctx, conversationId),
      locale: await visitorLocale(ctx.db, visitorId),
      onText,
      signal: io.signal,
    })
    // It should never throw; if it does, the visitor is handed over rather than left waiting.
    .catch((error: unknown): ModelOutcome => ({
      kind: 'failed',
      reason: 'error',
      detail: error instanceof Error ? error.message : String(error),
    }));
  if (pending) clearTimeout(pending);
  const abandoned: Outcome<void> = { value: undefined, events: [stream(latest, 'abandoned')] };
  if (io.signal.aborted) return abandoned;
  if (outcome.kind !== 'answer') {
    const handed = await handOff(
      ctx,
      conversationId,
      outcome.kind === 'unsure' ? 'modelUnsure' : 'modelFailed',
    );
    return { value: undefined, events: [...abandoned.events, ...handed.events] };
  }
  const said = await say(
    ctx,
    conversationId,
    (trx) =>
      appendRobotMessage(
        ctx,
        trx,
        conversationId,
        channel,
        outcome.text,
        robotMeta('answer', { source: 'model', streamId }),
      ),
    [stream(outcome.text, 'done')],
  );
  // Handed over or ended while the model wrote: the preview goes, nothing was stored.
  return said.events.length > 0 ? said : abandoned;
}

/** The conversation as the model reads it: the newest messages with words, oldest first. */
async function historyOf(ctx: DomainContext, conversationId: string): Promise<ModelTurn[]> {
  const newest = await ctx.messages.page(ctx.db, {
    conversationId,
    bound: 'newest',
    seq: 0,
    limit: historyMessages,
  });
  const turns: ModelTurn[] = [];
  for (const m of newest.reverse()) {
    if (m.sender_type === 'system' || m.body.trim() === '' || m.redacted_at !== null) continue;
    turns.push({ role: m.sender_type, text: m.body });
  }
  return turns;
}

/** The name clients show for a robot without one, for a saved reply that names "the agent". */
function defaultRobotName(text: string): string {
  return localeOfText(text) === 'zh-CN' ? '智能助手' : 'Assistant';
}
