import { describe, expect, it } from 'vitest';
import { Conversation, Message, VisitorConversation } from '@servicesystem/protocol';
import {
  presentConversationForConsole,
  presentConversationForVisitor,
} from '../../src/domain/presenters/conversation.js';
import { snapshotOf } from '../../src/domain/presenters/file.js';
import {
  presentMessageFor,
  presentMessageForConsole,
  presentMessageForVisitor,
} from '../../src/domain/presenters/message.js';
import {
  adminActor,
  agentActor,
  conversationView,
  fileRow,
  messageIn,
  testFileUrls,
  testNow,
  visitorActor,
} from '../support/factories.js';

/**
 * A stored message (meta and attachment parsed) for each audience: console users see every
 * sender id and client id; a visitor sees an agent as a name and an avatar only, and only their
 * own client ids. Every answer must fit the protocol's Message exactly (strict).
 */
const view = conversationView({
  conversation: { id: 'conversation-m', last_seq: 4 },
  visitor: { id: 'visitor-m', name: 'Vera' },
  agent: {
    id: 'agent-m',
    display_name: 'Alice',
    avatar_url: 'https://cdn.example/alice.png',
  },
});

const present = (row: Parameters<typeof presentMessageForConsole>[0]) => ({
  console: Message.strict().parse(presentMessageForConsole(row, testFileUrls)),
  visitor: Message.strict().parse(presentMessageForVisitor(row, testFileUrls)),
});

describe('presentMessageForConsole and ForVisitor', () => {
  it('the visitor’s own message: both audiences see the visitor’s id and client id', () => {
    const row = messageIn(view, 'visitor', { id: 'message-v', client_msg_id: 'client-v-1' });
    const shown = present(row);
    const expected = {
      id: 'message-v',
      conversationId: 'conversation-m',
      seq: 5,
      sender: { type: 'visitor', id: 'visitor-m', name: 'Vera', avatarUrl: null },
      type: 'text',
      body: row.body,
      attachment: null,
      meta: null,
      clientMsgId: 'client-v-1',
      createdAt: testNow,
    };
    expect(shown.console).toEqual(expected);
    expect(shown.visitor).toEqual(expected);
  });

  it('an agent’s message: the console sees the agent’s id and client id, the visitor neither', () => {
    const row = messageIn(view, 'agent', { client_msg_id: 'client-agent-secret' });
    const shown = present(row);
    expect(shown.console.sender).toEqual({
      type: 'agent',
      id: 'agent-m',
      name: 'Alice',
      avatarUrl: 'https://cdn.example/alice.png',
    });
    expect(shown.console.clientMsgId).toBe('client-agent-secret');
    expect(shown.visitor.sender).toEqual({
      type: 'agent',
      name: 'Alice',
      avatarUrl: 'https://cdn.example/alice.png',
    });
    expect('id' in shown.visitor.sender).toBe(false);
    expect(shown.visitor.clientMsgId).toBeNull();
    const toVisitor = JSON.stringify(shown.visitor);
    expect(toVisitor).not.toContain('agent-m');
    expect(toVisitor).not.toContain('client-agent-secret');
    // Everything else is the same for both.
    expect({ ...shown.visitor, sender: null, clientMsgId: null }).toEqual({
      ...shown.console,
      sender: null,
      clientMsgId: null,
    });
  });

  it('a system message: its typed meta as stored, no sender id, no client id', () => {
    const row = messageIn(view, 'system', {
      body: 'Bob is now serving you.',
      meta: { kind: 'transferred', fromName: 'Alice', toName: 'Bob' },
    });
    for (const shown of Object.values(present(row))) {
      expect(shown).toMatchObject({
        type: 'system',
        sender: { type: 'system', name: 'System', avatarUrl: null },
        body: 'Bob is now serving you.',
        meta: { kind: 'transferred', fromName: 'Alice', toName: 'Bob' },
        clientMsgId: null,
        attachment: null,
      });
      expect('id' in shown.sender).toBe(false);
    }
  });

  it('an image: the stored snapshot with freshly signed URLs, the same for both audiences', () => {
    const file = fileRow({ id: 'file-m', kind: 'image' });
    const row = messageIn(view, 'agent', {
      type: 'image',
      body: 'a caption',
      attachment_id: 'file-m',
      attachment: snapshotOf(file),
    });
    const shown = present(row);
    expect(shown.console.attachment).toEqual(shown.visitor.attachment);
    expect(shown.visitor.attachment).toEqual({
      ...snapshotOf(file),
      url: testFileUrls.urlFor('file-m', 'original', 'image'),
      previewUrl: testFileUrls.urlFor('file-m', 'preview', 'image'),
    });
  });

  it('presentMessageFor: the visitor shape for visitors, the console shape for accounts', () => {
    const row = messageIn(view, 'agent');
    expect(presentMessageFor(visitorActor(), row, testFileUrls)).toEqual(
      presentMessageForVisitor(row, testFileUrls),
    );
    for (const actor of [adminActor(), agentActor()]) {
      expect(presentMessageFor(actor, row, testFileUrls)).toEqual(
        presentMessageForConsole(row, testFileUrls),
      );
    }
  });
});

describe('a conversation’s last message', () => {
  it('is presented for the same audience as the conversation', () => {
    const last = messageIn(view, 'agent', { client_msg_id: 'client-last' });
    const withLast = { ...view, lastMessage: last };
    const forConsole = Conversation.strict().parse(
      presentConversationForConsole(withLast, testFileUrls),
    );
    const forVisitor = VisitorConversation.strict().parse(
      presentConversationForVisitor(withLast, testFileUrls),
    );
    expect(forConsole.lastMessage).toEqual(presentMessageForConsole(last, testFileUrls));
    expect(forVisitor.lastMessage).toEqual(presentMessageForVisitor(last, testFileUrls));
    expect(forConsole.lastMessage?.clientMsgId).toBe('client-last');
    expect(forVisitor.lastMessage?.clientMsgId).toBeNull();
  });
});
