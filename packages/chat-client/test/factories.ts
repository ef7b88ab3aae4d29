import type {
  Conversation,
  FileInfo,
  Message,
  MessagePage,
  VisitorConversation,
} from '@servicesystem/protocol/wire';

/** A stored message of conversation `c1` (or `conversationId`) with this seq. */
export function message(seq: number, fields: Partial<Message> = {}): Message {
  return {
    id: `m${seq}`,
    conversationId: 'c1',
    seq,
    sender: { type: 'visitor', id: 'v1', name: 'Visitor', avatarUrl: null },
    type: 'text',
    body: `message ${seq}`,
    attachment: null,
    meta: null,
    clientMsgId: null,
    createdAt: 1_700_000_000_000 + seq,
    ...fields,
  };
}

export function messages(from: number, to: number, fields: Partial<Message> = {}): Message[] {
  const list: Message[] = [];
  for (let seq = from; seq <= to; seq++) list.push(message(seq, fields));
  return list;
}

export function conversation(fields: Partial<Conversation> = {}): Conversation {
  return {
    id: 'c1',
    channelId: 'ch1',
    state: 'active',
    visitor: { id: 'v1', name: 'Visitor', avatarUrl: null, externalId: null, attributes: {} },
    agent: { id: 'a1', displayName: 'Alice', avatarUrl: null },
    lastSeq: 0,
    visitorReadSeq: 0,
    agentReadSeq: 0,
    unread: 0,
    queuePosition: null,
    queueReason: null,
    lastMessage: null,
    createdAt: 1_700_000_000_000,
    assignedAt: 1_700_000_000_000,
    endedAt: null,
    lastActivityAt: 1_700_000_000_000,
    labels: [],
    snooze: null,
    kind: 'chat',
    leftMessage: null,
    robot: null,
    ...fields,
  };
}

export function visitorConversation(
  fields: Partial<VisitorConversation> = {},
): VisitorConversation {
  return {
    id: 'c1',
    state: 'active',
    agent: { name: 'Alice', avatarUrl: null },
    lastSeq: 0,
    visitorReadSeq: 0,
    agentReadSeq: 0,
    unread: 0,
    queuePosition: null,
    queueReason: null,
    lastMessage: null,
    createdAt: 1_700_000_000_000,
    endedAt: null,
    kind: 'chat',
    contactEmail: null,
    ...fields,
  };
}

export function fileInfo(id: string): FileInfo {
  return {
    id,
    kind: 'image',
    mime: 'image/png',
    size: 100,
    width: 64,
    height: 48,
    durationMs: null,
    name: 'photo.png',
    url: `/api/v1/files/${id}`,
    previewUrl: `/api/v1/files/${id}/thumbnail`,
    previewWidth: 64,
    previewHeight: 48,
  };
}

/** The messages of a stored conversation, answered the way the server pages them. */
export function pageOf(
  stored: readonly Message[],
  q: { before?: number; after?: number; limit: number },
): MessagePage {
  if (q.after !== undefined) {
    const rest = stored.filter((m) => m.seq > q.after!);
    return { messages: rest.slice(0, q.limit), hasMore: rest.length > q.limit };
  }
  const upTo = stored.filter((m) => q.before === undefined || m.seq < q.before);
  return { messages: upTo.slice(-q.limit), hasMore: upTo.length > q.limit };
}
