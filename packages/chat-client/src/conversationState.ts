import type {
  Conversation,
  Message,
  ReadSide,
  VisitorConversation,
} from '@servicesystem/protocol/wire';

/** A conversation as the console (Conversation) or the visitor page (VisitorConversation) has it. */
export type AnyConversation = Conversation | VisitorConversation;

/** The seqs and read positions every conversation copy carries. */
type Positions = Pick<AnyConversation, 'lastSeq' | 'visitorReadSeq' | 'agentReadSeq'>;

/** The reader's read position in a conversation. */
function readSeqOf(conversation: Positions, reader: ReadSide): number {
  return reader === 'agent' ? conversation.agentReadSeq : conversation.visitorReadSeq;
}

/**
 * The most a conversation can hold unread for `reader`: every message after their read position.
 * The count itself is the server's (`unread`: only the other side's messages, never system
 * notices); clients keep it and only ever lower it toward this bound.
 */
export function unreadBound(conversation: Positions, reader: ReadSide): number {
  return Math.max(0, conversation.lastSeq - readSeqOf(conversation, reader));
}

/** Messages a conversation list previews: the visitor's and the agents', never a notice. */
export function isPreviewable(message: Message): boolean {
  return message.sender.type !== 'system';
}

/** Of two last messages, the later one (the incoming one when they are the same seq). */
function laterMessage(known: Message | null, incoming: Message | null): Message | null {
  if (incoming && !isPreviewable(incoming)) incoming = null;
  if (!known) return incoming;
  if (!incoming) return known;
  return incoming.seq >= known.seq ? incoming : known;
}

/**
 * The unread count of a merge: the copy that has seen at least as much (seq and read position)
 * is right; when each has seen more of one, the incoming copy's count, bounded.
 */
function mergedUnread(known: AnyConversation, incoming: AnyConversation, reader: ReadSide) {
  const knownCovers =
    known.lastSeq >= incoming.lastSeq && readSeqOf(known, reader) >= readSeqOf(incoming, reader);
  const incomingCovers =
    incoming.lastSeq >= known.lastSeq && readSeqOf(incoming, reader) >= readSeqOf(known, reader);
  return knownCovers && !incomingCovers ? known.unread : incoming.unread;
}

/**
 * A fresh copy of a conversation merged into the one already known. Events and fetched lists
 * can arrive in any order: seqs, read positions, the last message and the last activity only
 * move forward; everything else (state, agent, queue position) is taken from `incoming`.
 * `unread` comes from the copy that has seen the most, bounded by what `reader` has not read.
 */
export function mergeConversation<C extends AnyConversation>(
  known: C | undefined,
  incoming: C,
  reader: ReadSide,
): C {
  const merged: C = known
    ? {
        ...incoming,
        lastSeq: Math.max(known.lastSeq, incoming.lastSeq),
        visitorReadSeq: Math.max(known.visitorReadSeq, incoming.visitorReadSeq),
        agentReadSeq: Math.max(known.agentReadSeq, incoming.agentReadSeq),
        lastMessage: laterMessage(known.lastMessage, incoming.lastMessage),
        unread: mergedUnread(known, incoming, reader),
      }
    : { ...incoming, lastMessage: laterMessage(null, incoming.lastMessage) };
  // `message.created` carries no rating (nor labels): keep the one known.
  if (known && merged.rating === undefined && known.rating !== undefined) {
    merged.rating = known.rating;
  }
  if (known && 'lastActivityAt' in known && 'lastActivityAt' in merged) {
    merged.lastActivityAt = Math.max(known.lastActivityAt, merged.lastActivityAt);
  }
  merged.unread = Math.max(0, Math.min(merged.unread, unreadBound(merged, reader)));
  return merged;
}

/** `side` read up to `seq` (a `conversation.read` event, or our own mark-read). */
export function applyRead<C extends AnyConversation>(
  conversation: C,
  side: ReadSide,
  seq: number,
  reader: ReadSide,
): C {
  const next: C =
    side === 'agent'
      ? { ...conversation, agentReadSeq: Math.max(conversation.agentReadSeq, seq) }
      : { ...conversation, visitorReadSeq: Math.max(conversation.visitorReadSeq, seq) };
  next.unread = Math.max(0, Math.min(next.unread, unreadBound(next, reader)));
  return next;
}

/**
 * A `message.created` payload: the conversation as the message left it comes without
 * `lastMessage` (servers before that change still send it; either is fine here).
 */
export interface MessageCreated<C extends AnyConversation> {
  message: Message;
  conversation: Omit<C, 'lastMessage'> & { lastMessage?: Message | null };
}

/**
 * The conversation a `message.created` event describes: its last message is the event's, unless
 * that is a system notice (null then: merging keeps the preview already known).
 */
export function conversationOf<C extends AnyConversation>(event: MessageCreated<C>): C {
  return {
    ...event.conversation,
    lastMessage: isPreviewable(event.message) ? event.message : null,
  } as C;
}
