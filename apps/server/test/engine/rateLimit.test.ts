import { afterAll, beforeAll, expect, it } from 'vitest';
import { AckError, type MessagePage } from '@servicesystem/protocol';
import { newClientMsgId, request, startLiveApp, type LiveApp } from '../support/liveApp.js';

/**
 * One visitor cannot flood an agent: a burst of 3, then 60 a minute (one a second). The clock is
 * the test's, so the refill is exact and nothing sleeps.
 */
let t: LiveApp;
let clock = Date.UTC(2026, 10, 26, 10, 0, 0);

beforeAll(async () => {
  t = await startLiveApp(
    { VISITOR_MESSAGE_BURST: '3', VISITOR_MESSAGES_PER_MINUTE: '60' },
    { now: () => clock },
  );
});
afterAll(() => t.close());

function text(body: string) {
  return { clientMsgId: newClientMsgId(), type: 'text', body };
}

async function visitorTexts(conversationId: string, token: string): Promise<string[]> {
  const page = await t.request('GET', `/api/v1/conversations/${conversationId}/messages`, {
    token,
  });
  expect(page.status).toBe(200);
  return (page.body as MessagePage).messages
    .filter((m) => m.sender.type === 'visitor')
    .map((m) => m.body);
}

it('refuses a visitor past their allowance, on sockets and REST alike, storing nothing', async () => {
  const agent = await t.agent({ status: 'online' });
  const visitor = await t.visitor();
  const socket = await t.connect(visitor.token);

  const first = await request(socket, 'message.send', text('one'));
  expect(first.ok).toBe(true);
  const conversationId = first.conversation.id as string;
  for (const body of ['two', 'three']) {
    expect((await request(socket, 'message.send', text(body))).ok).toBe(true);
  }

  const refused = text('four');
  const overSocket = AckError.parse(await request(socket, 'message.send', refused));
  expect(overSocket.error.code).toBe('RATE_LIMITED');
  expect(overSocket.error.retryAfterSeconds).toBe(1);

  const overRest = await t.request('POST', '/api/v1/visitor/messages', {
    token: visitor.token,
    body: text('five'),
  });
  expect(overRest.status).toBe(429);
  expect(overRest.body.error.code).toBe('RATE_LIMITED');
  expect(overRest.headers['retry-after']).toBe('1');
  expect(await visitorTexts(conversationId, visitor.token)).toEqual(['one', 'two', 'three']);

  // Another visitor has their own allowance; the agent is not limited at all.
  const other = await t.visitor();
  const otherSent = await t.request('POST', '/api/v1/visitor/messages', {
    token: other.token,
    body: text('hello'),
  });
  expect(otherSent.status).toBe(201);
  const agentSocket = await t.connect(agent.token);
  for (let i = 0; i < 6; i++) {
    const reply = await request(agentSocket, 'message.send', {
      conversationId,
      ...text(`reply ${i}`),
    });
    expect(reply.ok).toBe(true);
  }

  // A second later one message is allowed: the refused one, sent again as it was, is stored once.
  clock += 1000;
  const again = await request(socket, 'message.send', refused);
  expect(again.ok).toBe(true);
  expect(again.message.body).toBe('four');
  const tooSoon = AckError.parse(await request(socket, 'message.send', text('six')));
  expect(tooSoon.error.code).toBe('RATE_LIMITED');
  expect(await visitorTexts(conversationId, visitor.token)).toEqual([
    'one',
    'two',
    'three',
    'four',
  ]);
});

it('refills up to the burst and no further', async () => {
  const visitor = await t.visitor();
  const socket = await t.connect(visitor.token);
  clock += 60_000;
  const answers = [];
  for (let i = 0; i < 4; i++) {
    answers.push(await request(socket, 'message.send', text(`m${i}`)));
  }
  expect(answers.map((a) => a.ok)).toEqual([true, true, true, false]);
  clock += 10 * 60_000;
  const refilled = [];
  for (let i = 0; i < 4; i++) {
    refilled.push(await request(socket, 'message.send', text(`n${i}`)));
  }
  expect(refilled.map((a) => a.ok)).toEqual([true, true, true, false]);
});
