import { describe, expect, it } from 'vitest';
import { lastSeqOf, mergeMessages } from '../src/timeline.js';
import { message, messages } from './factories.js';

const seqs = (list: readonly { seq: number }[]) => list.map((m) => m.seq);

describe('mergeMessages', () => {
  it('puts messages that arrive out of order in seq order', () => {
    let shown = mergeMessages([], [message(5), message(2)]);
    shown = mergeMessages(shown, [message(4), message(1), message(3)]);
    expect(seqs(shown)).toEqual([1, 2, 3, 4, 5]);
    expect(lastSeqOf(shown)).toBe(5);
  });

  it('keeps each message once, by id and by seq', () => {
    const first = mergeMessages([], messages(1, 3));
    const again = mergeMessages(first, [message(2), message(3), message(3)]);
    // Nothing new: the same array, so stores can tell nothing changed.
    expect(again).toBe(first);
    // Another copy of seq 2 under another id (a replayed event) is not shown twice either.
    const sameSeq = mergeMessages(first, [message(2, { id: 'other' }), message(4), message(4)]);
    expect(seqs(sameSeq)).toEqual([1, 2, 3, 4]);
    expect(sameSeq[1]!.id).toBe('m2');
  });

  it('appends a later page and inserts an older one without losing what is there', () => {
    const newest = mergeMessages([], messages(31, 60));
    const older = mergeMessages(newest, messages(1, 30));
    expect(seqs(older)).toEqual(seqs(messages(1, 60)));
    const live = mergeMessages(older, [message(61)]);
    expect(seqs(live).slice(-2)).toEqual([60, 61]);
    // The arrays given are not changed.
    expect(newest).toHaveLength(30);
  });

  it('leaves a gap a live message jumps over for the resync to fill', () => {
    const shown = mergeMessages(messages(1, 3), [message(7)]);
    expect(seqs(shown)).toEqual([1, 2, 3, 7]);
    expect(seqs(mergeMessages(shown, messages(4, 7)))).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('knows no last seq without messages', () => {
    expect(lastSeqOf([])).toBe(0);
  });
});
