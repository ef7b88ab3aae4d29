import { describe, expect, it } from 'vitest';
import { buildMessages, handoffSentinel } from '../../src/domain/robot/model/prompt.js';
import { readAnswer } from '../../src/domain/robot/model/sentinel.js';

describe('the model prompt', () => {
  const item = {
    source: 'faq' as const,
    id: 'e1',
    questions: ['运费谁出', 'Who pays return shipping?'],
    answer: '退货运费由我们承担。',
    imageFileId: null,
  };

  it('puts the rules, then the instruction, then the knowledge in one system message', () => {
    const [system] = buildMessages('answer', {
      instruction: '  语气亲切。 ',
      knowledge: [item],
      history: [],
      locale: 'zh-CN',
    });
    expect(system!.role).toBe('system');
    const text = system!.content;
    expect(text).toContain('Simplified Chinese');
    expect(text.indexOf(handoffSentinel)).toBeLessThan(text.indexOf('语气亲切。'));
    expect(text.indexOf('语气亲切。')).toBeLessThan(
      text.indexOf('运费谁出 / Who pays return shipping?'),
    );
    expect(text).toContain('Answer: 退货运费由我们承担。');
  });

  it('leaves out an empty instruction and says when there is no knowledge', () => {
    const [system] = buildMessages('suggest', {
      instruction: ' ',
      knowledge: [],
      history: [],
      locale: null,
    });
    expect(system!.content).not.toContain('instruction');
    expect(system!.content).toContain('Knowledge entries: none.');
    expect(system!.content).toContain('language the visitor writes in');
  });

  it('joins neighbouring turns of one side and drops empty ones', () => {
    const messages = buildMessages('suggest', {
      instruction: '',
      knowledge: [item],
      history: [
        { role: 'visitor', text: '你好' },
        { role: 'visitor', text: '运费谁出？' },
        { role: 'robot', text: '  ' },
        { role: 'agent', text: '我查一下' },
        { role: 'robot', text: '请稍等' },
      ],
      locale: null,
    });
    expect(messages.slice(1)).toEqual([
      { role: 'user', content: '你好\n\n运费谁出？' },
      { role: 'assistant', content: '我查一下\n\n请稍等' },
    ]);
  });
});

describe('reading the answer for the sentinel', () => {
  it.each([
    'HANDOFF',
    '**HANDOFF**',
    ' handoff. ',
    '`HANDOFF`',
    '抱歉。HANDOFF',
    '无法回答HANDOFF',
    '<think>hmm</think>HANDOFF',
  ])('reads %j as the sentinel', (text) => {
    expect(readAnswer(text, true)).toEqual({ kind: 'sentinel' });
    expect(readAnswer(text, false)).toEqual({ kind: 'sentinel' });
  });

  it.each(['', 'H', '**HAN', ' hand', '<think>the entries say'])(
    'shows nothing yet of %j, which may still become the sentinel',
    (text) => {
      expect(readAnswer(text, false)).toEqual({ kind: 'text', shown: '' });
    },
  );

  it('holds back a trailing start of the sentinel until the next chunk says what it is', () => {
    expect(readAnswer('I am not sure. HAND', false)).toEqual({
      kind: 'text',
      shown: 'I am not sure.',
    });
    expect(readAnswer('I am not sure. HANDS', false)).toEqual({
      kind: 'text',
      shown: 'I am not sure. HANDS',
    });
    expect(readAnswer('Handling takes a day', false)).toEqual({
      kind: 'text',
      shown: 'Handling takes a day',
    });
    // Ended: nothing is held back.
    expect(readAnswer('Call us on H', true)).toEqual({ kind: 'text', shown: 'Call us on H' });
  });

  it('does not take the word inside another word, or in lower case within an answer, as the sentinel', () => {
    expect(readAnswer('The HANDOFFS are daily.', true)).toEqual({
      kind: 'text',
      shown: 'The HANDOFFS are daily.',
    });
    expect(readAnswer('Our handoff to the courier is at 5pm.', true)).toEqual({
      kind: 'text',
      shown: 'Our handoff to the courier is at 5pm.',
    });
  });
});
