import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import {
  ChannelResponse,
  Conversation,
  ConversationReadPayload,
  ConversationUpdatedPayload,
  Message,
  MessageCreatedPayload,
  MessagePage,
  ServerEvent,
  TypingPayload,
  UnreadResponse,
  VisitorConversation,
  VisitorConversationListResponse,
} from '@servicesystem/protocol';
import { eventually, newClientMsgId, nextEvent, record } from '../support/liveApp.js';
import {
  ackFailure,
  ask,
  bodyOf,
  errorOf,
  okAck,
  send,
  sendOk,
  SendAck,
  SentMessage,
  startWorld,
  text,
  typed,
  waitFor,
  type World,
} from '../support/world.js';

type Audience = 'visitor' | 'console';

let w: World;

beforeAll(async () => {
  // Some tests send bursts from one visitor; the rate limit has its own test (rateLimit.test.ts).
  w = await startWorld({ VISITOR_MESSAGES_PER_MINUTE: '0' });
});
afterAll(() => w.close());

/** A message.created payload, checked against the protocol in the audience's exact shape. */
function created(payload: unknown, audience: Audience): Message {
  const parsed = MessageCreatedPayload.parse(payload);
  const raw = payload as { conversation: unknown; message: unknown };
  // The conversation comes without lastMessage: that is the message itself, sent once.
  if (audience === 'visitor') {
    VisitorConversation.omit({ lastMessage: true }).strict().parse(raw.conversation);
  } else {
    Conversation.omit({ lastMessage: true }).strict().parse(raw.conversation);
  }
  return Message.strict().parse(parsed.message);
}

async function visitorUnread(token: string): Promise<number> {
  const answer = await w.request('GET', '/api/v1/visitor/unread', { token });
  expect(answer.status).toBe(200);
  expect(answer.headers['cache-control']).toBe('no-store');
  return UnreadResponse.parse(answer.body).unread;
}

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('a new conversation', () => {
  it('starts with the welcome (seq 1), the visitor’s text (seq 2), then “assigned” (seq 3)', async () => {
    const agent = await w.soleAgent('Wendy Welcome');
    const channel = await w.request('GET', `/api/v1/channels/${w.app.channelId}`, {
      token: w.adminToken,
    });
    const welcome = bodyOf(channel, ChannelResponse).channel.welcomeMessage;
    expect(welcome['zh-CN'].length).toBeGreaterThan(0);
    expect(welcome.en.length).toBeGreaterThan(0);

    const visitor = await w.visitor();
    const visitorSocket = await w.connect(visitor.token);
    const agentSocket = await w.connect(agent.token);
    const adminSocket = await w.connect(w.adminToken);
    const toVisitor = record<unknown>(visitorSocket, 'message.created');
    const toAdmin = record<unknown>(adminSocket, 'message.created');
    const toAgent: [string, unknown][] = [];
    agentSocket.onAny((event: string, payload: unknown) => {
      // Console-wide news (presence, the queue's count) is not about this conversation.
      if (event !== 'agent.status' && event !== 'queue.count') toAgent.push([event, payload]);
    });

    const clientMsgId = newClientMsgId();
    const ack = await sendOk(visitorSocket, text('Hello there', clientMsgId));
    const own = Message.strict().parse(ack.message);
    expect(own).toMatchObject({
      seq: 2,
      type: 'text',
      body: 'Hello there',
      clientMsgId,
      sender: { type: 'visitor', id: visitor.id, name: visitor.name },
    });
    const view = VisitorConversation.strict().parse(ack.conversation);
    expect(view).toMatchObject({ state: 'active', agent: { name: 'Wendy Welcome' }, lastSeq: 3 });

    const ofThis = (list: unknown[], audience: Audience) =>
      list.map((p) => created(p, audience)).filter((m) => m.conversationId === own.conversationId);
    await eventually(() => {
      expect(toVisitor).toHaveLength(2);
      expect(ofThis(toAdmin, 'console')).toHaveLength(3);
    });
    // The sending socket has its own message in the ack, not a second time as an event.
    expect(ofThis(toVisitor, 'visitor').map((m) => m.seq)).toEqual([1, 3]);
    const visitorSaw = [...ofThis(toVisitor, 'visitor'), own].sort((a, b) => a.seq - b.seq);
    const adminSaw = ofThis(toAdmin, 'console');
    for (const seen of [visitorSaw, adminSaw]) {
      expect(seen.map((m) => m.seq)).toEqual([1, 2, 3]);
      expect(seen[0]).toMatchObject({
        type: 'system',
        // The server's own words are the Chinese text; clients show the reader's language.
        body: welcome['zh-CN'],
        meta: { kind: 'welcome', texts: welcome },
        sender: { type: 'system', name: 'System' },
        clientMsgId: null,
      });
      expect(seen[1]).toMatchObject({ id: own.id, type: 'text', body: 'Hello there' });
      expect(seen[2]).toMatchObject({
        type: 'system',
        meta: { kind: 'assigned', agentName: 'Wendy Welcome' },
      });
    }
    expect(adminSaw[1]!.sender.id).toBe(visitor.id);

    // Routing happens before the first messages are announced, so the agent who takes the
    // conversation hears it, then seq 1 and 2, then the assignment and seq 3, all live.
    await eventually(() => expect(toAgent).toHaveLength(5));
    expect(toAgent.map(([event]) => event)).toEqual([
      'conversation.updated',
      'message.created',
      'message.created',
      'conversation.updated',
      'message.created',
    ]);
    const assigned = Conversation.strict().parse(
      typed(ConversationUpdatedPayload, toAgent[0]![1]).conversation,
    );
    expect(assigned).toMatchObject({ id: own.conversationId, state: 'active', lastSeq: 3 });
    expect(assigned.agent?.id).toBe(agent.id);
    const agentSaw = [1, 2, 4].map((i) => created(toAgent[i]![1], 'console'));
    expect(agentSaw).toEqual(adminSaw);
    const stored = await w.history(agent.token, own.conversationId);
    expect(stored.messages).toEqual(adminSaw);
    expect(stored.hasMore).toBe(false);
  });

  it('gives concurrent sends from both sides gap-free seqs: 1..N, no gap, no repeat', async () => {
    const { id, agent, visitor, visitorSocket, agentSocket } = await w.servedConversation();
    const atVisitor = record<unknown>(visitorSocket, 'message.created');
    const atAgent = record<unknown>(agentSocket, 'message.created');

    const perSide = 30;
    const sends: Promise<SendAck>[] = [];
    for (let i = 0; i < perSide; i++) {
      sends.push(send(visitorSocket, text(`v${i}`)));
      sends.push(send(agentSocket, { conversationId: id, ...text(`a${i}`) }));
    }
    // A few over REST at the same time, through the same sequence.
    const asAck = (answer: { status: number; body: unknown }) =>
      typed(SendAck, { ok: answer.status === 201, ...(answer.body as object) });
    for (let i = 0; i < 5; i++) {
      sends.push(
        w
          .request('POST', '/api/v1/visitor/messages', {
            token: visitor.token,
            body: text(`rv${i}`),
          })
          .then(asAck),
      );
      sends.push(
        w
          .request('POST', `/api/v1/conversations/${id}/messages`, {
            token: agent.token,
            body: text(`ra${i}`),
          })
          .then(asAck),
      );
    }
    const acks = (await Promise.all(sends)).map(okAck);

    const total = 3 + sends.length;
    const ackedSeqs = acks.map((a) => a.message.seq).sort((a, b) => a - b);
    expect(ackedSeqs).toEqual(range(4, total));

    const stored = await w.history(agent.token, id, '?after=0&limit=100');
    expect(stored.messages.map((m) => m.seq)).toEqual(range(1, total));
    expect(stored.hasMore).toBe(false);
    const bodies = stored.messages.map((m) => m.body);
    for (let i = 0; i < perSide; i++) {
      expect(bodies.filter((b) => b === `v${i}`)).toHaveLength(1);
      expect(bodies.filter((b) => b === `a${i}`)).toHaveLength(1);
    }
    expect((await w.conversation(id)).lastSeq).toBe(total);

    // Both sides heard every new message exactly once: as an event, or, for what a socket sent
    // itself, in its ack only.
    await eventually(() => {
      expect(atVisitor).toHaveLength(sends.length - perSide);
      expect(atAgent).toHaveLength(sends.length - perSide);
    });
    const ackedOn = (side: 0 | 1) =>
      acks.slice(0, 2 * perSide).filter((_, index) => index % 2 === side);
    for (const [seen, audience, own] of [
      [atVisitor, 'visitor', ackedOn(0)],
      [atAgent, 'console', ackedOn(1)],
    ] as const) {
      const seqs = [
        ...seen.map((p) => created(p, audience).seq),
        ...own.map((a) => a.message.seq),
      ].sort((a, b) => a - b);
      expect(seqs).toEqual(range(4, total));
    }
  });
});

describe('business hours', () => {
  const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
  const allDay = [{ open: '00:00', close: '24:00' }];
  const timezone = 'Pacific/Kiritimati'; // UTC+14: "today" there is often not today in UTC
  const todayThere = () =>
    new Intl.DateTimeFormat('en-US', { timeZone: timezone, weekday: 'short' })
      .format(new Date())
      .toLowerCase()
      .slice(0, 3);

  async function firstMessageOn(channelId: string): Promise<Message> {
    const visitor = await w.visitor({ channelId });
    const id = await w.startConversation(visitor.token);
    const page = await w.history(visitor.token, id);
    expect(page.messages[1]).toMatchObject({ seq: 2, sender: { type: 'visitor' } });
    return page.messages[0]!;
  }

  it('outside business hours the first system message is the off-hours one; inside, the welcome', async () => {
    await w.soleAgent();
    const made = await w.request('POST', '/api/v1/channels', {
      token: w.adminToken,
      body: { name: 'Hours', welcomeMessage: 'Welcome in!', offHoursMessage: 'We are closed.' },
    });
    expect(made.status).toBe(201);
    const channelId = bodyOf(made, ChannelResponse).channel.id;
    const patch = (body: object) =>
      w.request('PATCH', `/api/v1/channels/${channelId}`, { token: w.adminToken, body });

    // Open all day on every day but today (in the schedule's time zone): closed now.
    const today = todayThere();
    const closed = {
      timezone,
      weekly: Object.fromEntries(weekdays.filter((d) => d !== today).map((d) => [d, allDay])),
    };
    const closedAnswer = await patch({ businessHours: closed });
    expect(closedAnswer.status).toBe(200);
    expect(bodyOf(closedAnswer, ChannelResponse).channel.businessHours).toEqual(closed);
    const offHours = await firstMessageOn(channelId);
    expect(offHours).toMatchObject({
      seq: 1,
      type: 'system',
      body: 'We are closed.',
      meta: { kind: 'offHours', texts: { 'zh-CN': 'We are closed.', en: 'We are closed.' } },
    });

    // A schedule with no spans at all is closed too.
    expect((await patch({ businessHours: { timezone: 'UTC', weekly: {} } })).status).toBe(200);
    expect((await firstMessageOn(channelId)).meta).toEqual({
      kind: 'offHours',
      texts: { 'zh-CN': 'We are closed.', en: 'We are closed.' },
    });

    // Open all day today only: open now.
    expect(
      (await patch({ businessHours: { timezone, weekly: { [todayThere()]: allDay } } })).status,
    ).toBe(200);
    expect(await firstMessageOn(channelId)).toMatchObject({
      seq: 1,
      body: 'Welcome in!',
      meta: { kind: 'welcome' },
    });

    // No schedule: always open.
    expect((await patch({ businessHours: null })).status).toBe(200);
    expect((await firstMessageOn(channelId)).meta).toMatchObject({ kind: 'welcome' });
  });

  it('refuses invalid schedules with 400 and keeps the old one', async () => {
    const made = await w.request('POST', '/api/v1/channels', {
      token: w.adminToken,
      body: { name: 'Strict hours', businessHours: { timezone: 'UTC', weekly: { mon: allDay } } },
    });
    expect(made.status).toBe(201);
    const channelId = bodyOf(made, ChannelResponse).channel.id;
    const cases: [unknown, string][] = [
      [{ timezone: 'Mars/Olympus_Mons', weekly: {} }, 'businessHours.timezone'],
      [{ timezone: '', weekly: {} }, 'businessHours.timezone'],
      [{ timezone: 'UTC', weekly: { mon: [{ open: '18:00', close: '09:00' }] } }, 'businessHours'],
      [{ timezone: 'UTC', weekly: { tue: [{ open: '10:00', close: '10:00' }] } }, 'businessHours'],
      [{ timezone: 'UTC', weekly: { mon: [{ open: '9:00', close: '17:00' }] } }, 'businessHours'],
      [{ timezone: 'UTC', weekly: { mon: [{ open: '09:00', close: '25:00' }] } }, 'businessHours'],
      [{ timezone: 'UTC', weekly: { funday: allDay } }, 'businessHours'],
      [{ timezone: 'UTC', weekly: { mon: Array(5).fill(allDay[0]) } }, 'businessHours'],
      [{ timezone: 'UTC', weekly: {}, extra: true }, 'businessHours'],
      [{ weekly: {} }, 'businessHours'],
      ['always', 'businessHours'],
    ];
    for (const [businessHours, path] of cases) {
      const answer = await w.request('PATCH', `/api/v1/channels/${channelId}`, {
        token: w.adminToken,
        body: { businessHours },
      });
      expect(answer.status, JSON.stringify(businessHours)).toBe(400);
      const error = errorOf(answer);
      expect(error.code).toBe('VALIDATION_FAILED');
      expect(error.issues?.[0]?.path.startsWith(path)).toBe(true);
    }
    const after = await w.request('GET', `/api/v1/channels/${channelId}`, {
      token: w.adminToken,
    });
    expect(bodyOf(after, ChannelResponse).channel.businessHours).toEqual({
      timezone: 'UTC',
      weekly: { mon: allDay },
    });
  });
});

describe('message text', () => {
  it('is trimmed and stripped of control characters; empty, blank and over 5000 characters are refused', async () => {
    const { id, agent, visitor, visitorSocket, agentSocket } = await w.servedConversation();

    const cleaned = await sendOk(
      visitorSocket,
      text('  \u0007Hello\u0000 there\u001b\u007f\u0085  '),
    );
    expect(cleaned.message.body).toBe('Hello there');
    // Tabs and newlines are text.
    const lines = await sendOk(visitorSocket, text('line 1\nline 2\tend'));
    expect(lines.message.body).toBe('line 1\nline 2\tend');

    const before = (await w.conversation(id)).lastSeq;
    const refused: [string, string][] = [
      ['', 'empty'],
      ['   \n\t  ', 'blank'],
      ['\u0000\u0001\u0002', 'only control characters'],
      ['x'.repeat(5001), '5001 characters'],
      ['x'.repeat(20_001), '20001 characters'],
    ];
    for (const [body, what] of refused) {
      const viaVisitor = ackFailure(await send(visitorSocket, text(body)), 'VALIDATION_FAILED');
      expect(viaVisitor.error.issues?.[0]?.path, what).toBe('body');
      ackFailure(
        await send(agentSocket, { conversationId: id, ...text(body) }),
        'VALIDATION_FAILED',
      );
      const viaRest = await w.request('POST', '/api/v1/visitor/messages', {
        token: visitor.token,
        body: text(body),
      });
      expect(viaRest.status, what).toBe(400);
      expect(errorOf(viaRest).code).toBe('VALIDATION_FAILED');
      const viaAgentRest = await w.request('POST', `/api/v1/conversations/${id}/messages`, {
        token: agent.token,
        body: text(body),
      });
      expect(viaAgentRest.status, what).toBe(400);
    }
    expect((await w.conversation(id)).lastSeq).toBe(before);

    // Exactly 5000 is fine, also when the trimming brings it down to 5000.
    const max = await sendOk(visitorSocket, text('y'.repeat(5000)));
    expect(max.message.body).toHaveLength(5000);
    const padded = await w.request('POST', `/api/v1/conversations/${id}/messages`, {
      token: agent.token,
      body: text(`  ${'z'.repeat(5000)}  `),
    });
    expect(padded.status).toBe(201);
    expect(bodyOf(padded, SentMessage).message.body).toBe('z'.repeat(5000));
    expect((await w.conversation(id)).lastSeq).toBe(before + 2);
  });

  it('stores and returns HTML verbatim, as text, to every reader', async () => {
    const { id, agent, visitor, visitorSocket, agentSocket } = await w.servedConversation();
    const atAgent = record<unknown>(agentSocket, 'message.created');
    const atVisitor = record<unknown>(visitorSocket, 'message.created');

    const html = '<img src=x onerror=alert(1)>';
    const more = `<script>alert("x")</script> &amp; &lt;b&gt; "quoted" 'single' \u202Eltr`;
    const fromVisitor = await sendOk(visitorSocket, text(html));
    expect(fromVisitor.message.body).toBe(html);
    const fromAgent = await w.reply(agentSocket, id, more);
    expect(fromAgent.message.body).toBe(more);

    await eventually(() => {
      // Each side hears the other's message; its own came back in the ack above.
      expect(atAgent.map((p) => created(p, 'console').body)).toEqual([html]);
      expect(atVisitor.map((p) => created(p, 'visitor').body)).toEqual([more]);
    });
    for (const token of [visitor.token, agent.token, w.adminToken]) {
      const page = await w.history(token, id, '?limit=2');
      expect(page.messages.map((m) => m.body)).toEqual([html, more]);
    }
  });
});

describe('idempotent sends', () => {
  it('a retried socket send (sequential and concurrent) stores one message; the agent hears it once', async () => {
    const { id, agent, visitorSocket, agentSocket } = await w.servedConversation();
    const adminSocket = await w.connect(w.adminToken);
    const atAgent = record<unknown>(agentSocket, 'message.created');
    const atAdmin = record<unknown>(adminSocket, 'message.created');
    const before = (await w.conversation(id)).lastSeq;

    const sequentialId = newClientMsgId();
    const first = await sendOk(visitorSocket, text('once', sequentialId));
    const again = await sendOk(visitorSocket, text('once', sequentialId));
    expect(again.message).toEqual(first.message);
    // A retry answers what was stored, whatever the retry says.
    const changed = await sendOk(visitorSocket, text('twice?', sequentialId));
    expect(changed.message.id).toBe(first.message.id);
    expect(changed.message.body).toBe('once');

    const concurrentId = newClientMsgId();
    const burst = await Promise.all(
      Array.from({ length: 5 }, () => sendOk(visitorSocket, text('burst', concurrentId))),
    );
    expect(new Set(burst.map((a) => a.message.id)).size).toBe(1);

    // The agent's own retries too.
    const agentMsgId = newClientMsgId();
    const agentBurst = await Promise.all(
      Array.from({ length: 3 }, () =>
        sendOk(agentSocket, { conversationId: id, ...text('hi', agentMsgId) }),
      ),
    );
    expect(new Set(agentBurst.map((a) => a.message.id)).size).toBe(1);

    expect((await w.conversation(id)).lastSeq).toBe(before + 3);
    const stored = await w.history(agent.token, id, `?after=${before}`);
    expect(stored.messages.map((m) => m.body)).toEqual(['once', 'burst', 'hi']);

    await w.consoleFence(agentSocket, adminSocket);
    const heard = atAgent.map((p) => created(p, 'console'));
    expect(heard.filter((m) => m.clientMsgId === sequentialId)).toHaveLength(1);
    expect(heard.filter((m) => m.clientMsgId === concurrentId)).toHaveLength(1);
    // The agent's socket has its own message in the acks; the admin hears it once.
    expect(heard.filter((m) => m.clientMsgId === agentMsgId)).toHaveLength(0);
    const watched = atAdmin.map((p) => created(p, 'console'));
    for (const clientMsgId of [sequentialId, concurrentId, agentMsgId]) {
      expect(watched.filter((m) => m.clientMsgId === clientMsgId)).toHaveLength(1);
    }
  });

  it('a retry that arrives after its conversation ended answers the stored message and opens nothing', async () => {
    const { id, agent, visitor, visitorSocket } = await w.servedConversation();
    const clientMsgId = newClientMsgId();
    const first = await sendOk(visitorSocket, text('before the end', clientMsgId));
    const ended = await w.request('POST', `/api/v1/conversations/${id}/end`, {
      token: agent.token,
    });
    expect(ended.status).toBe(200);
    const again = await w.request('POST', '/api/v1/visitor/messages', {
      token: visitor.token,
      body: text('before the end', clientMsgId),
    });
    expect(again.status).toBe(200);
    expect(bodyOf(again, SentMessage).message).toEqual(first.message);
    const list = await w.request('GET', '/api/v1/visitor/conversations', { token: visitor.token });
    const conversations = VisitorConversationListResponse.parse(list.body).conversations;
    expect(conversations.map((c) => [c.id, c.state])).toEqual([[id, 'ended']]);
    // A new message still opens a new conversation.
    const fresh = await w.request('POST', '/api/v1/visitor/messages', {
      token: visitor.token,
      body: text('a new question'),
    });
    expect(fresh.status).toBe(201);
    expect(bodyOf(fresh, SentMessage).message.conversationId).not.toBe(id);
  });

  it('a REST retry answers 200 with the stored message, where the first send answered 201', async () => {
    const { id, agent, visitor, visitorSocket, agentSocket } = await w.servedConversation();
    const atAgent = record<unknown>(agentSocket, 'message.created');
    const atVisitor = record<unknown>(visitorSocket, 'message.created');

    const body = text('via REST');
    const first = await w.request('POST', '/api/v1/visitor/messages', {
      token: visitor.token,
      body,
    });
    const retry = await w.request('POST', '/api/v1/visitor/messages', {
      token: visitor.token,
      body,
    });
    expect(first.status).toBe(201);
    expect(retry.status).toBe(200);
    const firstMessage = bodyOf(first, SentMessage).message;
    expect(bodyOf(retry, SentMessage).message).toEqual(firstMessage);

    const agentBody = text('agent via REST');
    const url = `/api/v1/conversations/${id}/messages`;
    const agentFirst = await w.request('POST', url, { token: agent.token, body: agentBody });
    const agentRetry = await w.request('POST', url, { token: agent.token, body: agentBody });
    expect([agentFirst.status, agentRetry.status]).toEqual([201, 200]);
    expect(bodyOf(agentRetry, SentMessage).message.id).toBe(
      bodyOf(agentFirst, SentMessage).message.id,
    );

    // A socket retry of a REST send is the same message as well.
    const viaSocket = await sendOk(visitorSocket, body);
    expect(viaSocket.message.id).toBe(firstMessage.id);

    // Concurrent REST copies: one 201, the rest 200, one id.
    const copy = text('racing copies');
    const racing = await Promise.all(
      Array.from({ length: 4 }, () =>
        w.request('POST', '/api/v1/visitor/messages', { token: visitor.token, body: copy }),
      ),
    );
    expect(racing.map((a) => a.status).sort()).toEqual([200, 200, 200, 201]);
    expect(new Set(racing.map((a) => bodyOf(a, SentMessage).message.id)).size).toBe(1);

    await w.consoleFence(agentSocket);
    const heard = atAgent.map((p) => created(p, 'console'));
    expect(heard.map((m) => m.body)).toEqual(['via REST', 'agent via REST', 'racing copies']);
    // The visitor's socket too: the agent's message once (a fence on the visitor side is the
    // agent's typing, which follows everything above).
    await w.visitorFence(visitorSocket, agentSocket, id);
    expect(atVisitor.map((p) => created(p, 'visitor').body)).toEqual([
      'via REST',
      'agent via REST',
      'racing copies',
    ]);
  });

  it('concurrent copies of a first message start one conversation', async () => {
    await w.soleAgent();
    const visitor = await w.visitor();
    const tab1 = await w.connect(visitor.token);
    const tab2 = await w.connect(visitor.token);
    const body = text('first!');
    const [a, b, c] = await Promise.all([
      sendOk(tab1, body),
      sendOk(tab2, body),
      w.request('POST', '/api/v1/visitor/messages', { token: visitor.token, body }),
    ]);
    expect([200, 201]).toContain(c.status);
    expect(new Set([a.message.id, b.message.id, bodyOf(c, SentMessage).message.id]).size).toBe(1);
    const list = await w.request('GET', '/api/v1/visitor/conversations', {
      token: visitor.token,
    });
    const conversations = VisitorConversationListResponse.parse(list.body).conversations;
    expect(conversations).toHaveLength(1);
    expect(conversations[0]!.lastSeq).toBe(3);
    const page = await w.history(visitor.token, conversations[0]!.id);
    expect(page.messages.map((m) => m.meta?.kind ?? m.body)).toEqual([
      'welcome',
      'first!',
      'assigned',
    ]);
  });

  it('client ids are per sender: two visitors with the same id each get their own message', async () => {
    await w.soleAgent();
    const one = await w.visitor();
    const two = await w.visitor();
    const body = text('same id');
    const a = await w.request('POST', '/api/v1/visitor/messages', { token: one.token, body });
    const b = await w.request('POST', '/api/v1/visitor/messages', { token: two.token, body });
    expect([a.status, b.status]).toEqual([201, 201]);
    const [fromOne, fromTwo] = [bodyOf(a, SentMessage).message, bodyOf(b, SentMessage).message];
    expect(fromOne.id).not.toBe(fromTwo.id);
    expect(fromOne.conversationId).not.toBe(fromTwo.conversationId);
  });
});

describe('delivery', () => {
  it('reaches every visitor tab, the assigned agent and admins; an unrelated agent hears nothing', async () => {
    const chat = await w.servedConversation();
    const { id, agent, visitor, agentSocket } = chat;
    const unrelated = await w.agent({ status: 'away' });

    const tab1 = chat.visitorSocket;
    const tab2 = await w.connect(visitor.token);
    const adminSocket = await w.connect(w.adminToken);
    const strangerSocket = await w.connect(unrelated.token);
    const heard = {
      tab1: record<unknown>(tab1, 'message.created'),
      tab2: record<unknown>(tab2, 'message.created'),
      agent: record<unknown>(agentSocket, 'message.created'),
      admin: record<unknown>(adminSocket, 'message.created'),
      stranger: record<unknown>(strangerSocket, 'message.created'),
    };
    const strangerAny: string[] = [];
    strangerSocket.onAny((event: string) => {
      if (event !== 'agent.status') strangerAny.push(event);
    });

    const fromVisitor = await sendOk(tab1, text('from tab 1'));
    const fromAgent = await w.reply(agentSocket, id, 'from the agent');
    const restVisitor = await w.request('POST', '/api/v1/visitor/messages', {
      token: visitor.token,
      body: text('from REST'),
    });
    const fromRest = bodyOf(restVisitor, SentMessage).message;
    const ids = [fromVisitor.message.id, fromAgent.message.id, fromRest.id];
    // The socket that sent a message has it in its ack: every other socket hears it.
    const expected: Record<string, string[]> = {
      tab1: [fromAgent.message.id, fromRest.id],
      tab2: ids,
      agent: [fromVisitor.message.id, fromRest.id],
      admin: ids,
    };

    await eventually(() => {
      for (const [name, list] of Object.entries(heard)) {
        if (name === 'stranger') continue;
        const audience = name.startsWith('tab') ? 'visitor' : 'console';
        const mine = list
          .map((p) => created(p, audience))
          .filter((m) => m.conversationId === id)
          .map((m) => m.id);
        expect(mine, name).toEqual(expected[name]);
      }
    });
    await w.consoleFence(strangerSocket, adminSocket);
    expect(heard.stranger).toEqual([]);
    expect(strangerAny).toEqual([]);

    // Visitors see the agent as a name only; console users see ids.
    const toTab = heard.tab2.map((p) => created(p, 'visitor'));
    expect(toTab[1]!.sender).toEqual({ type: 'agent', name: expect.any(String), avatarUrl: null });
    expect(toTab[1]!.clientMsgId).toBeNull();
    const toAdmin = heard.admin
      .map((p) => created(p, 'console'))
      .filter((m) => m.conversationId === id);
    expect(toAdmin[1]!.sender.id).toBe(agent.id);
    expect(toAdmin[1]!.clientMsgId).toBe(fromAgent.message.clientMsgId);
  });

  it('a dropped connection resyncs with nothing lost: messages.list and REST ?after=', async () => {
    const agent = await w.soleAgent();
    const visitor = await w.visitor();
    const visitorSocket = await w.connect(visitor.token);
    const agentSocket = await w.connect(agent.token);
    const seen = record<unknown>(visitorSocket, 'message.created');
    const first = await sendOk(visitorSocket, text('hi'));
    const id = first.message.conversationId;
    // The welcome and "assigned" as events; the visitor's own text (seq 2) came in the ack.
    await eventually(() => expect(seen).toHaveLength(2));
    expect(first.message.seq).toBe(2);
    const lastSeenSeq = Math.max(...seen.map((p) => created(p, 'visitor').seq));
    expect(lastSeenSeq).toBe(3);

    visitorSocket.disconnect();
    const missed: string[] = [];
    for (let i = 1; i <= 5; i++) {
      const ack = await w.reply(agentSocket, id, `missed ${i}`);
      missed.push(ack.message.id);
    }
    const reconnected = nextEvent(visitorSocket, 'connect');
    visitorSocket.connect();
    await reconnected;
    expect(seen).toHaveLength(2); // nothing arrived while away

    const resync = await ask(visitorSocket, 'messages.list', {
      conversationId: id,
      after: lastSeenSeq,
    });
    expect(resync).toMatchObject({ ok: true });
    const page = MessagePage.parse(resync);
    expect(page.messages.map((m) => m.id)).toEqual(missed);
    expect(page.messages.map((m) => m.seq)).toEqual([4, 5, 6, 7, 8]);
    expect(page.messages.map((m) => m.body)).toEqual(range(1, 5).map((i) => `missed ${i}`));
    expect(page.hasMore).toBe(false);
    for (const m of page.messages) expect(m.sender.id).toBeUndefined();

    const viaRest = await w.history(visitor.token, id, `?after=${lastSeenSeq}`);
    expect(viaRest.messages).toEqual(page.messages);
    const nothingNew = await w.history(visitor.token, id, '?after=8');
    expect(nothingNew).toEqual({ messages: [], hasMore: false });

    // The socket is live again.
    const live = waitFor(visitorSocket, ServerEvent.MessageCreated);
    await w.reply(agentSocket, id, 'back');
    expect(created(await live, 'visitor')).toMatchObject({ seq: 9, body: 'back' });
  });

  it('pages history with before/limit and after/limit, telling hasMore', async () => {
    const { id, agent, visitor, visitorSocket: socket } = await w.servedConversation();
    for (let i = 4; i <= 12; i++) {
      const sent = await w.request('POST', `/api/v1/conversations/${id}/messages`, {
        token: agent.token,
        body: text(`m${i}`),
      });
      expect(bodyOf(sent, SentMessage).message.seq).toBe(i);
    }
    const seqs = (page: MessagePage) => page.messages.map((m) => m.seq);
    const newest = await w.history(visitor.token, id, '?limit=5');
    expect([seqs(newest), newest.hasMore]).toEqual([[8, 9, 10, 11, 12], true]);
    const older = await w.history(visitor.token, id, '?before=8&limit=5');
    expect([seqs(older), older.hasMore]).toEqual([[3, 4, 5, 6, 7], true]);
    const oldest = await w.history(visitor.token, id, '?before=3&limit=5');
    expect([seqs(oldest), oldest.hasMore]).toEqual([[1, 2], false]);
    const exact = await w.history(visitor.token, id, '?before=6&limit=5');
    expect([seqs(exact), exact.hasMore]).toEqual([[1, 2, 3, 4, 5], false]);
    const forward = await w.history(agent.token, id, '?after=0&limit=5');
    expect([seqs(forward), forward.hasMore]).toEqual([[1, 2, 3, 4, 5], true]);
    const tail = await w.history(agent.token, id, '?after=10&limit=5');
    expect([seqs(tail), tail.hasMore]).toEqual([[11, 12], false]);
    const all = await w.history(agent.token, id);
    expect([seqs(all), all.hasMore]).toEqual([range(1, 12), false]);

    const viaSocket = await ask(socket, 'messages.list', {
      conversationId: id,
      before: 8,
      limit: 5,
    });
    expect(MessagePage.parse(viaSocket)).toEqual(older);

    for (const query of ['?after=1&before=5', '?limit=0', '?limit=101', '?before=0', '?after=-1']) {
      const answer = await w.request('GET', `/api/v1/conversations/${id}/messages${query}`, {
        token: visitor.token,
      });
      expect(answer.status, query).toBe(400);
      expect(errorOf(answer).code).toBe('VALIDATION_FAILED');
    }
    ackFailure(
      await ask(socket, 'messages.list', { conversationId: id, before: 5, after: 1 }),
      'VALIDATION_FAILED',
    );
  });
});

describe('read positions and unread counts', () => {
  it('derive unread on both sides from read positions that only move forward, up to lastSeq', async () => {
    // 1 welcome, 2 text, 3 assigned
    const { id, agent, visitor, visitorSocket, agentSocket } = await w.servedConversation();
    const readsAtVisitor = record<unknown>(visitorSocket, 'conversation.read');
    const readsAtAgent = record<unknown>(agentSocket, 'conversation.read');

    // The visitor read up to their own message; the agent has read nothing yet. Only the other
    // side's messages count: the notices (1, 3) never do.
    expect(await visitorUnread(visitor.token)).toBe(0);
    expect(await w.conversation(id, agent.token)).toMatchObject({
      lastSeq: 3,
      agentReadSeq: 0,
      visitorReadSeq: 2,
      unread: 1,
    });

    // The agent reads up to 2 over the socket: the visitor gets a receipt.
    const receipt = waitFor(visitorSocket, ServerEvent.ConversationRead);
    expect(await ask(agentSocket, 'conversation.read', { conversationId: id, seq: 2 })).toEqual({
      ok: true,
      seq: 2,
    });
    expect(ConversationReadPayload.parse(await receipt)).toEqual({
      conversationId: id,
      side: 'agent',
      seq: 2,
    });
    expect((await w.conversation(id, agent.token)).unread).toBe(0);

    // Never backwards; never past the last message.
    const back = await w.request('POST', `/api/v1/conversations/${id}/read`, {
      token: agent.token,
      body: { seq: 1 },
    });
    expect([back.status, back.body]).toEqual([200, { seq: 2 }]);
    const past = await w.request('POST', `/api/v1/conversations/${id}/read`, {
      token: agent.token,
      body: { seq: 999 },
    });
    expect(past.body).toEqual({ seq: 3 });
    expect(await w.conversation(id, agent.token)).toMatchObject({ agentReadSeq: 3, unread: 0 });
    await eventually(() =>
      expect(readsAtVisitor.map((p) => ConversationReadPayload.parse(p).seq)).toEqual([2, 3]),
    );

    // Two agent messages: the visitor has 2 unread; the agent has read their own.
    for (const body of ['one', 'two']) await w.reply(agentSocket, id, body);
    expect(await visitorUnread(visitor.token)).toBe(2);
    expect(await w.conversation(id, agent.token)).toMatchObject({ lastSeq: 5, unread: 0 });

    // The visitor reads over REST, then over the socket; the agent gets the receipts.
    const visitorRead = await w.request('POST', `/api/v1/conversations/${id}/read`, {
      token: visitor.token,
      body: { seq: 4 },
    });
    expect(visitorRead.body).toEqual({ seq: 4 });
    expect(await visitorUnread(visitor.token)).toBe(1);
    expect(await ask(visitorSocket, 'conversation.read', { conversationId: id, seq: 100 })).toEqual(
      { ok: true, seq: 5 },
    );
    expect(await visitorUnread(visitor.token)).toBe(0);
    expect(await ask(visitorSocket, 'conversation.read', { conversationId: id, seq: 3 })).toEqual({
      ok: true,
      seq: 5,
    });
    await eventually(() =>
      expect(readsAtAgent.map((p) => ConversationReadPayload.parse(p))).toEqual([
        { conversationId: id, side: 'agent', seq: 2 },
        { conversationId: id, side: 'agent', seq: 3 },
        { conversationId: id, side: 'visitor', seq: 4 },
        { conversationId: id, side: 'visitor', seq: 5 },
      ]),
    );
    // A read that moved nothing tells nobody.
    await w.visitorFence(visitorSocket, agentSocket, id);
    await w.consoleFence(agentSocket);
    expect(readsAtAgent).toHaveLength(4);
    expect(readsAtVisitor).toHaveLength(4);

    const mine = await w.request('GET', '/api/v1/visitor/conversations', { token: visitor.token });
    expect(VisitorConversationListResponse.parse(mine.body).conversations[0]).toMatchObject({
      id,
      lastSeq: 5,
      visitorReadSeq: 5,
      agentReadSeq: 5,
      unread: 0,
    });

    // Visitor unread sums the agents' messages over their conversations; the "ended" notice of
    // this one and the "assigned" notice of the next never count.
    expect(
      (await w.request('POST', `/api/v1/conversations/${id}/end`, { token: agent.token })).status,
    ).toBe(200);
    expect(await visitorUnread(visitor.token)).toBe(0);
    const next = await w.startConversation(visitor.token, 'me again');
    expect(await visitorUnread(visitor.token)).toBe(0);
    await w.reply(agentSocket, next, 'welcome back');
    expect(await visitorUnread(visitor.token)).toBe(1);
  });
});

describe('typing', () => {
  it('visitor typing reaches the agent and admins, not the visitor’s other tab; agent typing reaches the visitor', async () => {
    const chat = await w.servedConversation();
    const { id, agent, visitor, agentSocket } = chat;
    const unrelated = await w.agent({ status: 'away' });
    const tab1 = chat.visitorSocket;
    const tab2 = await w.connect(visitor.token);
    const agentSecond = await w.connect(agent.token);
    const adminSocket = await w.connect(w.adminToken);
    const strangerSocket = await w.connect(unrelated.token);
    const typing = {
      tab1: record<unknown>(tab1, 'typing'),
      tab2: record<unknown>(tab2, 'typing'),
      agent: record<unknown>(agentSocket, 'typing'),
      agentSecond: record<unknown>(agentSecond, 'typing'),
      admin: record<unknown>(adminSocket, 'typing'),
      stranger: record<unknown>(strangerSocket, 'typing'),
    };

    expect(await ask(tab1, 'typing', { conversationId: id, isTyping: true })).toEqual({
      ok: true,
    });
    const fromVisitor = { conversationId: id, side: 'visitor', isTyping: true };
    await eventually(() => {
      expect(typing.agent.map((p) => TypingPayload.parse(p))).toEqual([fromVisitor]);
      expect(typing.agentSecond).toEqual([fromVisitor]);
      expect(typing.admin).toEqual([fromVisitor]);
    });

    expect(await ask(agentSocket, 'typing', { conversationId: id, isTyping: true })).toEqual({
      ok: true,
    });
    const fromAgent = { conversationId: id, side: 'agent', isTyping: true };
    await eventually(() => {
      expect(typing.tab1.map((p) => TypingPayload.parse(p))).toEqual([fromAgent]);
      // tab2 hears the agent, and never heard tab1 (it would have arrived first).
      expect(typing.tab2).toEqual([fromAgent]);
      expect(typing.admin).toEqual([fromVisitor, fromAgent]);
    });
    await w.consoleFence(agentSocket, agentSecond, strangerSocket);
    // The typist's own sockets are not told; strangers never are.
    expect(typing.agent).toEqual([fromVisitor]);
    expect(typing.agentSecond).toEqual([fromVisitor]);
    expect(typing.stranger).toEqual([]);

    // Over REST too.
    const rest = await w.request('POST', `/api/v1/conversations/${id}/typing`, {
      token: visitor.token,
      body: { isTyping: false },
    });
    expect(rest.status).toBe(204);
    await eventually(() =>
      expect(typing.agent.at(-1)).toEqual({ ...fromVisitor, isTyping: false }),
    );
  });

  it('drops a second “is typing” within a second per socket; “stopped” always passes', async () => {
    const { id, visitor, visitorSocket: tab1, agentSocket } = await w.servedConversation();
    const tab2 = await w.connect(visitor.token);
    const heard = record<unknown>(agentSocket, 'typing');
    const typing = (socket: Socket, isTyping: boolean) =>
      ask(socket, 'typing', { conversationId: id, isTyping });

    const startedAt = Date.now();
    expect(await typing(tab1, true)).toEqual({ ok: true });
    expect(await typing(tab1, true)).toEqual({ ok: true, throttled: true });
    // Another socket has its own allowance.
    expect(await typing(tab2, true)).toEqual({ ok: true });
    expect(await typing(tab1, false)).toEqual({ ok: true });
    expect(await typing(tab1, false)).toEqual({ ok: true });
    expect(await typing(tab2, true)).toEqual({ ok: true, throttled: true });
    await w.consoleFence(agentSocket);
    expect(heard.map((p) => TypingPayload.parse(p).isTyping)).toEqual([true, true, false, false]);

    // A second later the allowance is back.
    await eventually(async () => {
      expect(await typing(tab2, true)).toEqual({ ok: true });
    }, 5000);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1000);
    await eventually(() => expect(heard).toHaveLength(5));
  });
});

describe('who may write', () => {
  it('an agent cannot write in an ended conversation; an admin cannot write at all', async () => {
    const { id, agent, agentSocket } = await w.servedConversation();
    const adminSocket = await w.connect(w.adminToken);

    // Admins watch but do not serve.
    const before = (await w.conversation(id)).lastSeq;
    ackFailure(await send(adminSocket, { conversationId: id, ...text('admin here') }), 'FORBIDDEN');
    const adminRest = await w.request('POST', `/api/v1/conversations/${id}/messages`, {
      token: w.adminToken,
      body: text('admin here'),
    });
    expect(adminRest.status).toBe(403);
    expect(errorOf(adminRest).code).toBe('FORBIDDEN');
    expect((await w.conversation(id)).lastSeq).toBe(before);

    const ended = await w.request('POST', `/api/v1/conversations/${id}/end`, {
      token: agent.token,
    });
    expect(ended.status).toBe(200);
    const lastSeq = (await w.conversation(id)).lastSeq;
    ackFailure(
      await send(agentSocket, { conversationId: id, ...text('too late') }),
      'CONVERSATION_ENDED',
    );
    const rest = await w.request('POST', `/api/v1/conversations/${id}/messages`, {
      token: agent.token,
      body: text('too late'),
    });
    expect(rest.status).toBe(409);
    expect(errorOf(rest).code).toBe('CONVERSATION_ENDED');
    ackFailure(
      await ask(agentSocket, 'typing', { conversationId: id, isTyping: true }),
      'CONVERSATION_ENDED',
    );
    expect(await w.conversation(id)).toMatchObject({ state: 'ended', lastSeq });
  });
});
