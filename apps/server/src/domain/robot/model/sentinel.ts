import { handoffSentinel } from './prompt.js';

export type ReadAnswer = { kind: 'sentinel' } | { kind: 'text'; shown: string };

const prefixes = [...Array(handoffSentinel.length - 1).keys()].map((n) =>
  handoffSentinel.slice(0, n + 1),
);
/** A trailing start of the sentinel ("… H", "… HAND") that the next chunk may complete. */
const trailingPrefix = new RegExp(`(?<![A-Za-z0-9])(?:${prefixes.join('|')})$`);
/** The sentinel as a word anywhere: a model that writes a sentence and then HANDOFF meant it.
 * A word of Latin letters: Chinese right beside it ("无法回答HANDOFF") still leaves it a word. */
const sentinelWord = new RegExp(`(?<![A-Za-z0-9])${handoffSentinel}(?![A-Za-z0-9])`);
/** Reasoning models (qwen3, deepseek-r1) think aloud first, in a block the visitor never sees. */
const thinking = /^\s*<think>[\s\S]*?(?:<\/think>|$)/;

const bare = (text: string) => text.replace(/[^\p{L}\p{N}]+/gu, '').toUpperCase();

/**
 * What of a model's text so far may be shown, or that it is the handoff sentinel. The sentinel
 * counts with markdown, spaces or punctuation around it (`**HANDOFF**`, "HANDOFF."), and as an
 * upper-case word anywhere. Until the text can no longer become the sentinel nothing is shown,
 * and a trailing start of it ("... HAND") is held back, so the visitor never sees a piece of it.
 * `final`: the stream has ended, nothing is held back.
 */
export function readAnswer(raw: string, final: boolean): ReadAnswer {
  const text = raw.replace(thinking, '');
  const letters = bare(text);
  if (letters === handoffSentinel || sentinelWord.test(text)) return { kind: 'sentinel' };
  if (final) return { kind: 'text', shown: text.trim() };
  if (handoffSentinel.startsWith(letters)) return { kind: 'text', shown: '' };
  return { kind: 'text', shown: text.replace(trailingPrefix, '').trim() };
}
