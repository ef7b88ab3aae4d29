/**
 * The robot's matcher: which of a channel's questions a visitor's text asks, in Chinese or
 * English, with no dependency. Pure: the knowledge comes in, a decision goes out.
 *
 * Text becomes terms: words from `Intl.Segmenter` (Node ships full ICU, so Chinese is segmented
 * into words), plus every pair of neighbouring Han characters. The pairs make Chinese robust to
 * the segmenter cutting a phrase differently in the question and in the stored phrasing
 * ("退货运费" can come out as 退|货运|费). English words lose a plural or verb ending.
 *
 * A phrasing is scored against the text by a cosine over the terms they share, each term
 * weighted by how rare it is among all the channel's phrasings (inverse document frequency), so
 * "怎么" or "how" count for little and "退款" or "password" for much. An entry's score is its
 * best phrasing's. Then: clearly best and high → answer; some close → "did you mean" (at most
 * three); nothing close → hand over.
 */

/** One thing the robot knows: an FAQ entry or a saved reply marked for it. */
export interface KnowledgeItem {
  source: 'faq' | 'savedReply';
  id: string;
  /** Phrasings; the first is the one "did you mean" shows. */
  questions: readonly string[];
  answer: string;
  imageFileId: string | null;
}

export interface ScoredItem {
  item: KnowledgeItem;
  /** 0 to 1. */
  score: number;
  /** The phrasing that scored best. */
  question: string;
}

export interface MatchDecision {
  outcome: 'answer' | 'choices' | 'handoff';
  /** With `answer`: the entry to answer from. */
  answer: ScoredItem | null;
  /** With `choices`: up to three entries to offer. */
  choices: ScoredItem[];
  /** The best matches, best first (at most five), whatever the outcome. */
  matches: ScoredItem[];
}

/** Tuned on the unit test's phrasings in both languages (test/unit/robotMatcher.test.ts). */
export const matchThresholds = {
  /** At or above: answer, if no other entry comes close (`dominance`). */
  confident: 0.4,
  /** A runner-up scoring more than this share of the best makes the robot ask instead. */
  dominance: 0.65,
  /** At or above this an answer is given even with a close runner-up. */
  certain: 0.9,
  /** At or above: worth offering as "did you mean". */
  possible: 0.25,
  maxChoices: 3,
} as const;

/** How much one Han character counts beside a pair or a word (termsOf): as much; characters
 * carry most of a short Chinese question, whose pairs are half noise. */
const charWeight = 1;
/** Characters that say nothing by themselves. */
const stopChars = new Set([...'的了吗呢吧啊呀我你您是请想要么']);
/** The share of a score that is the phrasing's coverage (the rest: the text's). */
const phrasingWeight = 0.6;

const segmenter = new Intl.Segmenter(['zh', 'en'], { granularity: 'word' });
const han = /\p{Script=Han}/u;
const hanRun = /\p{Script=Han}+/gu;

/** Words that say nothing about which question is asked. IDF already discounts common words;
 * these are dropped so that a two-word question is not half filler. */
const stopWords = new Set([
  'a',
  'an',
  'the',
  'is',
  'are',
  'am',
  'be',
  'i',
  'me',
  'my',
  'you',
  'your',
  'we',
  'our',
  'it',
  'to',
  'of',
  'in',
  'on',
  'for',
  'and',
  'or',
  'do',
  'does',
  'did',
  'can',
  'could',
  'please',
  'would',
  'will',
  'with',
  'this',
  'that',
  'there',
  'hi',
  'hello',
  'thanks',
  '的',
  '了',
  '吗',
  '呢',
  '吧',
  '啊',
  '呀',
  '我',
  '你',
  '您',
  '是',
  '请问',
  '请',
  '一下',
  '想',
  '要',
  '我的',
  '你们',
  '您好',
  '你好',
  '谢谢',
]);

/** An English word without its plural or common verb ending, so "refunds" meets "refund" and
 * "shipping" meets "ship". */
function stem(word: string): string {
  if (word.length <= 4 || !/^[a-z]+$/.test(word)) return word;
  for (const suffix of ['ing', 'ies', 'ed', 'es', 's']) {
    if (word.endsWith(suffix) && word.length - suffix.length >= 3) {
      if (suffix === 'ies') return `${word.slice(0, -3)}y`;
      const base = word.slice(0, -suffix.length);
      // "shipping" → "shipp" → "ship"
      return /([b-df-hj-np-tv-z])\1$/.test(base) ? base.slice(0, -1) : base;
    }
  }
  return word;
}

/** The normalized form two texts are compared in: width and case folded, spaces collapsed,
 * punctuation dropped. */
export function normalizeText(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\p{P}\p{S}]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * A text's terms, each with how much its kind counts. Words count 1. Chinese is taken as its
 * characters' neighbouring pairs (1) and the characters themselves (`charWeight`), not as the
 * segmenter's words: the segmenter cuts a short question differently from the stored phrasing
 * as often as not ("我想开发票" gives 开发, "退货运费" gives 货运), while pairs and characters
 * meet whatever the cut. Filler words and pairs are dropped.
 */
export function termsOf(text: string): Map<string, number> {
  const normal = normalizeText(text);
  const terms = new Map<string, number>();
  for (const { segment, isWordLike } of segmenter.segment(normal)) {
    if (!isWordLike || han.test(segment) || stopWords.has(segment)) continue;
    terms.set(stem(segment), 1);
  }
  for (const { segment, isWordLike } of segmenter.segment(normal)) {
    // Filler words the segmenter finds ("请问", "我的") leave their characters out too.
    if (!isWordLike || !han.test(segment) || stopWords.has(segment)) continue;
    for (const char of segment) if (!stopChars.has(char)) terms.set(char, charWeight);
  }
  for (const [run] of normal.matchAll(hanRun)) {
    for (let i = 0; i + 1 < run.length; i++) {
      const pair = run.slice(i, i + 2);
      if (!stopWords.has(pair)) terms.set(pair, 1);
    }
  }
  return terms;
}

interface IndexedPhrasing {
  item: KnowledgeItem;
  question: string;
  normal: string;
  terms: Map<string, number>;
}

/** A channel's knowledge made ready for matching; build once per change of the knowledge. */
export class KnowledgeIndex {
  private readonly phrasings: IndexedPhrasing[] = [];
  private readonly documentFrequency = new Map<string, number>();

  constructor(readonly items: readonly KnowledgeItem[]) {
    // Rarity is counted over items, not phrasings: a term every phrasing of one question shares
    // is that question's mark, not a common word.
    for (const item of items) {
      const seen = new Set<string>();
      for (const question of item.questions) {
        const terms = termsOf(question);
        this.phrasings.push({ item, question, normal: normalizeText(question), terms });
        for (const term of terms.keys()) seen.add(term);
      }
      for (const term of seen) {
        this.documentFrequency.set(term, (this.documentFrequency.get(term) ?? 0) + 1);
      }
    }
  }

  /** Rare terms weigh more; a term no phrasing has still counts, lowering the score. */
  private rarity(term: string): number {
    const df = this.documentFrequency.get(term) ?? 0;
    return Math.log(1 + (this.items.length + 1) / (df + 0.5));
  }

  /** Every item with its best phrasing's score, best first (ties: the knowledge's order). Each
   * term weighs its rarity times its kind; the score mixes how much of the phrasing's weight
   * the text shares with how much of the text's weight the phrasing shares. */
  score(text: string): ScoredItem[] {
    const normal = normalizeText(text);
    const query = new Map<string, number>();
    let queryNorm = 0;
    for (const [term, kind] of termsOf(text)) {
      const w = this.rarity(term) * kind;
      query.set(term, w);
      queryNorm += w * w;
    }
    const best = new Map<KnowledgeItem, ScoredItem>();
    for (const phrasing of this.phrasings) {
      let score: number;
      if (normal !== '' && phrasing.normal === normal) {
        score = 1;
      } else {
        let shared = 0;
        let phrasingNorm = 0;
        for (const [term, kind] of phrasing.terms) {
          const w = this.rarity(term) * kind;
          phrasingNorm += w * w;
          const q = query.get(term);
          if (q !== undefined) shared += Math.min(w, q) ** 2;
        }
        // How much of the stored phrasing the text holds counts most (visitors add words of
        // their own), how much of the text the phrasing explains less.
        score =
          shared === 0
            ? 0
            : phrasingWeight * (shared / phrasingNorm) +
              (1 - phrasingWeight) * (shared / queryNorm);
      }
      const current = best.get(phrasing.item);
      if (!current || score > current.score) {
        best.set(phrasing.item, { item: phrasing.item, score, question: phrasing.question });
      }
    }
    const order = new Map(this.items.map((item, index) => [item, index]));
    return [...best.values()]
      .filter((s) => s.score > 0)
      .sort((a, b) => b.score - a.score || order.get(a.item)! - order.get(b.item)!);
  }

  /** What the robot does with a visitor's text. */
  decide(text: string): MatchDecision {
    const scored = this.score(text);
    const matches = scored.slice(0, 5);
    const [first, second] = scored;
    if (
      first &&
      first.score >= matchThresholds.confident &&
      (first.score >= matchThresholds.certain ||
        !second ||
        second.score <= first.score * matchThresholds.dominance)
    ) {
      return { outcome: 'answer', answer: first, choices: [], matches };
    }
    const choices = scored
      .filter((s) => s.score >= matchThresholds.possible)
      .slice(0, matchThresholds.maxChoices);
    if (choices.length > 0) return { outcome: 'choices', answer: null, choices, matches };
    return { outcome: 'handoff', answer: null, choices: [], matches };
  }

  /** The item a visitor picked from a robot's choices, by id (undefined: not in this channel's
   * knowledge any more). */
  find(id: string): KnowledgeItem | undefined {
    return this.items.find((item) => item.id === id);
  }
}

const personPhrases = [
  '转人工',
  '人工客服',
  '人工服务',
  '找人工',
  '要人工',
  '接人工',
  '真人',
  '找客服',
  '联系客服',
  '客服在吗',
];
const personPatterns = [
  /\b(talk|speak|chat)\s+(to|with)\s+(a|an|the|some|your)?\s*(real\s+)?(person|human|agent|someone|somebody|representative|operator|staff)\b/,
  /\b(real|live)\s+(person|human|agent)\b/,
  /\bhuman\s+(agent|support|help|being)\b/,
  /^(human|agent|person|operator|representative|customer service)( please)?$/,
];

/** Whether a visitor's text asks for a person ("转人工", "talk to a person"). "人工" alone
 * counts too, but not inside "人工智能" (artificial intelligence). */
export function asksForPerson(text: string): boolean {
  const normal = normalizeText(text);
  const compact = normal.replace(/\s+/g, '');
  if (personPhrases.some((phrase) => compact.includes(phrase))) return true;
  if (compact === '人工' || compact === '人工人工') return true;
  if (compact.replace(/人工智能/g, '').includes('人工') && compact.length <= 8) return true;
  return personPatterns.some((pattern) => pattern.test(normal));
}

const greetings = new Set([
  '你好',
  '您好',
  '你好呀',
  '您好呀',
  '你好啊',
  '在吗',
  '在不在',
  '有人吗',
  '有人在吗',
  '哈喽',
  '嗨',
  '早上好',
  '上午好',
  '下午好',
  '晚上好',
  '你好在吗',
  '您好在吗',
  'hi',
  'hello',
  'hey',
  'hi there',
  'hello there',
  'hey there',
  'good morning',
  'good afternoon',
  'good evening',
  'anyone there',
  'is anyone there',
  'anybody there',
  'yo',
]);
const thanks = new Set([
  '谢谢',
  '多谢',
  '谢谢你',
  '谢谢您',
  '谢啦',
  '感谢',
  '非常感谢',
  '好的谢谢',
  '好的 谢谢',
  '明白了谢谢',
  '知道了谢谢',
  'thanks',
  'thank you',
  'thx',
  'ty',
  'thanks a lot',
  'thank you very much',
  'ok thanks',
  'ok thank you',
  'great thanks',
  'got it thanks',
  'many thanks',
  'cheers',
]);

/**
 * Whether a whole message is only a greeting ("你好", "hi") or only thanks ("谢谢", "thanks"):
 * the robot answers those itself rather than hand them over as unanswered (a visitor who opens
 * with "你好" is about to ask). Null for anything else, including a greeting with a question.
 */
export function smallTalkOf(text: string): 'greeting' | 'thanks' | null {
  const normal = normalizeText(text).replace(/[啊呀哈~]+$/u, '');
  const compact = normal.replace(/\s+/g, '');
  if (greetings.has(normal) || greetings.has(compact)) return 'greeting';
  if (thanks.has(normal) || thanks.has(compact)) return 'thanks';
  return null;
}
