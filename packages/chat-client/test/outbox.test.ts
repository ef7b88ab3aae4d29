import { describe, expect, it } from 'vitest';
import { outboxFromJson, outboxToJson, type OutboxItem } from '../src/outbox.js';
import { fileInfo } from './factories.js';

const item = (fields: Partial<OutboxItem>): OutboxItem => ({
  clientMsgId: 'w1',
  conversationId: null,
  type: 'text',
  body: 'hi',
  createdAt: 1,
  state: 'waiting',
  ...fields,
});

describe('the kept outbox', () => {
  it('keeps text and uploaded media across a reload, to be sent again with the same ids', () => {
    const json = outboxToJson([
      item({ clientMsgId: 'a', state: 'sending' }),
      item({ clientMsgId: 'b', state: 'failed', errorCode: 'CONVERSATION_ENDED' }),
      item({
        clientMsgId: 'c',
        type: 'image',
        file: fileInfo('f1'),
        localUrl: 'blob:x',
        progress: 1,
      }),
      // Not uploaded: its bytes live in memory only.
      item({ clientMsgId: 'd', type: 'video', localUrl: 'blob:y', state: 'uploading' }),
    ]);
    expect(outboxFromJson(json)).toEqual([
      item({ clientMsgId: 'a' }),
      item({ clientMsgId: 'b', state: 'failed', errorCode: 'CONVERSATION_ENDED' }),
      item({ clientMsgId: 'c', type: 'image', file: fileInfo('f1') }),
    ]);
    expect(outboxToJson([item({ type: 'image' })])).toBeNull();
  });

  it('keeps the robot choice a text answers, and drops a malformed one', () => {
    const json = outboxToJson([
      item({ clientMsgId: 'a', choice: 'handoff' }),
      item({ clientMsgId: 'b', choice: 'faq-1' }),
    ]);
    expect(outboxFromJson(json)).toEqual([
      item({ clientMsgId: 'a', choice: 'handoff' }),
      item({ clientMsgId: 'b', choice: 'faq-1' }),
    ]);
    const bad = JSON.stringify([
      { clientMsgId: 'c', type: 'text', body: 'x', choice: 42 },
      { clientMsgId: 'd', type: 'text', body: 'x', choice: 'y'.repeat(65) },
    ]);
    expect(outboxFromJson(bad).map((i) => i.choice)).toEqual([undefined, undefined]);
  });

  it('drops whatever is malformed', () => {
    expect(outboxFromJson(null)).toEqual([]);
    expect(outboxFromJson('not json')).toEqual([]);
    expect(outboxFromJson('{"a":1}')).toEqual([]);
    const raw = JSON.stringify([
      null,
      { clientMsgId: 'bad id!', type: 'text', body: 'x' },
      { clientMsgId: 'ok1', type: 'html', body: 'x' },
      { clientMsgId: 'ok2', type: 'image', body: '' },
      { clientMsgId: 'ok3', type: 'text', body: 5 },
      // Written by the page before conversationId was kept: the visitor's open conversation.
      { clientMsgId: 'ok4', type: 'text', body: 'old', createdAt: 7, state: 'sending' },
    ]);
    expect(outboxFromJson(raw)).toEqual([item({ clientMsgId: 'ok4', body: 'old', createdAt: 7 })]);
  });
});
