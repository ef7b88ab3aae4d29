import { describe, expect, it } from 'vitest';
import type { Note } from '@servicesystem/protocol/wire';
import { interleaveNotes, mergeNotes, type TimelineItem } from '../src/notes.js';
import { messages } from './factories.js';

function note(id: string, afterSeq: number, createdAt = 1_700_000_000_500 + afterSeq): Note {
  return {
    id,
    conversationId: 'c1',
    author: { id: 'a1', name: 'Alice' },
    body: `note ${id}`,
    afterSeq,
    clientNoteId: id,
    createdAt,
  };
}

const labels = (items: TimelineItem[]) =>
  items.map((i) => (i.kind === 'message' ? `m${i.message.seq}` : i.note.id));

describe('mergeNotes', () => {
  it('keeps each note once, in timeline order, and answers the same list when nothing is new', () => {
    const first = mergeNotes([], [note('b', 3), note('a', 1)]);
    expect(first.map((n) => n.id)).toEqual(['a', 'b']);
    expect(mergeNotes(first, [note('a', 1)])).toBe(first);
    const later = mergeNotes(first, [note('c', 1, 1_800_000_000_000), note('b', 3)]);
    expect(later.map((n) => n.id)).toEqual(['a', 'c', 'b']);
  });
});

describe('interleaveNotes', () => {
  it('puts each note after the message it follows, notes at one place by time', () => {
    const items = interleaveNotes(
      messages(1, 4),
      [note('late', 2, 9), note('early', 2, 1), note('end', 4), note('start', 0)],
      true,
    );
    expect(labels(items)).toEqual(['start', 'm1', 'm2', 'early', 'late', 'm3', 'm4', 'end']);
  });

  it('leaves out notes of history not loaded yet, and shows them once it is', () => {
    const notes = [note('old', 3), note('edge', 10), note('new', 12)];
    expect(labels(interleaveNotes(messages(11, 12), notes, false))).toEqual(['m11', 'm12', 'new']);
    expect(labels(interleaveNotes(messages(1, 12), notes, true))).toContain('old');
    // No messages yet at all, and nothing more to load: the notes alone.
    expect(labels(interleaveNotes([], [note('only', 0)], true))).toEqual(['only']);
    expect(labels(interleaveNotes([], [note('only', 0)], false))).toEqual([]);
  });

  it('keeps a note written past the last loaded message at the end', () => {
    expect(labels(interleaveNotes(messages(1, 2), [note('ahead', 5)], true))).toEqual([
      'm1',
      'm2',
      'ahead',
    ]);
  });
});
