import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LlmConfig } from '../../src/config.js';
import type { KnowledgeItem } from '../../src/domain/robot/matcher.js';
import { OpenAiModel } from '../../src/domain/robot/model/openAiModel.js';
import type { ModelRequest } from '../../src/domain/robot/model/robotModel.js';
import { startFakeModel, type FakeModel } from '../support/fakeModel.js';

/** The robot's model client against a real local OpenAI-compatible server (support/fakeModel). */
let fake: FakeModel;
beforeAll(async () => {
  fake = await startFakeModel();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.release();
  fake.calls.length = 0;
  fake.behave({ kind: 'stream', chunks: ['OK'] });
});

function modelWith(overrides: Partial<LlmConfig> = {}): OpenAiModel {
  return new OpenAiModel({
    baseUrl: fake.baseUrl,
    model: 'fake-7b',
    apiKey: 'sk-local-test',
    timeoutMs: 3000,
    firstTokenTimeoutMs: 600,
    concurrency: 2,
    maxTokens: 128,
    ...overrides,
  });
}

const refund: KnowledgeItem = {
  source: 'faq',
  id: 'faq-refund',
  questions: ['How do I get a refund?', '怎么退款'],
  answer: 'Refunds take 3 to 5 working days: https://shop.example/refunds',
  imageFileId: null,
};

/** A request whose `onText` calls are kept. */
function request(extra: Partial<ModelRequest> = {}): ModelRequest & { shown: string[] } {
  const shown: string[] = [];
  return {
    instruction: 'Always sign as Mia from Example Shop.',
    knowledge: [refund],
    history: [
      { role: 'visitor', text: 'hello' },
      { role: 'robot', text: 'Hi! How can I help?' },
      { role: 'visitor', text: 'I want my money back' },
    ],
    locale: 'en',
    onText: (text) => shown.push(text),
    shown,
    ...extra,
  };
}

describe('the model client', () => {
  it('streams an answer: the text so far grows with each chunk, and the answer is the whole', async () => {
    fake.behave({
      kind: 'stream',
      chunks: ['Refunds take ', '3 to 5 ', 'working days: ', 'https://shop.example/refunds'],
      delayMs: 20,
    });
    const req = request();
    const outcome = await modelWith().answer(req);
    expect(outcome).toEqual({
      kind: 'answer',
      text: 'Refunds take 3 to 5 working days: https://shop.example/refunds',
    });
    expect(req.shown.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < req.shown.length; i++) {
      expect(req.shown[i]!.startsWith(req.shown[i - 1]!)).toBe(true);
      expect(req.shown[i]!.length).toBeGreaterThan(req.shown[i - 1]!.length);
    }
    expect(req.shown.at(-1)).toBe(outcome.kind === 'answer' ? outcome.text : '');
  });

  it('asks with the rules, the instruction, the knowledge and the conversation, and its key', async () => {
    await modelWith().answer(request());
    expect(fake.calls).toHaveLength(1);
    const [call] = fake.calls;
    expect(call!.method).toBe('POST');
    expect(call!.path).toBe('/v1/chat/completions');
    expect(call!.headers.authorization).toBe('Bearer sk-local-test');
    expect(call!.json).toMatchObject({ model: 'fake-7b', stream: true, max_tokens: 128 });
    const messages = call!.json!.messages!;
    expect(messages[0]!.role).toBe('system');
    const system = messages[0]!.content;
    expect(system).toContain('HANDOFF');
    expect(system).toContain('Always sign as Mia from Example Shop.');
    expect(system).toContain('How do I get a refund? / 怎么退款');
    expect(system).toContain('Refunds take 3 to 5 working days: https://shop.example/refunds');
    // The rules come before the instruction, the instruction before the knowledge.
    expect(system.indexOf('HANDOFF')).toBeLessThan(system.indexOf('Always sign as Mia'));
    expect(system.indexOf('Always sign as Mia')).toBeLessThan(system.indexOf('Refunds take'));
    expect(messages.slice(1)).toEqual([
      { role: 'user', content: 'hello' },
      { role: 'assistant', content: 'Hi! How can I help?' },
      { role: 'user', content: 'I want my money back' },
    ]);
  });

  it('sends no Authorization header without a key', async () => {
    await modelWith({ apiKey: undefined }).answer(request());
    expect(fake.calls[0]!.headers.authorization).toBeUndefined();
  });

  it('drafts for an agent in the agent’s voice, from the same knowledge and conversation', async () => {
    fake.behave({ kind: 'stream', chunks: ['Sure, refunds take 3 to 5 working days.'] });
    const outcome = await modelWith().suggest(
      request({
        history: [
          { role: 'visitor', text: 'refund?' },
          { role: 'agent', text: 'Let me check.' },
          { role: 'visitor', text: 'how long does it take' },
        ],
      }),
    );
    expect(outcome).toEqual({ kind: 'answer', text: 'Sure, refunds take 3 to 5 working days.' });
    const messages = fake.calls[0]!.json!.messages!;
    expect(messages[0]!.content).toContain('agent');
    expect(messages[0]!.content).toContain('https://shop.example/refunds');
    expect(messages.slice(1).map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
  });

  it('times out when no word comes in time, and lets go of the connection', async () => {
    fake.behave({ kind: 'silent' });
    const req = request();
    const outcome = await modelWith({ firstTokenTimeoutMs: 300 }).answer(req);
    expect(outcome).toMatchObject({ kind: 'failed', reason: 'timeout' });
    expect(outcome.kind === 'failed' && outcome.detail).toContain('no answer within 300 ms');
    expect(req.shown).toEqual([]);
    await expect.poll(() => fake.open()).toBe(0);
  });

  it('times out when an answer starts and then stalls past the whole answer’s limit', async () => {
    fake.behave({ kind: 'stall', chunks: ['Refunds take ', '3 to 5 days'] });
    const req = request();
    const outcome = await modelWith({ firstTokenTimeoutMs: 300, timeoutMs: 1000 }).answer(req);
    expect(outcome).toMatchObject({ kind: 'failed', reason: 'timeout' });
    expect(outcome.kind === 'failed' && outcome.detail).toContain('longer than 1000 ms');
    // What came was shown while it came (the robot drops the preview on a failure).
    expect(req.shown.at(-1)).toBe('Refunds take 3 to 5 days');
    await expect.poll(() => fake.open()).toBe(0);
  });

  it('fails with the status on an error answer', async () => {
    fake.behave({ kind: 'status', status: 500, body: '{"error":{"message":"model not loaded"}}' });
    const outcome = await modelWith().answer(request());
    expect(outcome).toMatchObject({ kind: 'failed', reason: 'error' });
    expect(outcome.kind === 'failed' && outcome.detail).toMatch(/^HTTP 500: .*model not loaded/);
  });

  it('fails when the endpoint cannot be reached', async () => {
    const gone = await startFakeModel();
    const baseUrl = gone.baseUrl;
    await gone.close();
    const outcome = await modelWith({ baseUrl }).answer(request());
    expect(outcome).toMatchObject({ kind: 'failed', reason: 'error' });
  });

  it('fails with an error event inside the stream', async () => {
    fake.behave({
      kind: 'raw',
      body: 'data: {"error":{"message":"out of memory"}}\n\n',
    });
    const outcome = await modelWith().answer(request());
    expect(outcome).toMatchObject({ kind: 'failed', reason: 'error' });
    expect(outcome.kind === 'failed' && outcome.detail).toContain('out of memory');
  });

  it.each([
    ['garbage bytes', Buffer.from([0xff, 0xfe, 0x00, 0x9c, 0x13, 0x37, 0x0a, 0xc3, 0x28])],
    ['invalid JSON lines', 'data: {"choices":[{"delta":{"content":"Re\n\ndata: [DONE]\n\n'],
    ['JSON that is not an object', 'data: [1,2,3]\n\ndata: [DONE]\n\n'],
    ['content that is not text', 'data: {"choices":[{"delta":{"content":42}}]}\n\n'],
    ['an empty stream', ''],
    [
      'a stream without content',
      'data: {"choices":[{"delta":{"role":"assistant"}}]}\n\ndata: [DONE]\n\n',
    ],
    [
      'an answer of spaces',
      'data: {"choices":[{"delta":{"content":"  \\n "}}]}\n\ndata: [DONE]\n\n',
    ],
    ['HTML instead of events', '<html><body>502 Bad Gateway</body></html>'],
  ])('reads %s as nonsense', async (_name, body) => {
    fake.behave({ kind: 'raw', body });
    const outcome = await modelWith().answer(request());
    expect(outcome).toMatchObject({ kind: 'failed', reason: 'nonsense' });
  });

  it('reads a stream that ends before its end as nonsense, not as a cut answer', async () => {
    fake.behave({ kind: 'stream', chunks: ['Refunds take'], done: false });
    expect(await modelWith().answer(request())).toMatchObject({
      kind: 'failed',
      reason: 'nonsense',
    });
  });

  it('refuses a body past its size limit', async () => {
    fake.behave({ kind: 'raw', body: `: ${'x'.repeat(3 * 1024 * 1024)}\n` });
    const outcome = await modelWith().answer(request());
    expect(outcome).toMatchObject({ kind: 'failed', reason: 'nonsense' });
    expect(outcome.kind === 'failed' && outcome.detail).toContain('bytes');
  });

  it('takes a non-streamed completion from a server that ignores `stream`', async () => {
    fake.behave({ kind: 'json', content: 'Refunds take 3 to 5 working days.' });
    const req = request();
    expect(await modelWith().answer(req)).toEqual({
      kind: 'answer',
      text: 'Refunds take 3 to 5 working days.',
    });
    expect(req.shown).toEqual(['Refunds take 3 to 5 working days.']);
  });

  it.each([
    ['alone', ['HANDOFF']],
    ['split across chunks', ['HAN', 'D', 'OFF']],
    ['in markdown and punctuation', [' **HAND', 'OFF**', '.\n']],
    ['in lower case, alone', ['handoff']],
    ['after some words', ['I am not sure about that. ', 'HAND', 'OFF']],
    ['after a thinking block', ['<think>The entries do not say.</think>', '\nHANDOFF']],
  ])('answers unsure on the sentinel %s, never showing it', async (_name, chunks) => {
    fake.behave({ kind: 'stream', chunks, delayMs: 10 });
    const req = request();
    expect(await modelWith().answer(req)).toEqual({ kind: 'unsure' });
    for (const text of req.shown) {
      expect(text).not.toMatch(/(?:^|[^A-Za-z])H[A-Z]*\W*$/);
      expect(text.toUpperCase()).not.toContain('HAND');
      expect(text).not.toContain('think');
    }
  });

  it('shows an answer that begins like the sentinel once it is not the sentinel', async () => {
    fake.behave({ kind: 'stream', chunks: ['Ha', 'nd ', 'over your receipt, please.'] });
    const req = request();
    expect(await modelWith().answer(req)).toEqual({
      kind: 'answer',
      text: 'Hand over your receipt, please.',
    });
    expect(req.shown.at(-1)).toBe('Hand over your receipt, please.');
  });

  it('keeps a thinking block to itself', async () => {
    fake.behave({
      kind: 'stream',
      chunks: ['<think>Entry 1 says ', '3 to 5 days.</think>', '\n\nRefunds take 3 to 5 days.'],
    });
    const req = request();
    expect(await modelWith().answer(req)).toEqual({
      kind: 'answer',
      text: 'Refunds take 3 to 5 days.',
    });
    expect(req.shown.every((text) => !text.includes('think') && !text.includes('Entry 1'))).toBe(
      true,
    );
  });

  it('answers busy at once past its concurrency, and frees the place when a call ends', async () => {
    fake.behave({ kind: 'silent' });
    const model = modelWith({ concurrency: 2, firstTokenTimeoutMs: 5000, timeoutMs: 10_000 });
    const calls = [model.answer(request()), model.answer(request()), model.answer(request())];
    // The third is refused while the first two wait, without waiting itself.
    expect(await calls[2]).toMatchObject({ kind: 'failed', reason: 'busy' });
    await expect.poll(() => fake.calls.length).toBe(2);
    fake.behave({ kind: 'stream', chunks: ['Done.'] });
    fake.release();
    // Released without a word: each reads as nonsense, and each frees its place.
    expect(await calls[0]).toMatchObject({ kind: 'failed', reason: 'nonsense' });
    expect(await calls[1]).toMatchObject({ kind: 'failed', reason: 'nonsense' });
    expect(await model.answer(request())).toEqual({ kind: 'answer', text: 'Done.' });
    expect(fake.calls).toHaveLength(3);
  });

  it('stops when the caller aborts, and lets go of the connection', async () => {
    fake.behave({ kind: 'silent' });
    const controller = new AbortController();
    const model = modelWith({ firstTokenTimeoutMs: 5000, timeoutMs: 10_000 });
    const outcome = model.answer(request({ signal: controller.signal }));
    await expect.poll(() => fake.calls.length).toBe(1);
    controller.abort();
    expect(await outcome).toMatchObject({ kind: 'failed', reason: 'error' });
    await expect.poll(() => fake.open()).toBe(0);
    // Already aborted: no call at all.
    expect(await model.answer(request({ signal: controller.signal }))).toMatchObject({
      kind: 'failed',
    });
    expect(fake.calls).toHaveLength(1);
  });

  it('does not fail an answer because the caller’s onText throws', async () => {
    fake.behave({ kind: 'stream', chunks: ['Fine', ' answer.'] });
    const outcome = await modelWith().answer(
      request({
        onText: () => {
          throw new Error('display broke');
        },
      }),
    );
    expect(outcome).toEqual({ kind: 'answer', text: 'Fine answer.' });
  });
});
