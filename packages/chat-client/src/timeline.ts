import type { Message } from '@servicesystem/protocol/wire';

/**
 * `current` with the messages of `incoming` it does not have yet, in seq order. A message is
 * already there when one with its id or its seq is (a conversation's seqs are unique and never
 * reused). Answers `current` itself when nothing is new, so callers can tell by identity.
 */
export function mergeMessages(
  current: readonly Message[],
  incoming: readonly Message[],
): readonly Message[] {
  if (incoming.length === 0) return current;
  const ids = new Set(current.map((m) => m.id));
  const seqs = new Set(current.map((m) => m.seq));
  const fresh: Message[] = [];
  for (const message of incoming) {
    if (ids.has(message.id) || seqs.has(message.seq)) continue;
    ids.add(message.id);
    seqs.add(message.seq);
    fresh.push(message);
  }
  if (fresh.length === 0) return current;
  fresh.sort(bySeq);
  const last = current[current.length - 1];
  // Live messages and catch-up pages land after everything shown: no need to sort it all.
  if (!last || fresh[0]!.seq > last.seq) return [...current, ...fresh];
  return [...current, ...fresh].sort(bySeq);
}

function bySeq(a: Message, b: Message): number {
  return a.seq - b.seq;
}

/** The highest seq in `messages` (kept in seq order), 0 when there are none. */
export function lastSeqOf(messages: readonly Message[]): number {
  return messages[messages.length - 1]?.seq ?? 0;
}
