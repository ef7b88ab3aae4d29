import { afterAll, beforeAll, expect, it } from 'vitest';
import { AckError, MessagePage } from '@servicesystem/protocol';
import { bodyOf, errorOf, send, sendOk, startWorld, text, type World } from '../support/world.js';

/**
 * One visitor cannot flood an agent: a burst of 3, then 60 a minute (one a second). The clock is
 * the test's, so the refill is exact and nothing sleeps.
 */
let w: World;
let clock = Date.UTC(2026, 10, 26, 10, 0, 0);

beforeAll(async () => {
  w = await startWorld(
    { VISITOR_MESSAGE_BURST: '3', VISITOR_MESSAGES_PER_MINUTE: '60' },
    { now: () => clock },
  );
});
afterAll(() => w.close());

async function visitorTexts(conversationId: string, token: string): Promise<string[]> {
  const page = await w.request('GET', `/api/v1/conversations/${conversationId}/messages`, {
    token,
  });
  expect(page.status).toBe(200);
  return bodyOf(page, MessagePage)
    .messages.filter((m) => m.sender.type === 'visitor')
    .map((m) => m.body);
}

it('refuses a visitor past their allowance, on sockets and REST alike, storing nothing', async () => {
  const agent = await w.agent({ status: 'online' });
  const visitor = await w.visitor();
  const socket = await w.connect(visitor.token);

  const first = await sendOk(socket, text('one'));
  const conversationId = first.conversation.id;
  for (const body of ['two', 'three']) await sendOk(socket, text(body));

  const refused = text('four');
  const overSocket = AckError.parse(await send(socket, refused));
  expect(overSocket.error.code).toBe('RATE_LIMITED');
  expect(overSocket.error.retryAfterSeconds).toBe(1);

  const overRest = await w.request('POST', '/api/v1/visitor/messages', {
    token: visitor.token,
    body: text('five'),
  });
  expect(overRest.status).toBe(429);
  expect(errorOf(overRest).code).toBe('RATE_LIMITED');
  expect(overRest.headers['retry-after']).toBe('1');
  expect(await visitorTexts(conversationId, visitor.token)).toEqual(['one', 'two', 'three']);

  // Another visitor has their own allowance; the agent is not limited at all.
  const other = await w.visitor();
  const otherSent = await w.request('POST', '/api/v1/visitor/messages', {
    token: other.token,
    body: text('hello'),
  });
  expect(otherSent.status).toBe(201);
  const agentSocket = await w.connect(agent.token);
  for (let i = 0; i < 6; i++) {
    await w.reply(agentSocket, conversationId, `reply ${i}`);
  }

  // A second later one message is allowed: the refused one, sent again as it was, is stored once.
  clock += 1000;
  const again = await sendOk(socket, refused);
  expect(again.message.body).toBe('four');
  const tooSoon = AckError.parse(await send(socket, text('six')));
  expect(tooSoon.error.code).toBe('RATE_LIMITED');
  expect(await visitorTexts(conversationId, visitor.token)).toEqual([
    'one',
    'two',
    'three',
    'four',
  ]);
});

it('refills up to the burst and no further', async () => {
  const visitor = await w.visitor();
  const socket = await w.connect(visitor.token);
  clock += 60_000;
  const answers = [];
  for (let i = 0; i < 4; i++) {
    answers.push(await send(socket, text(`m${i}`)));
  }
  expect(answers.map((a) => a.ok)).toEqual([true, true, true, false]);
  clock += 10 * 60_000;
  const refilled = [];
  for (let i = 0; i < 4; i++) {
    refilled.push(await send(socket, text(`n${i}`)));
  }
  expect(refilled.map((a) => a.ok)).toEqual([true, true, true, false]);
});
