import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import {
  ClientEvent,
  ConversationListResponse,
  ConversationResponse,
  MessagePage,
  Report,
  MessageCreatedPayload,
  RobotStreamPayload,
  ServerEvent,
  VisitorSessionResponse,
  type Conversation,
  type Message,
  type RobotMeta,
  type SystemMeta,
} from '@servicesystem/protocol';
import {
  eventually,
  newClientMsgId,
  request,
  startLiveApp,
  uploadPng,
  type LiveApp,
} from '../support/liveApp.js';

import type {
  ModelOutcome,
  ModelRequest,
  RobotModel,
} from '../../src/domain/robot/model/robotModel.js';
import { rebuildReportsRound } from '../../src/domain/reports/rebuildReports.js';
import {
  robotQuietMinutes,
  tendRobotConversations,
} from '../../src/domain/robot/tendRobotConversations.js';
import { reportStateKey } from '../../src/db/reportState.js';
import { testEngine } from '../support/testDatabase.js';
import { defaultRobotGreeting } from '../../src/domain/channels/channelTexts.js';
import { parseExposition, sampleKey } from '../support/prometheusText.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhookReceiver.js';

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

async function historyOf(t: LiveApp, id: string): Promise<Message[]> {
  const answer = await t.request('GET', `/api/v1/conversations/${id}/messages?limit=100`, {
    token: t.adminToken,
  });
  expect(answer.status).toBe(200);
  return MessagePage.parse(answer.body).messages;
}

async function listIds(t: LiveApp, token: string, query: string): Promise<string[]> {
  const answer = await t.request('GET', `/api/v1/conversations?${query}`, { token });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return ConversationListResponse.parse(answer.body).conversations.map((c) => c.id);
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

/** Business hours that are never open (no day has hours), and always open. */
const neverOpen = JSON.stringify({ timezone: 'UTC', weekly: {} });

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

  it('greets in the language the visitor’s page reports', async () => {
    await standardFaq(t);
    await robotSettings(t, { robot_mode: 'first' });
    const v = await visitor(t);
    const reported = await request(v.socket, ClientEvent.ReportContext, { language: 'en-US' });
    expect(reported.ok, JSON.stringify(reported)).toBe(true);
    const first = await say(v, 'How much is shipping');
    await settle(t, v);
    const [greeting] = robotMessages(v, first.conversationId);
    expect(greeting!.body).toBe(defaultRobotGreeting.en);
    const chinese = await visitor(t);
    const other = await say(chinese, '运费怎么算');
    await settle(t, chinese);
    expect(robotMessages(chinese, other.conversationId)[0]!.body).toBe(
      defaultRobotGreeting['zh-CN'],
    );
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

  it('answers from an FAQ entry made over REST, with its image, which the visitor can open', async () => {
    await robotSettings(t, { robot_mode: 'first' });
    const imageFileId = await uploadPng(t, t.adminToken);
    const created = await t.request('POST', `/api/v1/channels/${t.channelId}/faq`, {
      token: t.adminToken,
      body: {
        questions: ['退货地址在哪', 'Where do I send returns'],
        answer: '寄到上海市…',
        imageFileId,
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const v = await visitor(t);
    const first = await say(v, 'where do I send returns?');
    await settle(t, v);
    const answer = robotMessages(v, first.conversationId).at(-1)!;
    expect(answer.meta).toMatchObject({ reply: 'answer', source: 'faq' });
    expect(answer.body).toBe('寄到上海市…');
    expect(answer.attachment).toMatchObject({ id: imageFileId, kind: 'image' });
    const image = await t.request('GET', answer.attachment!.url.replace(t.url, ''), {
      token: v.token,
    });
    expect(image.status).toBe(200);
  });

  it('offHours: the robot only while the channel is closed; mode off: as before', async () => {
    await standardFaq(t);
    await robotSettings(t, { robot_mode: 'offHours', business_hours: neverOpen });
    const closed = await visitor(t);
    const closedFirst = await say(closed, '运费怎么算');
    await settle(t, closed);
    expect((await conversationOf(t, closedFirst.conversationId)).state).toBe('robot');
    expect(robotMessages(closed, closedFirst.conversationId).at(-1)!.body).toBe('满 99 元包邮。');

    // Open (no hours: always open): routed as without a robot.
    await robotSettings(t, { business_hours: null });
    const agent = await t.agent({ status: 'online' });
    const open = await visitor(t);
    const openFirst = await say(open, '运费怎么算');
    await settle(t, open);
    expect((await conversationOf(t, openFirst.conversationId)).state).toBe('active');
    expect(robotMessages(open, openFirst.conversationId)).toEqual([]);
    expect(systemKinds(open, openFirst.conversationId)).toEqual(['welcome', 'assigned']);

    await robotSettings(t, { robot_mode: 'off', business_hours: neverOpen });
    await t.setStatus(agent.token, 'offline');
    const off = await visitor(t);
    const offFirst = await say(off, '运费怎么算');
    await settle(t, off);
    const conversation = await conversationOf(t, offFirst.conversationId);
    expect(conversation.state).toBe('queued');
    expect(conversation.robot).toBeNull();
    expect(robotMessages(off, offFirst.conversationId)).toEqual([]);
    expect(systemKinds(off, offFirst.conversationId)).toEqual(['offHours', 'queued']);
  });

  it('an administrator takes a robot conversation by assigning it; agents never list robot conversations', async () => {
    await standardFaq(t);
    await robotSettings(t, { robot_mode: 'first' });
    const agent = await t.agent({ status: 'away' });
    const v = await visitor(t);
    const first = await say(v, '运费怎么算');
    await settle(t, v);
    const id = first.conversationId;

    // Agents: not in any view, not by state, not readable, and they cannot write in it.
    for (const query of ['view=mine', 'view=unassigned', 'state=robot', 'state=queued']) {
      expect(await listIds(t, agent.token, query)).not.toContain(id);
    }
    const read = await t.request('GET', `/api/v1/conversations/${id}`, { token: agent.token });
    expect(read.status).toBe(403);
    const write = await t.request('POST', `/api/v1/conversations/${id}/messages`, {
      token: agent.token,
      body: { clientMsgId: newClientMsgId(), type: 'text', body: 'hi' },
    });
    expect(write.status).toBe(403);
    const adminWrite = await t.request('POST', `/api/v1/conversations/${id}/messages`, {
      token: t.adminToken,
      body: { clientMsgId: newClientMsgId(), type: 'text', body: 'hi' },
    });
    expect(adminWrite.status).toBe(403);
    // Administrators: in "all" and by state; the queue count leaves it out.
    expect(await listIds(t, t.adminToken, 'view=all')).toContain(id);
    expect(await listIds(t, t.adminToken, 'state=robot')).toEqual([id]);
    expect(await listIds(t, t.adminToken, 'view=unassigned')).not.toContain(id);
    const counts = await t.request('GET', '/api/v1/conversations/counts', { token: t.adminToken });
    expect(counts.body.counts).toMatchObject({ unassigned: 0, all: 1 });

    const assigned = await t.request('POST', `/api/v1/conversations/${id}/assign`, {
      token: t.adminToken,
      body: { agentId: agent.id },
    });
    expect(assigned.status, JSON.stringify(assigned.body)).toBe(200);
    await settle(t, v);
    const conversation = await conversationOf(t, id);
    expect(conversation.state).toBe('active');
    expect(conversation.robot).toMatchObject({ replies: 1, handoffReason: 'agent' });
    expect(systemKinds(v, id)).toEqual(['handedOff', 'assigned']);
    // The robot is silent from here on.
    const before = robotMessages(v, id).length;
    await say(v, '怎么开发票');
    await settle(t, v);
    expect(robotMessages(v, id).length).toBe(before);
    expect(await listIds(t, agent.token, 'view=mine')).toContain(id);
  });

  it('counts robot messages as unread for the visitor, never for the agents', async () => {
    await standardFaq(t);
    await robotSettings(t, { robot_mode: 'first' });
    const v = await visitor(t);
    const first = await say(v, '运费怎么算');
    await settle(t, v);
    const mine = await t.request('GET', '/api/v1/visitor/conversations', { token: v.token });
    expect(mine.status).toBe(200);
    const open = mine.body.conversations.find((c: { id: string }) => c.id === first.conversationId);
    // The greeting came before the visitor's message (read by sending); the answer after it.
    expect(open.unread).toBe(1);
    const row = await t.app.ctx.db
      .selectFrom('conversations')
      .select(['visitor_unread', 'agent_unread', 'first_response_at', 'robot_replies'])
      .where('id', '=', first.conversationId)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({
      visitor_unread: 1,
      agent_unread: 1,
      first_response_at: null,
      robot_replies: 1,
    });
    const history = await historyOf(t, first.conversationId);
    expect(history.map((m) => m.sender.type)).toEqual(['robot', 'visitor', 'robot']);
    // Reading up to their own message leaves the robot's answer unread; reading it, nothing.
    await t.app.ctx.db
      .updateTable('conversations')
      .set({ visitor_read_seq: 0 })
      .where('id', '=', first.conversationId)
      .execute();
    const readUpTo = async (seq: number) => {
      const read = await request(v.socket, ClientEvent.MarkRead, {
        conversationId: first.conversationId,
        seq,
      });
      expect(read.ok, JSON.stringify(read)).toBe(true);
      const again = await t.request('GET', '/api/v1/visitor/conversations', { token: v.token });
      return again.body.conversations[0].unread as number;
    };
    expect(await readUpTo(first.seq)).toBe(1);
    expect(await readUpTo(history.at(-1)!.seq)).toBe(0);
  });

  it('streams a language model answer from retrieved knowledge; unsure hands over', async () => {
    const requests: ModelRequest[] = [];
    let next: (request: ModelRequest) => Promise<ModelOutcome> = async () => ({ kind: 'unsure' });
    const model: RobotModel = {
      name: 'fake',
      answer: (request) => {
        requests.push(request);
        return next(request);
      },
      suggest: async () => ({ kind: 'unsure' }),
    };
    await t.close();
    t = await startLiveApp({}, { robotModel: model });
    await standardFaq(t);
    await robotSettings(t, { robot_mode: 'first' });
    const admin = watch(await t.connect(t.adminToken));
    next = async (request) => {
      request.onText?.('满 99');
      request.onText?.('满 99 元包邮，');
      return { kind: 'answer', text: '满 99 元包邮，不满收 8 元。' };
    };
    const v = await visitor(t);
    const first = await say(v, '运费怎么算');
    await settle(t, v, admin);
    const id = first.conversationId;
    expect(requests[0]!.knowledge.map((k) => k.answer)).toContain('满 99 元包邮。');
    expect(requests[0]!.history.at(-1)).toEqual({ role: 'visitor', text: '运费怎么算' });
    expect(requests[0]!.locale).toBeNull();
    const answer = robotMessages(v, id).at(-1)!;
    expect(answer.body).toBe('满 99 元包邮，不满收 8 元。');
    expect(answer.meta).toMatchObject({ reply: 'answer', source: 'model', entryId: null });
    const streamId = answer.meta.streamId!;
    for (const client of [v, admin]) {
      const streams = client.streams.filter((s) => s.streamId === streamId);
      expect(streams[0]).toMatchObject({ conversationId: id, state: 'writing', text: '满 99' });
      expect(streams.at(-1)).toMatchObject({ state: 'done', text: answer.body });
    }

    next = async () => ({ kind: 'unsure' });
    await say(v, '怎么开发票');
    await settle(t, v);
    expect(v.streams.at(-1)!.state).toBe('abandoned');
    expect((await conversationOf(t, id)).robot).toMatchObject({ handoffReason: 'modelUnsure' });

    // A model that fails (even by throwing) hands over too; nothing close: no model call.
    next = () => Promise.reject(new Error('connection refused'));
    const w = await visitor(t);
    const wFirst = await say(w, '运费怎么算');
    await settle(t, w);
    expect((await conversationOf(t, wFirst.conversationId)).robot).toMatchObject({
      handoffReason: 'modelFailed',
    });
    const calls = requests.length;
    const u = await visitor(t);
    const uFirst = await say(u, '量子力学的基本原理');
    await settle(t, u);
    expect(requests.length).toBe(calls);
    expect((await conversationOf(t, uFirst.conversationId)).robot).toMatchObject({
      handoffReason: 'unanswered',
    });
  });

  it('a model answer is dropped when an administrator takes the conversation meanwhile', async () => {
    let started!: () => void;
    const writing = new Promise<void>((resolve) => (started = resolve));
    const model: RobotModel = {
      name: 'fake',
      answer: (request) =>
        new Promise<ModelOutcome>((resolve) => {
          request.onText?.('正在');
          started();
          request.signal?.addEventListener('abort', () =>
            resolve({ kind: 'failed', reason: 'error', detail: 'aborted' }),
          );
        }),
      suggest: async () => ({ kind: 'unsure' }),
    };
    await t.close();
    t = await startLiveApp({}, { robotModel: model });
    await standardFaq(t);
    await robotSettings(t, { robot_mode: 'first' });
    const agent = await t.agent({ status: 'away' });
    const v = await visitor(t);
    const first = await say(v, '运费怎么算');
    await writing;
    const assigned = await t.request(
      'POST',
      `/api/v1/conversations/${first.conversationId}/assign`,
      {
        token: t.adminToken,
        body: { agentId: agent.id },
      },
    );
    expect(assigned.status).toBe(200);
    await settle(t, v);
    expect(robotMessages(v, first.conversationId).filter((m) => m.meta.reply === 'answer')).toEqual(
      [],
    );
    expect(v.streams.at(-1)!.state).toBe('abandoned');
    expect((await conversationOf(t, first.conversationId)).robot).toMatchObject({
      handoffReason: 'agent',
    });
  });

  it('greets a greeting back with suggestions and takes thanks, without handing over', async () => {
    const { refund, invoice, shipping } = await standardFaq(t);
    await robotSettings(t, { robot_mode: 'first' });
    const v = await visitor(t);
    const first = await say(v, '你好');
    await settle(t, v);
    const id = first.conversationId;
    const [greeting, reply] = robotMessages(v, id);
    expect(greeting!.seq).toBeLessThan(first.seq);
    expect(reply!.seq).toBeGreaterThan(first.seq);
    expect(reply!.meta).toMatchObject({ reply: 'greeting', source: null, entryId: null });
    expect(reply!.meta.choices.map((c) => c.entryId)).toEqual([refund, invoice, shipping]);
    expect(reply!.body).toContain('您好');

    await say(v, 'How much is shipping');
    await say(v, 'Thanks!');
    await settle(t, v);
    const last = robotMessages(v, id).at(-1)!;
    expect(last.meta).toMatchObject({ reply: 'greeting', choices: [] });
    expect(last.body).toMatch(/welcome/);
    const conversation = await conversationOf(t, id);
    expect(conversation.state).toBe('robot');
    // Only the shipping answer counts as an answer.
    expect(conversation.robot).toEqual({ replies: 1, handedOffAt: null, handoffReason: null });
  });

  it('the visitor session shows the robot that will answer, in the page’s language, and counts it as available', async () => {
    const session = async (language?: string) => {
      const answer = await t.request('POST', '/api/v1/visitor/session', {
        body: { channelId: t.channelId, ...(language ? { context: { language } } : {}) },
      });
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      return VisitorSessionResponse.parse(answer.body).channel;
    };
    const { refund, invoice, shipping } = await standardFaq(t);
    // Nobody online, the robot off: nobody can answer.
    let channel = await session();
    expect(channel.robot).toBeNull();
    expect(channel.available).toBe(false);

    await robotSettings(t, { robot_mode: 'first', robot_name: '小智' });
    channel = await session('en-GB');
    expect(channel.available).toBe(true);
    expect(channel.robot).toEqual({
      name: '小智',
      avatarUrl: null,
      greeting: defaultRobotGreeting,
      suggestions: [
        { entryId: refund, question: 'How do I get a refund' },
        { entryId: invoice, question: 'How do I get an invoice' },
        { entryId: shipping, question: 'How much is shipping' },
      ],
    });
    channel = await session('zh-CN');
    expect(channel.robot?.suggestions.map((s) => s.question)).toEqual([
      '怎么申请退款',
      '怎么开发票',
      '运费怎么算',
    ]);

    // Only outside business hours, and the channel is open: no robot now.
    await robotSettings(t, { robot_mode: 'offHours', business_hours: null });
    expect((await session()).robot).toBeNull();
    await robotSettings(t, { business_hours: neverOpen });
    expect((await session()).robot).not.toBeNull();
  });

  it('offers "did you mean" in the phrasing that came closest, the visitor’s language', async () => {
    const { refund } = await standardFaq(t);
    await robotSettings(t, { robot_mode: 'first' });
    const v = await visitor(t);
    const first = await say(v, 'refund');
    await settle(t, v);
    const offered = robotMessages(v, first.conversationId).at(-1)!;
    expect(offered.meta.reply).toBe('answer');
    expect(offered.meta.entryId).toBe(refund);
    await say(v, 'how do I get');
    await settle(t, v);
    const unsure = robotMessages(v, first.conversationId).at(-1)!;
    expect(unsure.meta.reply).toBe('choices');
    for (const choice of unsure.meta.choices) expect(choice.question).toMatch(/^How /);
  });

  it('the robot job hands over a message no turn answered, and ends a quiet robot conversation', async () => {
    await standardFaq(t);
    await robotSettings(t, { robot_mode: 'first' });
    const lost = await visitor(t);
    const lostFirst = await say(lost, '运费怎么算');
    await settle(t, lost);
    const quiet = await visitor(t);
    const quietFirst = await say(quiet, '怎么申请退款');
    await settle(t, quiet);

    // As if this node stopped right after storing the message: no turn runs for it.
    await t.app.robotTurns.stop();
    await say(lost, '那退款呢');
    // Too soon: a turn may still be answering.
    let round = await tendRobotConversations(t.app.ctx, 60_000);
    expect(round.events).toEqual([]);
    expect((await conversationOf(t, lostFirst.conversationId)).state).toBe('robot');

    await t.app.ctx.db
      .updateTable('conversations')
      .set({ last_activity_at: Date.now() - 31 * 60_000 })
      .where('id', '=', quietFirst.conversationId)
      .execute();
    round = await tendRobotConversations(t.app.ctx, 0);
    expect(round.value).toBe(false);
    const handed = await conversationOf(t, lostFirst.conversationId);
    expect(handed.state).toBe('queued');
    expect(handed.robot).toMatchObject({ handoffReason: 'unanswered' });
    const ended = await conversationOf(t, quietFirst.conversationId);
    expect(ended.state).toBe('ended');
    expect((await historyOf(t, ended.id)).at(-1)!.meta).toEqual({
      kind: 'idleEnded',
      minutes: robotQuietMinutes,
    });
    // A second round finds nothing left to do.
    expect((await tendRobotConversations(t.app.ctx, 0)).events).toEqual([]);
  });
});

describe('robot in the metrics', () => {
  const token = 'metrics-token-robot-0123456789';
  let t: LiveApp;
  afterEach(async () => {
    await t.close();
    expect(problems).toEqual([]);
  });

  it('counts robot messages by their sender and robot conversations by their state', async () => {
    problems.length = 0;
    t = await startLiveApp({ METRICS_TOKEN: token });
    await standardFaq(t);
    await robotSettings(t, { robot_mode: 'first' });
    const v = await visitor(t);
    await say(v, '运费怎么算');
    await settle(t, v);
    const answer = await fetch(`${t.url}/metrics`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(answer.status).toBe(200);
    const e = parseExposition(await answer.text());
    const value = (name: string, labels: Record<string, string>) =>
      e.samples.get(sampleKey(name, labels));
    // The greeting and the answer.
    expect(value('servicesystem_messages_sent_total', { type: 'robot', sender: 'robot' })).toBe(2);
    expect(value('servicesystem_conversations', { state: 'robot' })).toBe(1);
    expect(value('servicesystem_queue_length', {})).toBe(0);
  });
});

describe('robot and webhooks', () => {
  let t: LiveApp;
  let receiver: WebhookReceiver;
  afterEach(async () => {
    await t.close();
    await receiver.close();
    expect(problems).toEqual([]);
  });

  it('sends robot messages and the handoff as message.created, like any other', async () => {
    problems.length = 0;
    receiver = await startWebhookReceiver();
    t = await startLiveApp(
      { WEBHOOK_ALLOW_PRIVATE: '1' },
      { webhooks: { timeoutMs: 400, firstRetryMs: 100, maxRetryMs: 300, pollMs: 50 } },
    );
    const made = await t.request('POST', '/api/v1/webhooks', {
      token: t.adminToken,
      body: { url: `${receiver.url}/robot`, events: ['message.created', 'conversation.assigned'] },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    await standardFaq(t);
    await robotSettings(t, { robot_mode: 'first' });
    await t.agent({ status: 'online' });
    const v = await visitor(t);
    const first = await say(v, '运费怎么算');
    await settle(t, v);
    await say(v, '转人工');
    await settle(t, v);
    const history = await historyOf(t, first.conversationId);
    await eventually(() =>
      expect(
        receiver
          .on('/robot')
          .filter((r) => r.eventType === 'message.created')
          .map((r) => r.json.data.message.seq as number)
          .sort((x, y) => x - y),
      ).toEqual(history.map((m) => m.seq)),
    );
    const bodies = receiver.on('/robot').map((r) => r.json.data);
    expect(bodies.find((d) => d.message?.seq === 3)?.message).toMatchObject({
      sender: { type: 'robot' },
      meta: { kind: 'robot', reply: 'answer', source: 'faq' },
    });
    // Its own delivery, which may land after the messages'.
    await eventually(() =>
      expect(receiver.on('/robot').some((r) => r.eventType === 'conversation.assigned')).toBe(true),
    );
  });
});

describe('robot in the reports', () => {
  let t: LiveApp;
  let clock = Date.UTC(2026, 5, 10, 8, 0);
  afterEach(async () => {
    await t.close();
    expect(problems).toEqual([]);
  });

  it('counts resolved and handed-over conversations, first response from the agent only, and rebuilds the same', async () => {
    problems.length = 0;
    clock = Date.UTC(2026, 5, 10, 8, 0);
    t = await startLiveApp({ REPORT_TIME_ZONE: 'UTC' }, { now: () => clock });
    await standardFaq(t);
    await robotSettings(t, { robot_mode: 'first' });
    await t.app.ctx.db
      .updateTable('channels')
      .set({ idle_end_minutes: 5 })
      .where('id', '=', t.channelId)
      .execute();
    const agent = await t.agent({ status: 'online' });
    const agentSocket = await t.connect(agent.token);

    // Resolved by the robot: an answer, then silence until the idle end.
    const resolved = await visitor(t);
    const r = await say(resolved, '运费怎么算');
    await settle(t, resolved);
    clock += 6 * 60_000;
    await t.app.jobs.runNow('idleEnd');
    expect((await conversationOf(t, r.conversationId)).state).toBe('ended');
    await settle(t, resolved);
    expect(systemKinds(resolved, r.conversationId)).toEqual(['idleEnded']);

    // Asked for a person: the agent answers 40 s after the conversation started.
    const asked = await visitor(t);
    const a = await say(asked, '运费怎么算');
    await settle(t, asked);
    clock += 10_000;
    await say(asked, '转人工');
    await settle(t, asked);
    clock += 30_000;
    const reply = await request(agentSocket, ClientEvent.SendMessage, {
      conversationId: a.conversationId,
      clientMsgId: newClientMsgId(),
      type: 'text',
      body: '您好，我来帮您',
    });
    expect(reply.ok, JSON.stringify(reply)).toBe(true);
    clock += 20_000;
    await t.request('POST', `/api/v1/conversations/${a.conversationId}/end`, {
      token: agent.token,
    });

    // Nothing matched: queued (the agent is away), then ended by an administrator.
    await t.setStatus(agent.token, 'away');
    const lost = await visitor(t);
    const l = await say(lost, '量子力学的基本原理');
    await settle(t, lost);
    expect((await conversationOf(t, l.conversationId)).state).toBe('queued');
    const ended = await t.request('POST', `/api/v1/conversations/${l.conversationId}/end`, {
      token: t.adminToken,
    });
    expect(ended.status).toBe(200);

    const range = 'from=2026-06-10&to=2026-06-10';
    const read = async () => {
      const answer = await t.request('GET', `/api/v1/reports?${range}`, { token: t.adminToken });
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      return Report.parse(answer.body);
    };
    const before = await read();
    expect(before.total.conversations).toBe(3);
    expect(before.total.robot).toEqual({
      resolved: 1,
      handedOver: 2,
      reasons: {
        requested: 1,
        unanswered: 1,
        followUp: 0,
        media: 0,
        modelUnsure: 0,
        modelFailed: 0,
        agent: 0,
      },
    });
    expect(before.total.firstResponse.count).toBe(1);
    expect(before.total.firstResponse.averageMs).toBe(40_000);
    // The CSV ends each line with the same: resolved, handed over, then each reason in order.
    const csv = await t.request('GET', `/api/v1/reports.csv?${range}`, { token: t.adminToken });
    expect(csv.status).toBe(200);
    const total = (csv.body as unknown as string).trimEnd().split('\r\n').at(-1)!;
    expect(total).toMatch(/,\(all\),3,.*,1,2,1,1,0,0,0,0,0$/);

    // Rebuilt from the conversations: the same figures.
    const ctx = t.app.ctx;
    const stored = await ctx.db
      .selectFrom('settings')
      .select('value')
      .where('key', '=', reportStateKey)
      .executeTakeFirstOrThrow();
    const { zone } = JSON.parse(stored.value) as { zone: string };
    await ctx.transaction(async (trx) => {
      await trx.deleteFrom('report_daily').execute();
      await trx
        .updateTable('settings')
        .set({ value: JSON.stringify({ zone, status: 'rebuilding', cursor: '' }) })
        .where('key', '=', reportStateKey)
        .execute();
    });
    while (await rebuildReportsRound(ctx, 100)) {
      // batches until done
    }
    await eventually(async () => expect((await read()).rebuilding).toBe(false));
    expect(await read()).toEqual(before);
  });
});

describe.skipIf(testEngine !== 'postgres')('robot on two nodes', () => {
  let a: LiveApp;
  let b: LiveApp;
  afterEach(async () => {
    await b.close();
    await a.close();
    expect(problems).toEqual([]);
  });

  it('answers each message once, whichever node the visitor is connected to', async () => {
    problems.length = 0;
    const env = {
      REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
      REDIS_PREFIX: `ss-robot-${randomUUID().slice(0, 8)}`,
    };
    a = await startLiveApp(env);
    b = await startLiveApp(env, { db: a.db });
    await standardFaq(a);
    await robotSettings(a, { robot_mode: 'first' });
    // The visitor listens on node B and sends over REST to node A: A answers, B delivers.
    const made = await b.visitor();
    const v: Visitor = { ...watch(await b.connect(made.token)), ...made };
    const send = async (body: string) => {
      const answer = await a.request('POST', '/api/v1/visitor/messages', {
        token: v.token,
        body: { clientMsgId: newClientMsgId(), type: 'text', body },
      });
      expect(answer.status, JSON.stringify(answer.body)).toBe(201);
      return answer.body.message as Message;
    };
    const first = await send('运费怎么算');
    const id = first.conversationId;
    await send('怎么开发票');
    await a.app.robotTurns.idle();
    await b.app.robotTurns.idle();
    const answers = async () =>
      (await historyOf(a, id)).filter(
        (m) => m.sender.type === 'robot' && (m.meta as RobotMeta).reply === 'answer',
      );
    expect((await answers()).map((m) => m.body)).toEqual([
      '满 99 元包邮。',
      '在订单详情页申请电子发票。',
    ]);
    await eventually(() =>
      expect(robotMessages(v, id).filter((m) => m.meta.reply === 'answer')).toHaveLength(2),
    );
    expect((await conversationOf(a, id)).robot?.replies).toBe(2);
  });
});
