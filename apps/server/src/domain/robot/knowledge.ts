import type { Locale, RobotChoice } from '@servicesystem/protocol';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { KnowledgeIndex, type KnowledgeItem } from './matcher.js';

/** How long a channel's index is trusted before it is read again: changes made on another node
 * reach this one within this time; changes made here are seen at once (`forget`). */
const freshMs = 2000;

/**
 * Each channel's knowledge, indexed for the matcher and held in memory: its enabled FAQ entries
 * in list order, then the shared saved replies marked for the robot (their title is the
 * question). Reading and indexing run once per channel per `freshMs` at most, not per message.
 */
export class RobotKnowledge {
  private readonly held = new Map<string, { at: number; index: Promise<KnowledgeIndex> }>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => number = Date.now,
  ) {}

  /** The channel's index, read again when older than `freshMs`. */
  indexFor(channelId: string): Promise<KnowledgeIndex> {
    const now = this.now();
    const held = this.held.get(channelId);
    if (held && now - held.at < freshMs) return held.index;
    const index = loadKnowledge(this.db, channelId).then((items) => new KnowledgeIndex(items));
    this.held.set(channelId, { at: now, index });
    // A failed read is not kept: the next ask tries again.
    index.catch(() => {
      if (this.held.get(channelId)?.index === index) this.held.delete(channelId);
    });
    return index;
  }

  /** After a change made on this node: the next ask reads again (one channel, or all: saved
   * replies are every channel's). */
  forget(channelId?: string): void {
    if (channelId === undefined) this.held.clear();
    else this.held.delete(channelId);
  }
}

/** What the robot of a channel knows, in the order "did you mean" breaks ties. */
export async function loadKnowledge(
  db: Kysely<Database>,
  channelId: string,
): Promise<KnowledgeItem[]> {
  const [entries, replies] = await Promise.all([
    db
      .selectFrom('faq_entries')
      .select(['id', 'questions', 'answer', 'image_file_id'])
      .where('channel_id', '=', channelId)
      .where('enabled', '=', 1)
      .orderBy('position')
      .execute(),
    db
      .selectFrom('saved_replies')
      .select(['id', 'title', 'body'])
      .where('owner_id', 'is', null)
      .where('robot_answer', '=', 1)
      .orderBy('shortcut')
      .execute(),
  ]);
  return [
    ...entries.map((e): KnowledgeItem => ({
      source: 'faq',
      id: e.id,
      questions: JSON.parse(e.questions) as string[],
      answer: e.answer,
      imageFileId: e.image_file_id,
    })),
    ...replies.map((r): KnowledgeItem => ({
      source: 'savedReply',
      id: r.id,
      questions: [r.title],
      answer: r.body,
      imageFileId: null,
    })),
  ];
}

/**
 * The phrasing of an item to show a reader: the first one written in their language (Han
 * characters for Chinese, none for English), else the first. A Chinese shop's entries often
 * carry an English phrasing too; an English visitor should be offered that one.
 */
export function phrasingFor(item: KnowledgeItem, locale: Locale | null): string {
  if (locale) {
    const chinese = locale === 'zh-CN';
    const fitting = item.questions.find((q) => /\p{Script=Han}/u.test(q) === chinese);
    if (fitting) return fitting;
  }
  return item.questions[0]!;
}

/** Up to three questions the robot suggests when it greets: the channel's first FAQ entries. */
export function suggestionsOf(
  items: readonly KnowledgeItem[],
  locale: Locale | null,
): RobotChoice[] {
  return items
    .filter((item) => item.source === 'faq')
    .slice(0, 3)
    .map((item) => ({ entryId: item.id, question: phrasingFor(item, locale) }));
}

/** The language of a visitor's own words: Chinese when they hold Han characters. */
export function localeOfText(text: string): Locale {
  return /\p{Script=Han}/u.test(text) ? 'zh-CN' : 'en';
}
