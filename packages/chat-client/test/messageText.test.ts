import { describe, expect, it } from 'vitest';
import { ClientMsgId } from '@servicesystem/protocol';
import { newClientMsgId } from '../src/clientMsgId.js';
import { checkMessageText, messageTextMaxLength, previewLine } from '../src/messageText.js';

describe('message text', () => {
  it('sends text trimmed, refuses empty and too long text', () => {
    expect(checkMessageText('  hello\nthere \n')).toEqual({ ok: true, body: 'hello\nthere' });
    expect(checkMessageText(' \n\t\u3000')).toEqual({ ok: false, reason: 'empty' });
    const longest = 'é'.repeat(messageTextMaxLength);
    expect(checkMessageText(` ${longest} `)).toEqual({ ok: true, body: longest });
    expect(checkMessageText(`${longest}e`)).toEqual({ ok: false, reason: 'tooLong' });
  });

  it('previews a message on one line', () => {
    expect(previewLine('  first line\n\nsecond\tline ')).toBe('first line second line');
  });
});

describe('newClientMsgId', () => {
  it('makes ids the server accepts, each different', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const id = newClientMsgId('c');
      expect(ClientMsgId.safeParse(id).success).toBe(true);
      expect(id.length).toBeLessThanOrEqual(48);
      expect(id[0]).toBe('c');
      ids.add(id);
    }
    expect(ids.size).toBe(1000);
    // A prefix with characters the protocol does not allow loses them.
    expect(newClientMsgId('a b/c')).toMatch(/^abc[a-z0-9]+$/);
  });
});
