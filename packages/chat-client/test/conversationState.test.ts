import { describe, expect, it } from 'vitest';
import {
  applyRead,
  conversationOf,
  mergeConversation,
  unreadFor,
} from '../src/conversationState.js';
import { conversation, message, visitorConversation } from './factories.js';

describe('the unread rule', () => {
  it('counts what comes after the reader’s read position, never below zero', () => {
    const c = { lastSeq: 10, agentReadSeq: 4, visitorReadSeq: 9 };
    expect(unreadFor(c, 'agent')).toBe(6);
    expect(unreadFor(c, 'visitor')).toBe(1);
    expect(unreadFor({ ...c, agentReadSeq: 12 }, 'agent')).toBe(0);
  });

  it('moves read positions forward only, and counts again', () => {
    const c = conversation({ lastSeq: 10, agentReadSeq: 4, unread: 6 });
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
  it('takes a first copy as it is, with the unread count worked out', () => {
    const c = mergeConversation(
      undefined,
      visitorConversation({ lastSeq: 5, visitorReadSeq: 2, unread: 99 }),
      'visitor',
    );
    expect(c.unread).toBe(3);
  });

  it('never lets an older copy move seqs, read positions or the last message back', () => {
    const newer = conversation({
      lastSeq: 9,
      agentReadSeq: 7,
      visitorReadSeq: 9,
      lastMessage: message(9),
      lastActivityAt: 2000,
    });
    const older = conversation({
      state: 'ended',
      agent: null,
      lastSeq: 6,
      agentReadSeq: 3,
      visitorReadSeq: 6,
      lastMessage: message(6),
      lastActivityAt: 1000,
    });
    const merged = mergeConversation(newer, older, 'agent');
    expect(merged).toMatchObject({
      lastSeq: 9,
      agentReadSeq: 7,
      visitorReadSeq: 9,
      unread: 2,
      lastActivityAt: 2000,
      // What is not ordered comes from the copy that arrived last.
      state: 'ended',
      agent: null,
    });
    expect(merged.lastMessage?.seq).toBe(9);
  });

  it('takes a newer copy’s progress', () => {
    const known = visitorConversation({ lastSeq: 3, visitorReadSeq: 3, lastMessage: message(3) });
    const incoming = visitorConversation({
      lastSeq: 5,
      agentReadSeq: 2,
      queuePosition: 2,
      lastMessage: message(5),
    });
    const merged = mergeConversation(known, incoming, 'visitor');
    expect(merged).toMatchObject({
      lastSeq: 5,
      visitorReadSeq: 3,
      agentReadSeq: 2,
      unread: 2,
      queuePosition: 2,
    });
    expect(merged.lastMessage?.seq).toBe(5);
    // A copy without a last message keeps the known one.
    expect(
      mergeConversation(merged, { ...incoming, lastMessage: null }, 'visitor').lastMessage?.seq,
    ).toBe(5);
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
