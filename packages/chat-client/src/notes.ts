import type { Message, Note } from '@servicesystem/protocol/wire';

/** A conversation's timeline as the console shows it: its messages, with notes among them. */
export type TimelineItem = { kind: 'message'; message: Message } | { kind: 'note'; note: Note };

function byPlace(a: Note, b: Note): number {
  return a.afterSeq - b.afterSeq || a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1);
}

/**
 * `current` with the notes of `incoming` it does not have yet (by id), in timeline order: by the
 * message they follow, then by time. Answers `current` itself when nothing is new.
 */
export function mergeNotes(current: readonly Note[], incoming: readonly Note[]): readonly Note[] {
  const ids = new Set(current.map((n) => n.id));
  const fresh = incoming.filter((n) => !ids.has(n.id) && ids.add(n.id));
  if (fresh.length === 0) return current;
  return [...current, ...fresh].sort(byPlace);
}

/**
 * Messages (in seq order) with each note after the message it follows (`afterSeq`). A note whose
 * message is older than the first one loaded belongs to history not shown yet: it is left out
 * until that history is loaded, unless `complete` says there is none (then it goes first).
 */
export function interleaveNotes(
  messages: readonly Message[],
  notes: readonly Note[],
  complete: boolean,
): TimelineItem[] {
  const sorted = [...notes].sort(byPlace);
  const items: TimelineItem[] = [];
  const firstSeq = messages[0]?.seq ?? Number.POSITIVE_INFINITY;
  let next = 0;
  while (next < sorted.length && sorted[next]!.afterSeq < firstSeq) {
    if (complete) items.push({ kind: 'note', note: sorted[next]! });
    next++;
  }
  for (const message of messages) {
    items.push({ kind: 'message', message });
    while (next < sorted.length && sorted[next]!.afterSeq <= message.seq) {
      items.push({ kind: 'note', note: sorted[next++]! });
    }
  }
  while (next < sorted.length) items.push({ kind: 'note', note: sorted[next++]! });
  return items;
}
