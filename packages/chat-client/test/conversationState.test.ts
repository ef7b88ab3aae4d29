import { describe, expect, it } from 'vitest';
import {
  applyRead,
  conversationOf,
  mergeConversation,
  unreadBound,
} from '../src/conversationState.js';
import { conversation, message, visitorConversation } from './factories.js';

const notice = (seq: number) =>
  message(seq, {
    sender: { type: 'system', name: 'System', avatarUrl: null },
    type: 'system',
    meta: { kind: 'assigned', agentName: 'Alice' },
  });

describe('the unread rule', () => {
  it('bounds the count by what comes after the reader’s read position, never below zero', () => {
    const c = { lastSeq: 10, agentReadSeq: 4, visitorReadSeq: 9 };
    expect(unreadBound(c, 'agent')).toBe(6);
    expect(unreadBound(c, 'visitor')).toBe(1);
    expect(unreadBound({ ...c, agentReadSeq: 12 }, 'agent')).toBe(0);
  });

  it('keeps the server’s count (system notices not in it) until the reader reads', () => {
    // Seqs 1-2 are notices, 3 is the visitor's question: one unread, not three.
    const c = conversation({ lastSeq: 3, agentReadSeq: 0, unread: 1 });
    expect(mergeConversation(undefined, c, 'agent').unread).toBe(1);
    const read = applyRead(c, 'agent', 3, 'agent');
    expect([read.agentReadSeq, read.unread]).toEqual([3, 0]);
  });

  it('moves read positions forward only; a partial read lowers the count to its bound', () => {
    const c = conversation({ lastSeq: 10, agentReadSeq: 4, unread: 5 });
    const read = applyRead(c, 'agent', 8, 'agent');
    expect([read.agentReadSeq, read.unread]).toEqual([8, 2]);
    const stale = applyRead(read, 'agent', 5, 'agent');
    expect([stale.agentReadSeq, stale.unread]).toEqual([8, 2]);
    // The visitor reading changes the agent's receipts, not the agent's count.
    const seen = applyRead(read, 'visitor', 10, 'agent');
    expect([seen.visitorReadSeq, seen.unread]).toEqual([10, 2]);
    expect(c.agentReadSeq).toBe(4);
  });
});

describe('mergeConversation', () => {
  it('keeps a known rating when a copy without one arrives (a message’s copy carries none)', () => {
    const rating = { score: 4, comment: null, createdAt: 1000 };
    const known = visitorConversation({ state: 'ended', rating });
    const withoutRating = visitorConversation({ state: 'ended' });
    expect('rating' in withoutRating).toBe(false);
    expect(mergeConversation(known, withoutRating, 'visitor').rating).toEqual(rating);
    // A copy that says "none" (null) or another rating is believed.
    const fresh = visitorConversation({ state: 'ended', rating: null });
    expect(mergeConversation(known, fresh, 'visitor').rating).toBeNull();
    expect(mergeConversation(undefined, known, 'visitor').rating).toEqual(rating);
  });

  it('takes a first copy’s count, bounded by what the reader has not read', () => {
    const c = mergeConversation(
      undefined,
      visitorConversation({ lastSeq: 5, visitorReadSeq: 2, unread: 99 }),
      'visitor',
    );
    expect(c.unread).toBe(3);
  });

  it('never lets an older copy move seqs, read positions, the count or the last message back', () => {
    const newer = conversation({
      lastSeq: 9,
      agentReadSeq: 7,
      visitorReadSeq: 9,
      unread: 1,
      lastMessage: message(9),
      lastActivityAt: 2000,
    });
    const older = conversation({
      state: 'ended',
      agent: null,
      lastSeq: 6,
      agentReadSeq: 3,
      visitorReadSeq: 6,
      unread: 3,
      lastMessage: message(6),
      lastActivityAt: 1000,
    });
    const merged = mergeConversation(newer, older, 'agent');
    expect(merged).toMatchObject({
      lastSeq: 9,
      agentReadSeq: 7,
      visitorReadSeq: 9,
      unread: 1,
      lastActivityAt: 2000,
      // What is not ordered comes from the copy that arrived last.
      state: 'ended',
      agent: null,
    });
    expect(merged.lastMessage?.seq).toBe(9);
  });

  it('takes a newer copy’s progress and count', () => {
    const known = visitorConversation({ lastSeq: 3, visitorReadSeq: 3, lastMessage: message(3) });
    const incoming = visitorConversation({
      lastSeq: 5,
      agentReadSeq: 2,
      queuePosition: 2,
      unread: 1,
      lastMessage: message(5),
    });
    const merged = mergeConversation(known, incoming, 'visitor');
    expect(merged).toMatchObject({
      lastSeq: 5,
      visitorReadSeq: 3,
      agentReadSeq: 2,
      unread: 1,
      queuePosition: 2,
    });
    expect(merged.lastMessage?.seq).toBe(5);
    // A copy without a last message keeps the known one.
    expect(
      mergeConversation(merged, { ...incoming, lastMessage: null }, 'visitor').lastMessage?.seq,
    ).toBe(5);
  });

  it('never previews a system notice', () => {
    const known = conversation({ lastSeq: 3, lastMessage: message(3, { body: 'question' }) });
    const merged = mergeConversation(
      known,
      conversation({ lastSeq: 4, lastMessage: notice(4) }),
      'agent',
    );
    expect(merged.lastMessage?.body).toBe('question');
    expect(
      mergeConversation(undefined, conversation({ lastMessage: notice(1) }), 'agent').lastMessage,
    ).toBeNull();
  });
});

describe('message.created', () => {
  it('makes the event’s message the conversation’s last message', () => {
    const { lastMessage: _, ...withoutLast } = conversation({ lastSeq: 4 });
    const c = conversationOf({ message: message(4, { body: 'new' }), conversation: withoutLast });
    expect(c.lastMessage?.body).toBe('new');
    expect(c.lastSeq).toBe(4);
  });

  it('also when a server still sends the conversation’s last message', () => {
    const c = conversationOf({
      message: message(4, { body: 'new' }),
      conversation: conversation({ lastSeq: 4, lastMessage: message(3) }),
    });
    expect(c.lastMessage?.body).toBe('new');
  });
});

describe('message.created with a system notice', () => {
  it('leaves the preview to the last visitor or agent message', () => {
    const known = conversation({ lastSeq: 3, lastMessage: message(3, { body: 'question' }) });
    const { lastMessage: _, ...withoutLast } = conversation({ lastSeq: 4 });
    const c = conversationOf({ message: notice(4), conversation: withoutLast });
    expect(c.lastMessage).toBeNull();
    expect(mergeConversation(known, c, 'agent').lastMessage?.body).toBe('question');
  });
});
