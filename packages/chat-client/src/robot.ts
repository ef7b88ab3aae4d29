import type {
  ConversationState,
  Locale,
  Message,
  RobotChoice,
  RobotMeta,
  RobotStreamPayload,
  VisitorSessionResponse,
} from '@servicesystem/protocol/wire';
import { textFor } from './notices.js';

/**
 * The robot first line as clients show it: the robot's name when the channel gave none, the
 * choices a visitor may tap, and the answer a language model is still writing (`robot.stream`).
 */

/** The robot's name when its channel left it empty (the server's default, per reader). */
export const defaultRobotName: Record<Locale, string> = {
  'zh-CN': '智能助手',
  en: 'Assistant',
};

/** A robot message's name as shown: its channel's, else the default in the reader's language. */
export function robotName(sender: Pick<Message['sender'], 'name'> | undefined, locale: Locale) {
  return sender?.name.trim() || defaultRobotName[locale];
}

/** The robot's meta of a message, or null for every other message. */
export function robotMetaOf(message: Message): RobotMeta | null {
  return message.type === 'robot' && message.meta?.kind === 'robot' ? message.meta : null;
}

/**
 * The choices a visitor may tap now: those of the conversation's latest robot message, while
 * the robot still holds the conversation; null when that message offers none. (The greeting is
 * written before the visitor's first message: its suggestions stay open until the robot's next
 * message.)
 */
export function openRobotChoices(
  messages: readonly Message[],
  state: ConversationState | undefined,
): { message: Message; choices: RobotChoice[] } | null {
  if (state !== 'robot') return null;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    const meta = robotMetaOf(m);
    if (meta) return meta.choices.length > 0 ? { message: m, choices: meta.choices } : null;
  }
  return null;
}

/** An answer being written: a robot bubble that grows until the stored message replaces it. */
export interface RobotPreview {
  readonly conversationId: string;
  readonly streamId: string;
  /** Everything written so far. */
  readonly text: string;
  /** `done`: finished, the stored message is on its way. */
  readonly state: 'writing' | 'done';
}

/** The stream ids whose stored messages a thread already holds. */
function storedStreamIds(messages: readonly Message[]): Set<string> {
  const ids = new Set<string>();
  for (const m of messages) {
    const streamId = robotMetaOf(m)?.streamId;
    if (streamId) ids.add(streamId);
  }
  return ids;
}

/**
 * The previews after a `robot.stream` event. `writing` and `done` replace the text (the event
 * carries all of it); `abandoned` drops the preview (a handoff follows); an event for an answer
 * already stored is late and changes nothing. Answers the same array when nothing changed.
 */
export function applyRobotStream(
  previews: readonly RobotPreview[],
  event: RobotStreamPayload,
  thread: readonly Message[],
): readonly RobotPreview[] {
  const others = previews.filter((p) => p.streamId !== event.streamId);
  if (event.state === 'abandoned' || storedStreamIds(thread).has(event.streamId)) {
    return others.length === previews.length ? previews : others;
  }
  const known = previews.find((p) => p.streamId === event.streamId);
  if (known && known.text === event.text && known.state === event.state) return previews;
  const next: RobotPreview = {
    conversationId: event.conversationId,
    streamId: event.streamId,
    text: event.text,
    state: event.state,
  };
  // Where it was, so two answers being written keep their order.
  return known ? previews.map((p) => (p === known ? next : p)) : [...previews, next];
}

/** The previews left once these stored messages are shown: each answer replaces its preview. */
export function dropStoredPreviews(
  previews: readonly RobotPreview[],
  stored: readonly Message[],
): readonly RobotPreview[] {
  if (previews.length === 0) return previews;
  const ids = storedStreamIds(stored);
  if (ids.size === 0) return previews;
  const left = previews.filter((p) => !ids.has(p.streamId));
  return left.length === previews.length ? previews : left;
}

/** The robot as the visitor session presents it when it takes new conversations now. */
export type SessionRobot = NonNullable<VisitorSessionResponse['channel']['robot']>;

/** The id of the greeting a page shows itself before the conversation starts. */
export const localGreetingId = 'robot-greeting';

/**
 * The robot's greeting as a page shows it before the first message: the message the server
 * writes when the conversation starts (the text in the reader's language, else the other; the
 * suggestions as its choices), not stored yet (seq 0). Null when the robot would greet with
 * nothing (the server then writes no greeting either).
 */
export function localRobotGreeting(
  robot: SessionRobot,
  locale: Locale,
  now = Date.now(),
): Message | null {
  const body = textFor(robot.greeting, locale);
  if (body === '' && robot.suggestions.length === 0) return null;
  return {
    id: localGreetingId,
    conversationId: '',
    seq: 0,
    sender: { type: 'robot', name: robot.name, avatarUrl: robot.avatarUrl },
    type: 'robot',
    body,
    attachment: null,
    meta: {
      kind: 'robot',
      reply: 'greeting',
      source: null,
      entryId: null,
      choices: robot.suggestions,
      streamId: null,
    },
    clientMsgId: null,
    createdAt: now,
  };
}

/**
 * Whether the page shows the robot's greeting itself (when the session says the robot takes
 * new conversations): while no conversation is going (none yet, or the last one ended), and
 * once one starts in the robot's hands, until its first message arrives. The greeting stored
 * with the conversation is written before anything else, so that first message takes the local
 * one's place in the same change, without a moment of none or of two; a conversation that did
 * not start with the robot (its mode changed meanwhile) shows its own first words instead.
 */
export function showsLocalGreeting(
  robot: SessionRobot | null,
  conversation: { state: ConversationState } | null,
  thread: readonly Message[],
): boolean {
  if (!robot) return false;
  if (!conversation || conversation.state === 'ended') return true;
  return conversation.state === 'robot' && thread.length === 0;
}
