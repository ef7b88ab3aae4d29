import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
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
import {
  newClientMsgId,
  request,
  startLiveApp,
  uploadPng,
  type LiveApp,
} from '../support/liveApp.js';

/**
 * The robot first line through the real server and real Socket.IO clients: the greeting, FAQ
 * answers in both languages, "did you mean", handing over for each reason and staying silent
 * after, the channel's modes, an administrator's takeover, lists, unread counts and reports.
 */

interface Watched {
  socket: Socket;
  messages: Message[];
  streams: RobotStreamPayload[];
}

/** Every payload is checked against its schema; a failure fails the test at its end. */
const problems: string[] = [];

function watch(socket: Socket): Watched {
  const watched: Watched = { socket, messages: [], streams: [] };
  socket.on(ServerEvent.MessageCreated, (payload: unknown) => {
    const parsed = MessageCreatedPayload.safeParse(payload);
    if (!parsed.success) return problems.push(`message.created: ${parsed.error.message}`);
    watched.messages.push(parsed.data.message);
  });
  socket.on(ServerEvent.RobotStream, (payload: unknown) => {
    const parsed = RobotStreamPayload.strict().safeParse(payload);
    if (!parsed.success) return problems.push(`robot.stream: ${parsed.error.message}`);
    watched.streams.push(parsed.data);
  });
  return watched;
}

interface Visitor extends Watched {
  id: string;
  token: string;
  name: string;
}

async function visitor(t: LiveApp): Promise<Visitor> {
  const made = await t.visitor();
  return { ...watch(await t.connect(made.token)), ...made };
}

/** A visitor's text (with a robot choice, if given); answers the acked message. */
async function say(v: Visitor, body: string, choice?: string): Promise<Message> {
  const ack = await request(v.socket, ClientEvent.SendMessage, {
    clientMsgId: newClientMsgId(),
    type: 'text',
    body,
    ...(choice ? { choice } : {}),
  });
  expect(ack.ok, JSON.stringify(ack)).toBe(true);
  return ack.message as Message;
}

/** Waits for the robot's turns on the server, then for the events they sent to reach `v`. */
async function settle(t: LiveApp, ...clients: Watched[]): Promise<void> {
  await t.app.robotTurns.idle();
  // The server answers a request after every event it emitted to that socket before it.
  for (const c of clients) await request(c.socket, ClientEvent.ListMessages, {});
}

function robotMessages(v: Watched, conversationId: string): (Message & { meta: RobotMeta })[] {
  return v.messages.filter(
    (m) => m.conversationId === conversationId && m.sender.type === 'robot',
  ) as (Message & { meta: RobotMeta })[];
}

function systemKinds(v: Watched, conversationId: string): string[] {
  return v.messages
    .filter((m) => m.conversationId === conversationId && m.type === 'system')
    .map((m) => (m.meta as SystemMeta).kind);
}

async function conversationOf(t: LiveApp, id: string): Promise<Conversation> {
  const answer = await t.request('GET', `/api/v1/conversations/${id}`, { token: t.adminToken });
  expect(answer.status).toBe(200);
  return ConversationResponse.parse(answer.body).conversation;
}

let faqCounter = 0;

/** An FAQ entry of the channel, written as the console's FAQ page would store it. */
async function faq(
  t: LiveApp,
  questions: string[],
  answer: string,
  options: { imageFileId?: string; enabled?: boolean } = {},
): Promise<string> {
  faqCounter += 1;
  const id = `faq${faqCounter.toString().padStart(6, '0')}${Date.now().toString(36)}`;
  const now = Date.now();
  await t.app.ctx.db
    .insertInto('faq_entries')
    .values({
      id,
      channel_id: t.channelId,
      questions: JSON.stringify(questions),
      answer,
      image_file_id: options.imageFileId ?? null,
      enabled: options.enabled === false ? 0 : 1,
      position: faqCounter,
      created_at: now,
      updated_at: now,
    })
    .execute();
  t.app.ctx.robotKnowledge.forget(t.channelId);
  return id;
}

async function robotSettings(
  t: LiveApp,
  settings: Partial<{
    robot_mode: 'off' | 'first' | 'offHours';
    robot_name: string;
    robot_every_message: number;
    business_hours: string | null;
  }>,
): Promise<void> {
  await t.app.ctx.db.updateTable('channels').set(settings).where('id', '=', t.channelId).execute();
}

async function standardFaq(t: LiveApp) {
  const refund = await faq(
    t,
    ['怎么申请退款', '退款流程', 'How do I get a refund'],
    '在订单页点「申请退款」即可。',
  );
  const invoice = await faq(
    t,
    ['怎么开发票', 'How do I get an invoice'],
    '在订单详情页申请电子发票。',
  );
  const shipping = await faq(t, ['运费怎么算', 'How much is shipping'], '满 99 元包邮。');
  const hours = await faq(t, ['客服工作时间', 'What are your opening hours'], '每天 9:00–21:00。');
  return { refund, invoice, shipping, hours };
}

describe('robot', () => {
  let t: LiveApp;
  beforeEach(async () => {
    problems.length = 0;
    t = await startLiveApp();
  });
  afterEach(async () => {
    await t.close();
    expect(problems).toEqual([]);
  });

  it('greets with suggestions and answers Chinese and English questions from the FAQ', async () => {
    const { refund, invoice, shipping } = await standardFaq(t);
    await robotSettings(t, { robot_mode: 'first', robot_name: '小助手' });
    const v = await visitor(t);
    const first = await say(v, '我想申请退款怎么弄');
    await settle(t, v);
    const id = first.conversationId;
    const greeting = robotMessages(v, id)[0]!;
    expect(greeting.seq).toBeLessThan(first.seq);
    expect(greeting.sender).toEqual({ type: 'robot', name: '小助手', avatarUrl: null });
    expect(greeting.meta).toMatchObject({ kind: 'robot', reply: 'greeting' });
    expect(greeting.meta.choices.map((c) => c.entryId)).toEqual([refund, invoice, shipping]);
    expect(greeting.meta.choices[0]!.question).toBe('怎么申请退款');
    // No welcome text, no queue notice: the robot holds it.
    expect(systemKinds(v, id)).toEqual([]);
    expect((await conversationOf(t, id)).state).toBe('robot');

    let answers = robotMessages(v, id).filter((m) => m.meta.reply === 'answer');
    expect(answers.map((m) => m.body)).toEqual(['在订单页点「申请退款」即可。']);
    expect(answers[0]!.meta).toMatchObject({ source: 'faq', entryId: refund, streamId: null });

    await say(v, 'how do I get an invoice?');
    await settle(t, v);
    answers = robotMessages(v, id).filter((m) => m.meta.reply === 'answer');
    expect(answers.at(-1)!.body).toBe('在订单详情页申请电子发票。');
    const conversation = await conversationOf(t, id);
    expect(conversation.state).toBe('robot');
    expect(conversation.robot).toEqual({ replies: 2, handedOffAt: null, handoffReason: null });
  });

  it('offers choices when unsure; a picked choice is answered', async () => {
    const { refund, invoice } = await standardFaq(t);
    await robotSettings(t, { robot_mode: 'first' });
    const v = await visitor(t);
    const first = await say(v, '怎么');
    await settle(t, v);
    const id = first.conversationId;
    await say(v, '退款 发票');
    await settle(t, v);
    const offered = robotMessages(v, id).at(-1)!;
    expect(offered.meta.reply).toBe('choices');
    const ids = offered.meta.choices.map((c) => c.entryId);
    expect(ids).toContain(refund);
    expect(ids).toContain(invoice);
    expect(ids.length).toBeLessThanOrEqual(3);
    const pick = offered.meta.choices.find((c) => c.entryId === invoice)!;
    await say(v, pick.question, pick.entryId);
    await settle(t, v);
    const answer = robotMessages(v, id).at(-1)!;
    expect(answer.meta).toMatchObject({ reply: 'answer', entryId: invoice });
    expect(answer.body).toBe('在订单详情页申请电子发票。');
  });

  it('hands over on 转人工 to an online agent, then stays silent', async () => {
    await standardFaq(t);
    await robotSettings(t, { robot_mode: 'first' });
    const agent = await t.agent({ status: 'online' });
    const agentSocket = watch(await t.connect(agent.token));
    const v = await visitor(t);
    const first = await say(v, '运费怎么算');
    await settle(t, v);
    const id = first.conversationId;
    // The agent is online, yet the robot holds it: no agent sees it.
    expect(agentSocket.messages.filter((m) => m.conversationId === id)).toEqual([]);
    await say(v, '转人工');
    await settle(t, v, agentSocket);
    expect(systemKinds(v, id)).toEqual(['handedOff', 'assigned']);
    const handed = v.messages.find((m) => (m.meta as SystemMeta | null)?.kind === 'handedOff')!;
    expect(handed.meta).toEqual({ kind: 'handedOff', reason: 'requested' });
    // The agent hears the handoff notice live.
    expect(systemKinds(agentSocket, id)).toEqual(['handedOff', 'assigned']);
    const conversation = await conversationOf(t, id);
    expect(conversation.state).toBe('active');
    expect(conversation.agent?.id).toBe(agent.id);
    expect(conversation.robot).toMatchObject({ handoffReason: 'requested' });

    const robotBefore = robotMessages(v, id).length;
    await say(v, '怎么申请退款');
    await settle(t, v);
    expect(robotMessages(v, id).length).toBe(robotBefore);
  });

  it('the handoff choice with nobody online queues with the queued notice', async () => {
    await standardFaq(t);
    await robotSettings(t, { robot_mode: 'first' });
    const v = await visitor(t);
    const first = await say(v, 'how much is shipping');
    await settle(t, v);
    const id = first.conversationId;
    await say(v, 'Talk to a person', 'handoff');
    await settle(t, v);
    expect(systemKinds(v, id)).toEqual(['handedOff', 'queued']);
    const conversation = await conversationOf(t, id);
    expect(conversation.state).toBe('queued');
    expect(conversation.robot).toMatchObject({ handoffReason: 'requested' });
  });

  it('hands over when nothing matches, on media, and on a follow-up when only the opening message is answered', async () => {
    await standardFaq(t);
    await robotSettings(t, { robot_mode: 'first' });
    const a = await visitor(t);
    const aFirst = await say(a, '量子力学的基本原理');
    await settle(t, a);
    expect((await conversationOf(t, aFirst.conversationId)).robot?.handoffReason).toBe(
      'unanswered',
    );

    const b = await visitor(t);
    const bFirst = await say(b, '运费怎么算');
    await settle(t, b);
    const fileId = await uploadPng(t, b.token);
    const media = await request(b.socket, ClientEvent.SendMessage, {
      clientMsgId: newClientMsgId(),
      type: 'image',
      fileId,
    });
    expect(media.ok).toBe(true);
    await settle(t, b);
    expect((await conversationOf(t, bFirst.conversationId)).robot?.handoffReason).toBe('media');

    await robotSettings(t, { robot_every_message: 0 });
    const c = await visitor(t);
    const cFirst = await say(c, '怎么申请退款');
    await settle(t, c);
    expect(robotMessages(c, cFirst.conversationId).at(-1)!.meta.reply).toBe('answer');
    await say(c, '运费怎么算');
    await settle(t, c);
    const cConversation = await conversationOf(t, cFirst.conversationId);
    expect(cConversation.robot?.handoffReason).toBe('followUp');
    expect(
      robotMessages(c, cFirst.conversationId).filter((m) => m.meta.reply === 'answer'),
    ).toHaveLength(1);
  });
});
