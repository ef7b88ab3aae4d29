import { describe, expect, it } from 'vitest';
import {
  fillPlaceholders,
  matchSavedReplies,
  replaceRange,
  slashQueryAt,
} from '../src/savedReplies.js';

describe('fillPlaceholders', () => {
  const names = { visitorName: 'Wang Fang', agentName: 'Alice' };

  it('fills {visitor.name} and {agent.name}, every time they appear', () => {
    expect(
      fillPlaceholders('Hi {visitor.name}, {agent.name} here. Bye {visitor.name}!', names),
    ).toBe('Hi Wang Fang, Alice here. Bye Wang Fang!');
    expect(fillPlaceholders('{visitor.name}{agent.name}', names)).toBe('Wang FangAlice');
  });

  it('leaves unknown placeholders, near misses and plain braces as typed', () => {
    for (const text of [
      'Order {order.id} is on its way',
      '{Visitor.Name} { visitor.name } {visitor.name {visitorname}',
      'JSON: {"a": 1} and {}',
      'no placeholders at all',
      '',
    ]) {
      expect(fillPlaceholders(text, names)).toBe(text);
    }
    expect(fillPlaceholders('{{visitor.name}}', names)).toBe('{Wang Fang}');
  });

  it('keeps a placeholder whose value is not known', () => {
    expect(fillPlaceholders('Hi {visitor.name}, I am {agent.name}', { agentName: 'Bo' })).toBe(
      'Hi {visitor.name}, I am Bo',
    );
    expect(fillPlaceholders('Hi {visitor.name}', { visitorName: '' })).toBe('Hi {visitor.name}');
  });

  it('inserts names literally, even ones that look like patterns or placeholders', () => {
    expect(fillPlaceholders('Hi {visitor.name}', { visitorName: '$& $1 $$' })).toBe('Hi $& $1 $$');
    // A name that is itself a placeholder is not filled again.
    expect(
      fillPlaceholders('{visitor.name} / {agent.name}', {
        visitorName: '{agent.name}',
        agentName: 'Alice',
      }),
    ).toBe('{agent.name} / Alice');
  });
});

describe('slashQueryAt', () => {
  it('finds a / at the start or after whitespace, up to the caret', () => {
    expect(slashQueryAt('/', 1)).toEqual({ query: '', start: 0, end: 1 });
    expect(slashQueryAt('/ref', 4)).toEqual({ query: 'ref', start: 0, end: 4 });
    expect(slashQueryAt('Hello /退款', 9)).toEqual({ query: '退款', start: 6, end: 9 });
    expect(slashQueryAt('line one\n/re', 12)).toEqual({ query: 're', start: 9, end: 12 });
    expect(slashQueryAt('a\u3000/x', 4)).toEqual({ query: 'x', start: 2, end: 4 });
  });

  it('replaces the whole word when the caret is inside it', () => {
    expect(slashQueryAt('/refund please', 4)).toEqual({ query: 'ref', start: 0, end: 7 });
  });

  it('ignores a / inside a word or a link, after the query ended, or after the caret', () => {
    expect(slashQueryAt('and/or', 6)).toBeNull();
    expect(slashQueryAt('see https://x.example/a', 23)).toBeNull();
    expect(slashQueryAt('/refund ', 8)).toBeNull();
    expect(slashQueryAt('/a/b', 4)).toBeNull();
    expect(slashQueryAt('hello /x', 3)).toBeNull();
    expect(slashQueryAt('', 0)).toBeNull();
  });
});

describe('matchSavedReplies', () => {
  const replies = [
    { shortcut: 'tracking', title: 'Where is my parcel', text: 'Your refund…' },
    { shortcut: 'policy', title: '退款说明', text: 'Refunds take 3 days, {visitor.name}.' },
    { shortcut: 'refund', title: 'Refund', text: 'We refund within a week.' },
    { shortcut: 'hello', title: 'Greeting', text: 'Hi {visitor.name}!' },
    { shortcut: 'late-refund', title: 'Late', text: 'Sorry.' },
  ];
  const shortcuts = (query: string) => matchSavedReplies(replies, query).map((r) => r.shortcut);

  it('matches everything for an empty query, in the given order', () => {
    expect(shortcuts('')).toEqual(replies.map((r) => r.shortcut));
    expect(shortcuts('  ')).toEqual(replies.map((r) => r.shortcut));
  });

  it('finds any part of a shortcut, title or text, case-insensitively', () => {
    expect(shortcuts('退款')).toEqual(['policy']);
    expect(shortcuts('说明')).toEqual(['policy']);
    expect(shortcuts('GREET')).toEqual(['hello']);
    expect(shortcuts('parcel')).toEqual(['tracking']);
    expect(shortcuts('{visitor')).toEqual(['policy', 'hello']);
    expect(shortcuts('nothing like it')).toEqual([]);
  });

  it('ranks shortcut starts, then shortcut parts, then titles, then texts', () => {
    expect(shortcuts('refund')).toEqual(['refund', 'late-refund', 'tracking', 'policy']);
    expect(shortcuts('Ref')).toEqual(['refund', 'late-refund', 'tracking', 'policy']);
  });

  it('keeps the caller’s objects', () => {
    expect(matchSavedReplies(replies, 'hello')[0]).toBe(replies[3]);
  });
});

describe('replaceRange', () => {
  it('puts the text in place of the range and the caret after it', () => {
    expect(replaceRange('Hi /ref there', { start: 3, end: 7 }, 'Refunds take 3 days.')).toEqual({
      text: 'Hi Refunds take 3 days. there',
      caret: 23,
    });
    expect(replaceRange('', { start: 0, end: 0 }, 'x')).toEqual({ text: 'x', caret: 1 });
  });

  it('clamps a range that the text outgrew or shrank from', () => {
    expect(replaceRange('ab', { start: 5, end: 9 }, 'c')).toEqual({ text: 'abc', caret: 3 });
    expect(replaceRange('abc', { start: 2, end: 1 }, 'X')).toEqual({ text: 'abXc', caret: 3 });
  });
});
