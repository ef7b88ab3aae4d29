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

/**
 * The unread rule: messages after the reader's read position, `lastSeq − readSeq`, never below
 * zero. The console reads as the agent side, the visitor page as the visitor side; the server
 * counts the same way, so a count worked out here matches the one it sends.
 */
export function unreadFor(conversation: Positions, reader: ReadSide): number {
  const readSeq = reader === 'agent' ? conversation.agentReadSeq : conversation.visitorReadSeq;
  return Math.max(0, conversation.lastSeq - readSeq);
}

/** Of two last messages, the later one (the incoming one when they are the same seq). */
function laterMessage(known: Message | null, incoming: Message | null): Message | null {
  if (!known) return incoming;
  if (!incoming) return known;
  return incoming.seq >= known.seq ? incoming : known;
}

/**
 * A fresh copy of a conversation merged into the one already known. Events and fetched lists
 * can arrive in any order: seqs, read positions, the last message and the last activity only
 * move forward; everything else (state, agent, queue position) is taken from `incoming`.
 * `unread` is worked out again for `reader`.
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
      }
    : { ...incoming };
  if (known && 'lastActivityAt' in known && 'lastActivityAt' in merged) {
    merged.lastActivityAt = Math.max(known.lastActivityAt, merged.lastActivityAt);
  }
  merged.unread = unreadFor(merged, reader);
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
  next.unread = unreadFor(next, reader);
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

/** The conversation a `message.created` event describes: its last message is the event's. */
export function conversationOf<C extends AnyConversation>(event: MessageCreated<C>): C {
  return { ...event.conversation, lastMessage: event.message } as C;
}
