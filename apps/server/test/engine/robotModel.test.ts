import type { Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ClientEvent,
  ConversationResponse,
  MessageCreatedPayload,
  RobotStreamPayload,
  ServerEvent,
  type Conversation,
  type Message,
  type RobotMeta,
  type SystemMeta,
} from '@servicesystem/protocol';
import { startFakeModel, type FakeModel } from '../support/fakeModel.js';
import { newClientMsgId, request, startLiveApp, type LiveApp } from '../support/liveApp.js';

/**
 * The robot with a language model, end to end: the real server configured with LLM_* talks to a
 * real local OpenAI-compatible server (support/fakeModel) over HTTP, and a visitor's real socket
 * sees the answer grow, then stored; a slow, stalled, failing or nonsensical model, or one that
 * is unsure, hands the visitor to a person, and the sentinel is never shown.
 */

const shippingAnswer = '满 99 元包邮，不满收 8 元运费。';
const instruction = '称呼访客为“亲”。';

interface Watched {
  socket: Socket;
  messages: Message[];
  streams: RobotStreamPayload[];
  /** Both kinds in the order they came: `stream:<state>` and `message:<sender type>`. */
  order: string[];
  problems: string[];
}

function watch(socket: Socket): Watched {
  const watched: Watched = { socket, messages: [], streams: [], order: [], problems: [] };
  socket.on(ServerEvent.MessageCreated, (payload: unknown) => {
    const parsed = MessageCreatedPayload.safeParse(payload);
    if (parsed.success) {
      watched.messages.push(parsed.data.message);
      watched.order.push(`message:${parsed.data.message.sender.type}`);
    } else watched.problems.push(parsed.error.message);
  });
  socket.on(ServerEvent.RobotStream, (payload: unknown) => {
    const parsed = RobotStreamPayload.strict().safeParse(payload);
    if (parsed.success) {
      watched.streams.push(parsed.data);
      watched.order.push(`stream:${parsed.data.state}`);
    } else watched.problems.push(parsed.error.message);
  });
  return watched;
}

let t: LiveApp;
let fake: FakeModel;

beforeAll(async () => {
  fake = await startFakeModel();
  t = await startLiveApp({
    LLM_BASE_URL: fake.baseUrl,
    LLM_MODEL: 'fake-7b',
    LLM_FIRST_TOKEN_TIMEOUT_MS: '800',
    LLM_TIMEOUT_MS: '2500',
  });
  const faq = await t.request('POST', `/api/v1/channels/${t.channelId}/faq`, {
    token: t.adminToken,
    body: { questions: ['运费怎么算', '包邮吗', 'How much is shipping?'], answer: shippingAnswer },
  });
  expect(faq.status, JSON.stringify(faq.body)).toBe(201);
  const channel = await t.request('PATCH', `/api/v1/channels/${t.channelId}`, {
    token: t.adminToken,
    body: { robot: { mode: 'first', instruction } },
  });
  expect(channel.status, JSON.stringify(channel.body)).toBe(200);
});
afterEach(() => {
  fake.release();
  fake.calls.length = 0;
});
afterAll(async () => {
  await t.close();
  await fake.close();
});

/** A new visitor on the robot-first channel asks; answers what the visitor's socket saw once the
 * robot's turn is over, and the conversation. */
async function ask(text: string): Promise<{ seen: Watched; conversation: Conversation }> {
  const made = await t.visitor();
  const seen = watch(await t.connect(made.token));
  const ack = await request(seen.socket, ClientEvent.SendMessage, {
    clientMsgId: newClientMsgId(),
    type: 'text',
    body: text,
  });
  expect(ack.ok, JSON.stringify(ack)).toBe(true);
  const conversationId = (ack.message as Message).conversationId;
  await t.app.robotTurns.idle();
  // Answered after every event the server emitted to this socket before it.
  await request(seen.socket, ClientEvent.ListMessages, {});
  expect(seen.problems).toEqual([]);
  const answer = await t.request('GET', `/api/v1/conversations/${conversationId}`, {
    token: t.adminToken,
  });
  expect(answer.status).toBe(200);
  return { seen, conversation: ConversationResponse.parse(answer.body).conversation };
}

const robotAnswers = (seen: Watched) =>
  seen.messages.filter(
    (m) => m.sender.type === 'robot' && (m.meta as RobotMeta | null)?.reply === 'answer',
  ) as (Message & { meta: RobotMeta })[];

const handedOff = (seen: Watched) =>
  seen.messages.filter(
    (m) => m.type === 'system' && (m.meta as SystemMeta | null)?.kind === 'handedOff',
  );

describe('the robot with a language model', () => {
  it('streams the answer to the visitor as it grows, then stores it under the same streamId', async () => {
    fake.behave({
      kind: 'stream',
      chunks: ['亲，', '满 99 元', '包邮，', '不满收 8 元运费。'],
      delayMs: 150,
    });
    const { seen, conversation } = await ask('运费怎么算？');

    const [answer] = robotAnswers(seen);
    expect(answer).toBeDefined();
    expect(answer!.body).toBe('亲，满 99 元包邮，不满收 8 元运费。');
    expect(answer!.meta).toMatchObject({ source: 'model', entryId: null });
    const streamId = answer!.meta.streamId;
    expect(streamId).toEqual(expect.any(String));

    const streams = seen.streams.filter((s) => s.streamId === streamId);
    expect(streams.every((s) => s.conversationId === conversation.id)).toBe(true);
    const writing = streams.filter((s) => s.state === 'writing');
    expect(writing.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < writing.length; i++) {
      expect(writing[i]!.text.startsWith(writing[i - 1]!.text)).toBe(true);
      expect(writing[i]!.text.length).toBeGreaterThan(writing[i - 1]!.text.length);
    }
    expect(streams.at(-1)).toMatchObject({ state: 'done', text: answer!.body });
    // The previews came before the stored message.
    expect(seen.order.indexOf('stream:writing')).toBeLessThan(
      seen.order.lastIndexOf('message:robot'),
    );
    expect(conversation.state).toBe('robot');

    // What the model was asked: the rules, the channel's instruction, the entry, the visitor.
    expect(fake.calls).toHaveLength(1);
    const messages = fake.calls[0]!.json!.messages!;
    expect(messages[0]!.content).toContain(instruction);
    expect(messages[0]!.content).toContain(shippingAnswer);
    expect(messages.at(-1)).toEqual({ role: 'user', content: '运费怎么算？' });
  });

  it('hands over (modelFailed) when no word comes in time, dropping the preview', async () => {
    fake.behave({ kind: 'silent' });
    const { seen, conversation } = await ask('包邮吗');
    expect(robotAnswers(seen)).toEqual([]);
    expect(seen.streams.at(-1)).toMatchObject({ state: 'abandoned', text: '' });
    expect(conversation.robot).toMatchObject({ handoffReason: 'modelFailed' });
    expect(conversation.state).not.toBe('robot');
    expect(handedOff(seen)).toHaveLength(1);
  });

  it('hands over (modelFailed) when an answer starts and then stalls past the whole limit', async () => {
    fake.behave({ kind: 'stall', chunks: ['亲，满 99 元'] });
    const { seen, conversation } = await ask('运费怎么算');
    expect(seen.streams.some((s) => s.state === 'writing' && s.text === '亲，满 99 元')).toBe(true);
    expect(seen.streams.at(-1)!.state).toBe('abandoned');
    expect(robotAnswers(seen)).toEqual([]);
    expect(conversation.robot).toMatchObject({ handoffReason: 'modelFailed' });
  });

  it.each([
    ['an error', { kind: 'status', status: 500 } as const],
    ['nonsense', { kind: 'raw', body: 'data: {"choices":[{"delta":{"content":\n\n' } as const],
    ['an empty stream', { kind: 'raw', body: '' } as const],
  ])('hands over (modelFailed) on %s', async (_name, behaviour) => {
    fake.behave(behaviour);
    const { seen, conversation } = await ask('How much is shipping?');
    expect(robotAnswers(seen)).toEqual([]);
    expect(conversation.robot).toMatchObject({ handoffReason: 'modelFailed' });
    expect(handedOff(seen)).toHaveLength(1);
  });

  it('hands over (modelUnsure) on the sentinel, which the visitor never sees', async () => {
    fake.behave({
      kind: 'stream',
      chunks: ['抱歉，我不确定。', ' **HAN', 'DOFF**'],
      delayMs: 150,
    });
    const { seen, conversation } = await ask('运费怎么算');
    expect(conversation.robot).toMatchObject({ handoffReason: 'modelUnsure' });
    expect(robotAnswers(seen)).toEqual([]);
    expect(seen.streams.at(-1)!.state).toBe('abandoned');
    const shown = [...seen.streams.map((s) => s.text), ...seen.messages.map((m) => m.body)];
    for (const text of shown) expect(text.toUpperCase()).not.toContain('HAND');
  });
});
