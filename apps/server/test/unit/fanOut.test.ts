import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  AgentStatusPayload,
  Conversation,
  ConversationReadPayload,
  ConversationUpdatedPayload,
  Message,
  MessageCreatedPayload,
  NoteCreatedPayload,
  QueuePositionPayload,
  TypingPayload,
  VisitorConversation,
  type AgentPresence,
} from '@servicesystem/protocol';
import type { NotesTable } from '../../src/db/schema.js';
import type { ConversationView } from '../../src/domain/conversations/conversationViews.js';
import type { DomainEvent } from '../../src/domain/events.js';
import { snapshotOf } from '../../src/domain/presenters/file.js';
import { fanOut, type Delivery } from '../../src/realtime/fanout.js';
import { serverEventPayloads } from '../support/eventPayloads.js';
import {
  conversationView,
  fileRow,
  messageIn,
  testFileUrls,
  visitorRow,
} from '../support/factories.js';

/**
 * Who hears which event, shaped how: for every domain event, the rooms, the rooms excepted, the
 * event name, and each payload checked against its protocol schema in the audience's exact shape
 * (strict: a field the audience must not have fails), plus what a visitor must never see.
 */

type Emit = Extract<Delivery, { kind: 'emit' }>;

function emits(event: DomainEvent): Emit[] {
  const deliveries = fanOut(event, testFileUrls);
  for (const d of deliveries) expect(d.kind).toBe('emit');
  return deliveries as Emit[];
}

/** The payload, checked against `schema` strictly; answered as sent. */
function strictly<S extends z.ZodObject>(schema: S, payload: unknown): z.infer<S> {
  schema.strict().parse(payload);
  return payload as z.infer<S>;
}

/**
 * What a visitor must never be sent about their conversation: the agent's id, the visitor's
 * attributes and host id (console data), and the agent's client ids.
 */
function secretsOf(view: ConversationView, ...agentClientIds: string[]): string[] {
  return [
    ...(view.agent ? [view.agent.id] : []),
    ...(view.visitor.external_id ? [view.visitor.external_id] : []),
    'attribute-value-for-console-only',
    ...agentClientIds,
  ];
}

function expectNothingSecret(payload: unknown, secrets: string[]): void {
  const sent = JSON.stringify(payload);
  expect(secrets.filter((secret) => sent.includes(secret))).toEqual([]);
}

/** An active conversation served by Alice, whose visitor is identified and has attributes. */
const served = () =>
  conversationView({
    conversation: { last_seq: 6, visitor_read_seq: 5, agent_read_seq: 4 },
    visitor: {
      external_id: 'host-user-77',
      attributes: JSON.stringify({ plan: 'attribute-value-for-console-only' }),
    },
    agent: { display_name: 'Alice', username: 'alice-login' },
  });

const VisitorConversationWithoutLast = VisitorConversation.omit({ lastMessage: true });
const ConsoleConversationWithoutLast = Conversation.omit({ lastMessage: true });

describe('message.created', () => {
  it('goes to the visitor’s room in the visitor shape, and to admins and the agent in the console shape', () => {
    const view = served();
    const message = messageIn(view, 'agent', { client_msg_id: 'client-of-alice' });
    const [toVisitor, toConsole, ...more] = emits({ type: 'message.created', view, message });
    expect(more).toEqual([]);

    expect(toVisitor).toMatchObject({
      rooms: [`visitor:${view.visitor.id}`],
      event: 'message.created',
    });
    expect(toVisitor!.except).toBeUndefined();
    const visitorPayload = strictly(MessageCreatedPayload, toVisitor!.payload);
    Message.strict().parse(visitorPayload.message);
    VisitorConversationWithoutLast.strict().parse(visitorPayload.conversation);
    expect(visitorPayload.message.sender).toEqual({
      type: 'agent',
      name: 'Alice',
      avatarUrl: null,
    });
    expect(visitorPayload.message.clientMsgId).toBeNull();
    expectNothingSecret(visitorPayload, secretsOf(view, 'client-of-alice'));

    expect(toConsole).toMatchObject({
      rooms: ['admins', `agent:${view.agent!.id}`],
      event: 'message.created',
    });
    expect(toConsole!.except).toBeUndefined();
    const consolePayload = strictly(MessageCreatedPayload, toConsole!.payload);
    Message.strict().parse(consolePayload.message);
    const conversation = ConsoleConversationWithoutLast.strict().parse(consolePayload.conversation);
    expect(consolePayload.message.sender.id).toBe(view.agent!.id);
    expect(consolePayload.message.clientMsgId).toBe('client-of-alice');
    expect(conversation).toMatchObject({
      id: view.conversation.id,
      agent: { id: view.agent!.id },
      visitor: { externalId: 'host-user-77' },
      unread: view.conversation.agent_unread,
    });
  });

  it('sends the message once: the conversation comes without lastMessage', () => {
    const view = served();
    const message = messageIn(view, 'visitor');
    const withLast = { ...view, lastMessage: message };
    for (const delivery of emits({ type: 'message.created', view: withLast, message })) {
      const payload = delivery.payload as { conversation: object };
      expect('lastMessage' in payload.conversation).toBe(false);
    }
  });

  it('the visitor keeps their own client id; an image arrives with signed URLs for both', () => {
    const view = served();
    const file = fileRow({ id: 'file-f', kind: 'image', owner_id: view.visitor.id });
    const message = messageIn(view, 'visitor', {
      client_msg_id: 'client-of-visitor',
      type: 'image',
      body: '',
      attachment_id: 'file-f',
      attachment: snapshotOf(file),
    });
    const [toVisitor, toConsole] = emits({ type: 'message.created', view, message });
    for (const delivery of [toVisitor!, toConsole!]) {
      const payload = strictly(MessageCreatedPayload, delivery.payload);
      expect(payload.message).toMatchObject({
        clientMsgId: 'client-of-visitor',
        sender: { type: 'visitor', id: view.visitor.id },
        attachment: {
          id: 'file-f',
          url: testFileUrls.urlFor('file-f', 'original', 'image'),
          previewUrl: testFileUrls.urlFor('file-f', 'preview', 'image'),
        },
      });
    }
  });

  it('with nobody serving (queued), the console side is the admins only', () => {
    const view = conversationView({ conversation: { state: 'queued' }, queuePosition: 2 });
    const message = messageIn(view, 'system', { meta: { kind: 'queued', position: 2 } });
    const deliveries = emits({ type: 'message.created', view, message });
    expect(deliveries.map((d) => d.rooms)).toEqual([[`visitor:${view.visitor.id}`], ['admins']]);
    const toVisitor = strictly(MessageCreatedPayload, deliveries[0]!.payload);
    expect(toVisitor.conversation).toMatchObject({ state: 'queued', queuePosition: 2 });
  });

  it('is the same whether or not it answers the caller (the socket delivery skips the caller)', () => {
    const view = served();
    const message = messageIn(view, 'visitor');
    expect(fanOut({ type: 'message.created', view, message, inReply: true }, testFileUrls)).toEqual(
      fanOut({ type: 'message.created', view, message }, testFileUrls),
    );
  });
});

describe('conversation.updated', () => {
  it('goes to the visitor, and to admins and the agent; the visitor’s copy hides the agent', () => {
    const view = served();
    const last = messageIn(view, 'agent', { client_msg_id: 'client-last-of-alice' });
    const withLast = { ...view, lastMessage: last };
    const [toVisitor, toConsole, ...more] = emits({ type: 'conversation.updated', view: withLast });
    expect(more).toEqual([]);
    expect(toVisitor).toMatchObject({
      rooms: [`visitor:${view.visitor.id}`],
      event: 'conversation.updated',
    });
    expect(toConsole).toMatchObject({
      rooms: ['admins', `agent:${view.agent!.id}`],
      event: 'conversation.updated',
    });
    for (const delivery of [toVisitor!, toConsole!]) expect(delivery.except).toBeUndefined();

    const visitorPayload = strictly(ConversationUpdatedPayload, toVisitor!.payload);
    const visitorConversation = VisitorConversation.strict().parse(visitorPayload.conversation);
    expect(visitorConversation.agent).toEqual({ name: 'Alice', avatarUrl: null });
    expect(visitorConversation.lastMessage?.clientMsgId).toBeNull();
    expectNothingSecret(visitorPayload, secretsOf(view, 'client-last-of-alice'));

    const consolePayload = strictly(ConversationUpdatedPayload, toConsole!.payload);
    const consoleConversation = Conversation.strict().parse(consolePayload.conversation);
    expect(consoleConversation.lastMessage?.clientMsgId).toBe('client-last-of-alice');
  });

  it('after a transfer, the agent who lost it hears too (once, and not when it is the same)', () => {
    const view = served();
    const [, toConsole] = emits({
      type: 'conversation.updated',
      view,
      previousAgentId: 'agent-before',
    });
    expect(toConsole!.rooms).toEqual(['admins', `agent:${view.agent!.id}`, 'agent:agent-before']);
    const [, sameAgent] = emits({
      type: 'conversation.updated',
      view,
      previousAgentId: view.agent!.id,
    });
    expect(sameAgent!.rooms).toEqual(['admins', `agent:${view.agent!.id}`]);
    // Back to the queue: nobody serves it, the previous agent still hears it left.
    const queued = conversationView({ conversation: { state: 'queued' } });
    const [toVisitor, toRest] = emits({
      type: 'conversation.updated',
      view: queued,
      previousAgentId: 'agent-before',
    });
    expect(toVisitor!.rooms).toEqual([`visitor:${queued.visitor.id}`]);
    expect(toRest!.rooms).toEqual(['admins', 'agent:agent-before']);
  });
});

describe('conversation.read', () => {
  it.each(['visitor', 'agent'] as const)(
    'a %s’s read: one receipt to the visitor, admins and the agent, ids only',
    (side) => {
      const view = served();
      const deliveries = emits({ type: 'conversation.read', view, side, seq: 5 });
      expect(deliveries).toEqual([
        {
          kind: 'emit',
          rooms: [`visitor:${view.visitor.id}`, 'admins', `agent:${view.agent!.id}`],
          event: 'conversation.read',
          payload: { conversationId: view.conversation.id, side, seq: 5 },
        },
      ]);
      strictly(ConversationReadPayload, deliveries[0]!.payload);
    },
  );
});

describe('typing', () => {
  it('the visitor typing reaches admins and the agent, not the visitor’s own room', () => {
    const view = served();
    const deliveries = emits({ type: 'typing', view, side: 'visitor', isTyping: true });
    expect(deliveries).toEqual([
      {
        kind: 'emit',
        rooms: ['admins', `agent:${view.agent!.id}`],
        event: 'typing',
        payload: { conversationId: view.conversation.id, side: 'visitor', isTyping: true },
      },
    ]);
    strictly(TypingPayload, deliveries[0]!.payload);
  });

  it('the agent typing reaches the visitor and admins, not the agent’s own room', () => {
    const view = served();
    const deliveries = emits({ type: 'typing', view, side: 'agent', isTyping: false });
    expect(deliveries).toEqual([
      {
        kind: 'emit',
        rooms: [`visitor:${view.visitor.id}`, 'admins'],
        event: 'typing',
        payload: { conversationId: view.conversation.id, side: 'agent', isTyping: false },
      },
    ]);
    strictly(TypingPayload, deliveries[0]!.payload);
  });
});

describe('queue.positions', () => {
  it('tells each waiting visitor their own place only, in their own room', () => {
    const [first, second] = [visitorRow(), visitorRow()];
    const deliveries = emits({
      type: 'queue.positions',
      entries: [
        { conversationId: 'conversation-q1', visitorId: first.id, position: 1, reason: 'busy' },
        {
          conversationId: 'conversation-q2',
          visitorId: second.id,
          position: 2,
          reason: 'nobodyOnline',
        },
      ],
    });
    expect(deliveries).toEqual([
      {
        kind: 'emit',
        rooms: [`visitor:${first.id}`],
        event: 'queue.position',
        payload: { conversationId: 'conversation-q1', position: 1, reason: 'busy' },
      },
      {
        kind: 'emit',
        rooms: [`visitor:${second.id}`],
        event: 'queue.position',
        payload: { conversationId: 'conversation-q2', position: 2, reason: 'nobodyOnline' },
      },
    ]);
    for (const d of deliveries) strictly(QueuePositionPayload, d.payload);
  });

  it('an empty queue tells nobody', () => {
    expect(fanOut({ type: 'queue.positions', entries: [] }, testFileUrls)).toEqual([]);
  });
});

describe('note.created', () => {
  it('goes to the assigned agent and admins only, never to the visitor', () => {
    const view = served();
    const deliveries = emits({ type: 'note.created', view, note: noteIn(view) });
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]!.rooms.sort()).toEqual(['admins', `agent:${view.agent!.id}`].sort());
    expect(deliveries[0]!.event).toBe('note.created');
    strictly(NoteCreatedPayload, deliveries[0]!.payload);
  });
});

describe('agent.status', () => {
  it('goes to console users (admins and agents), never to a visitor', () => {
    const presence: AgentPresence = {
      id: 'agent-s',
      displayName: 'Sam',
      avatarUrl: null,
      status: 'away',
      activeConversations: 2,
      maxConcurrent: 5,
    };
    const deliveries = emits({ type: 'agent.status', presence });
    expect(deliveries).toEqual([
      { kind: 'emit', rooms: ['admins', 'agents'], event: 'agent.status', payload: presence },
    ]);
    strictly(AgentStatusPayload, deliveries[0]!.payload);
  });
});

describe('sessions and roles: disconnects, no payload', () => {
  it('account.sessionsEnded drops every socket of the account, or all but one session’s', () => {
    expect(fanOut({ type: 'account.sessionsEnded', accountId: 'agent-d' }, testFileUrls)).toEqual([
      { kind: 'disconnect', rooms: ['agent:agent-d'] },
    ]);
    expect(
      fanOut(
        { type: 'account.sessionsEnded', accountId: 'agent-d', exceptSessionId: 'session-keep' },
        testFileUrls,
      ),
    ).toEqual([{ kind: 'disconnect', rooms: ['agent:agent-d'], except: ['session:session-keep'] }]);
  });

  it('account.roleChanged drops the account’s sockets, so they come back with the new rooms', () => {
    expect(fanOut({ type: 'account.roleChanged', accountId: 'agent-r' }, testFileUrls)).toEqual([
      { kind: 'disconnect', rooms: ['agent:agent-r'] },
    ]);
  });

  it('session.ended drops that session’s sockets only', () => {
    expect(fanOut({ type: 'session.ended', sessionId: 'session-out' }, testFileUrls)).toEqual([
      { kind: 'disconnect', rooms: ['session:session-out'] },
    ]);
  });

  it('visitor.erased drops every socket of that visitor', () => {
    expect(fanOut({ type: 'visitor.erased', visitorId: 'visitor-e' }, testFileUrls)).toEqual([
      { kind: 'disconnect', rooms: ['visitor:visitor-e'] },
    ]);
  });
});

// ---- all events at once: the compiler requires one example of every kind of domain event
function oneOfEach(): { [K in DomainEvent['type']]: Extract<DomainEvent, { type: K }> } {
  const view = served();
  return {
    'message.created': { type: 'message.created', view, message: messageIn(view, 'agent') },
    'conversation.updated': { type: 'conversation.updated', view, previousAgentId: 'agent-x' },
    'conversation.read': { type: 'conversation.read', view, side: 'agent', seq: 6 },
    typing: { type: 'typing', view, side: 'visitor', isTyping: true },
    'queue.positions': {
      type: 'queue.positions',
      entries: [
        { conversationId: 'conversation-q', visitorId: 'visitor-q', position: 1, reason: 'busy' },
      ],
    },
    'agent.status': {
      type: 'agent.status',
      presence: {
        id: 'agent-s',
        displayName: 'Sam',
        avatarUrl: null,
        status: 'online',
        activeConversations: 0,
        maxConcurrent: null,
      },
    },
    'account.sessionsEnded': {
      type: 'account.sessionsEnded',
      accountId: 'agent-d',
      exceptSessionId: 'session-keep',
    },
    'account.roleChanged': { type: 'account.roleChanged', accountId: 'agent-r' },
    'session.ended': { type: 'session.ended', sessionId: 'session-out' },
    'visitor.erased': { type: 'visitor.erased', visitorId: 'visitor-e' },
    'note.created': { type: 'note.created', view, note: noteIn(view) },
    'queue.count': { type: 'queue.count', queued: 3 },
    'labels.changed': {
      type: 'labels.changed',
      labels: [{ id: 'label-1', name: 'VIP', color: '#aabbcc', created_at: 1, updated_at: 2 }],
    },
    'visitor.context': visitorContextChange('agent-x'),
    'robot.stream': {
      type: 'robot.stream',
      view,
      payload: {
        conversationId: view.conversation.id,
        streamId: 's-1',
        text: '您好',
        state: 'writing',
      },
    },
  };
}

function visitorContextChange(agentId: string | null) {
  return {
    type: 'visitor.context' as const,
    visitorId: 'visitor-c',
    conversationId: 'conversation-c',
    agentId,
    context: {
      pages: [{ url: 'https://shop.example.com/cart', title: 'Cart', at: 5 }],
      referrer: 'https://search.example.org/',
      language: 'zh-CN',
      timeZone: 'Asia/Shanghai',
      browser: { name: 'Chrome', version: '120.0.0.0' },
      os: { name: 'Windows', version: '10' },
      device: { type: 'desktop' as const, vendor: null, model: null },
      lastSeenAt: 5,
    },
  };
}

function noteIn(view: ReturnType<typeof served>): NotesTable {
  return {
    id: 'note-1',
    conversation_id: view.conversation.id,
    author_id: 'agent-x',
    author_name: 'Xavier',
    body: 'for the team only',
    after_seq: view.conversation.last_seq,
    client_note_id: 'n1',
    created_at: 1,
  };
}

describe('console-only changes and console-wide counts', () => {
  it('a console-only conversation.updated (labels, snooze) never reaches the visitor', () => {
    const view = served();
    const deliveries = fanOut(
      { type: 'conversation.updated', view, consoleOnly: true },
      testFileUrls,
    );
    expect(deliveries.flatMap((d) => d.rooms).some((r) => r.startsWith('visitor:'))).toBe(false);
    expect(deliveries).toHaveLength(1);
    expect(fanOut({ type: 'conversation.updated', view }, testFileUrls)).toHaveLength(2);
  });

  it('queue.count and labels.changed go to every console user and no visitor', () => {
    for (const event of [oneOfEach()['queue.count'], oneOfEach()['labels.changed']]) {
      expect(fanOut(event, testFileUrls).map((d) => d.rooms)).toEqual([['admins', 'agents']]);
    }
  });
});

describe('robot.stream', () => {
  it('goes to the visitor and the console users of the conversation, payload as it is', () => {
    const view = served();
    const payload = {
      conversationId: view.conversation.id,
      streamId: 's-2',
      text: '满 99 元',
      state: 'writing' as const,
    };
    expect(fanOut({ type: 'robot.stream', view, payload }, testFileUrls)).toEqual([
      {
        kind: 'emit',
        rooms: [`visitor:${view.visitor.id}`, 'admins', `agent:${view.agent!.id}`],
        event: 'robot.stream',
        payload,
      },
    ]);
  });
});

describe('where the visitor is', () => {
  it('visitor.context goes to admins and the agent of the open conversation, never a visitor', () => {
    expect(fanOut(visitorContextChange('agent-x'), testFileUrls)).toEqual([
      {
        kind: 'emit',
        rooms: ['admins', 'agent:agent-x'],
        event: 'visitor.updated',
        payload: {
          visitorId: 'visitor-c',
          conversationId: 'conversation-c',
          context: visitorContextChange(null).context,
        },
      },
    ]);
    // Queued (no agent yet): the admins only.
    expect(fanOut(visitorContextChange(null), testFileUrls).map((d) => d.rooms)).toEqual([
      ['admins'],
    ]);
  });
});

describe('every domain event', () => {
  const knownRoom = /^(?:admins|agents|(?:visitor|agent|session):[\w-]+)$/;

  it.each(Object.keys(oneOfEach()) as DomainEvent['type'][])(
    '%s: known rooms only; each emit is a server event whose payload fits its schema',
    (type) => {
      const deliveries = fanOut(oneOfEach()[type], testFileUrls);
      expect(deliveries.length).toBeGreaterThan(0);
      for (const delivery of deliveries) {
        expect(delivery.rooms.length).toBeGreaterThan(0);
        for (const room of [...delivery.rooms, ...(delivery.except ?? [])]) {
          expect(room).toMatch(knownRoom);
        }
        if (delivery.kind === 'emit') {
          expect(Object.keys(serverEventPayloads)).toContain(delivery.event);
          serverEventPayloads[delivery.event].parse(delivery.payload);
        }
      }
    },
  );

  it('a visitor’s room never gets a console-shaped payload or an agent id', () => {
    for (const event of Object.values(oneOfEach())) {
      if (!('view' in event)) continue;
      for (const delivery of fanOut(event, testFileUrls)) {
        if (!delivery.rooms.some((room) => room.startsWith('visitor:'))) continue;
        expect(delivery.kind).toBe('emit');
        if (delivery.kind !== 'emit') continue;
        expectNothingSecret(delivery.payload, secretsOf(event.view));
        const conversation = (delivery.payload as { conversation?: object }).conversation;
        if (conversation) expect(conversation).not.toHaveProperty('visitor');
      }
    }
  });
});
