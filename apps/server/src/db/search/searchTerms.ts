/**
 * The words search looks things up by, made the same way for what is indexed and for what is
 * asked, so a query's terms are always among an entry's when its text contains the query.
 *
 * - Text is normalized (NFKC: full-width letters and digits become ASCII; lower case).
 * - Runs of CJK characters (Chinese, Japanese kana, Korean) have no spaces between words, so a
 *   run is indexed by its overlapping pairs of characters: "退款到账" → 退款, 款到, 到账. A query of
 *   two or more such characters asks for its pairs, which finds it anywhere in a run: two-character
 *   Chinese words (退款, 发货, 订单), the most common kind, need no dictionary. A run of one
 *   character is indexed as itself.
 * - Runs of other letters and digits (words, order numbers, emails split at punctuation) are
 *   indexed by their overlapping triples ("refund" → ref, efu, fun, und), and words of one or two
 *   characters as themselves: a query finds any part of three or more characters ("1234" in
 *   "A12345"), and short words whole.
 *
 * The index only narrows the candidates: the caller keeps those whose text really contains the
 * query (`containsQuery`).
 */

/** Han, Hiragana, Katakana, Hangul, CJK punctuation excluded. */
const cjkClass = '\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\p{Script=Hangul}';
const cjk = new RegExp(`[${cjkClass}]`, 'u');
/** A run of CJK characters, or a run of other letters and digits. */
const run = new RegExp(`[${cjkClass}]+|(?:(?![${cjkClass}])[\\p{L}\\p{N}])+`, 'gu');

/** At most this many terms per entry: a very long message is indexed by its first terms. */
const maxTermsPerEntry = 2000;

export function normalizeForSearch(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

function termsOfRun(word: string, out: Set<string>): void {
  const chars = Array.from(word);
  const isCjk = cjk.test(chars[0]!);
  const size = isCjk ? 2 : 3;
  if (chars.length < size) {
    out.add(word);
    return;
  }
  for (let i = 0; i + size <= chars.length; i++) out.add(chars.slice(i, i + size).join(''));
}

/** The distinct terms of a text, to index it by. */
export function searchTerms(text: string): string[] {
  const out = new Set<string>();
  for (const match of normalizeForSearch(text).matchAll(run)) {
    termsOfRun(match[0], out);
    if (out.size >= maxTermsPerEntry) break;
  }
  return [...out].slice(0, maxTermsPerEntry);
}

/** A query split into its words (by spaces), each normalized; empty words dropped. */
export function queryWords(query: string): string[] {
  return normalizeForSearch(query)
    .split(/\s+/u)
    .map((word) => word.trim())
    .filter((word) => word !== '');
}

/**
 * Terms every matching entry has: for each of the query's runs, pairs or triples that cover it
 * without overlapping (the last one flush with its end): 质量问题 asks for 质量 and 问题, "refund" for
 * ref and und. Overlapping ones would add nothing (they always occur together) but work for the
 * index, and the text is checked anyway. Empty when the query has no letters or digits.
 */
export function queryTerms(words: string[]): string[] {
  const out = new Set<string>();
  for (const word of words) {
    for (const match of word.matchAll(run)) {
      const chars = Array.from(match[0]);
      const size = cjk.test(chars[0]!) ? 2 : 3;
      if (chars.length <= size) {
        out.add(match[0]);
        continue;
      }
      for (let i = 0; i < chars.length; i += size) {
        const start = Math.min(i, chars.length - size);
        out.add(chars.slice(start, start + size).join(''));
      }
    }
  }
  return [...out];
}

/** Whether `text` contains every word of the query, compared as the index compares. */
export function containsQuery(text: string, words: string[]): boolean {
  const normalized = normalizeForSearch(text);
  return words.every((word) => normalized.includes(word));
}

/**
 * Up to `width` characters of `text` around the first place a query word occurs, and where each
 * occurrence of any word lies in that excerpt (start, end; in UTF-16 units of the excerpt).
 * Normalizing can change lengths (NFKC), so positions are found in the text as it is, case-blind.
 */
export function snippetOf(
  text: string,
  words: string[],
  width = 90,
): { text: string; highlights: [number, number][] } {
  const lower = text.toLowerCase();
  const needles = words
    .map((word) => word.toLowerCase())
    .filter((word) => word !== '' && lower.includes(word));
  let first = lower.length;
  for (const word of needles) first = Math.min(first, lower.indexOf(word));
  if (needles.length === 0) first = 0;
  const start = Math.max(0, Math.min(first - Math.floor(width / 3), text.length - width));
  const end = Math.min(text.length, start + width);
  const prefix = start > 0 ? '…' : '';
  const excerpt =
    prefix + text.slice(start, end).replace(/\s+/gu, ' ') + (end < text.length ? '…' : '');
  const highlights: [number, number][] = [];
  const excerptLower = excerpt.toLowerCase();
  for (const word of needles) {
    for (
      let at = excerptLower.indexOf(word);
      at !== -1;
      at = excerptLower.indexOf(word, at + word.length)
    ) {
      highlights.push([at, at + word.length]);
    }
  }
  highlights.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const range of highlights) {
    const last = merged[merged.length - 1];
    if (last && range[0] <= last[1]) last[1] = Math.max(last[1], range[1]);
    else merged.push([range[0], range[1]]);
  }
  return { text: excerpt, highlights: merged };
}
