import { RobotStatusResponse, ServerEvent, SuggestReplyResponse } from '@servicesystem/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startFakeModel, type FakeModel } from '../support/fakeModel.js';
import { bodyOf, errorOf, startWorld, text, waitFor, type World } from '../support/world.js';

/**
 * GET /api/v1/robot and POST /api/v1/conversations/:id/suggest-reply, without a language model
 * (the best FAQ or saved-reply answer) and with one (a real local OpenAI-compatible server,
 * support/fakeModel), and that without LLM_* nothing calls out.
 */

const refundAnswer = 'Refunds take 3 to 5 working days: https://shop.example/refunds';
const passwordAnswer = 'Open Settings → Security → Change password.';
const emailAnswer = 'Open Settings → Profile → Email, then confirm the mail we send.';
const hoursAnswer = 'We are open 9:00 to 18:00, Monday to Friday.';
const instruction = 'Sign every reply as the Example Shop team.';

/** The channel's knowledge, through the admin's routes: FAQ entries, a shared saved reply
 * marked for the robot (its title is the question), and the robot's instruction. */
async function giveKnowledge(world: World): Promise<Record<string, string>> {
  const channelId = world.app.channelId;
  const token = world.adminToken;
  const ids: Record<string, string> = {};
  const entries: [string, string[], string][] = [
    ['refund', ['How do I get a refund?', '怎么退款'], refundAnswer],
    ['password', ['How do I change my password?'], passwordAnswer],
    ['email', ['How do I change my email address?'], emailAnswer],
  ];
  for (const [name, questions, answer] of entries) {
    const made = await world.request('POST', `/api/v1/channels/${channelId}/faq`, {
      token,
      body: { questions, answer },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    ids[name] = (made.body as { entry: { id: string } }).entry.id;
  }
  const reply = await world.request('POST', '/api/v1/saved-replies', {
    token,
    body: {
      scope: 'shared',
      shortcut: 'hours',
      title: 'Opening hours',
      text: hoursAnswer,
      robotAnswer: true,
    },
  });
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  ids.hours = (reply.body as { savedReply: { id: string } }).savedReply.id;
  const channel = await world.request('PATCH', `/api/v1/channels/${channelId}`, {
    token,
    body: { robot: { instruction } },
  });
  expect(channel.status, JSON.stringify(channel.body)).toBe(200);
  return ids;
}

const suggest = (world: World, id: string, token: string) =>
  world.request('POST', `/api/v1/conversations/${id}/suggest-reply`, { token });

describe('without a language model', () => {
  let world: World;
  let ids: Record<string, string>;
  let fake: FakeModel;
  const fetchSpy = vi.spyOn(globalThis, 'fetch');
  beforeAll(async () => {
    // Started, but named nowhere: nothing may reach it.
    fake = await startFakeModel();
    world = await startWorld();
    ids = await giveKnowledge(world);
    fetchSpy.mockClear();
  });
  afterAll(async () => {
    fetchSpy.mockRestore();
    await world.close();
    await fake.close();
  });

  it('says no model is configured, to agents and admins', async () => {
    const agent = await world.agent();
    for (const token of [agent.token, world.adminToken]) {
      const answer = await world.request('GET', '/api/v1/robot', { token });
      expect(answer.status).toBe(200);
      expect(bodyOf(answer, RobotStatusResponse)).toEqual({
        model: { configured: false, name: null },
      });
    }
    expect(world.app.app.ctx.robotModel).toBeNull();
  });

  it('suggests the FAQ answer the visitor’s question matches', async () => {
    const served = await world.servedConversation({ body: 'How do I get a refund?' });
    const answer = await suggest(world, served.id, served.agent.token);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    const body = bodyOf(answer, SuggestReplyResponse);
    expect(body.text).toBe(refundAnswer);
    expect(body.source).toBe('faq');
    expect(body.basedOn).toHaveLength(1);
    expect(body.basedOn[0]).toMatchObject({
      source: 'faq',
      entryId: ids.refund,
      question: 'How do I get a refund?',
    });
  });

  it('suggests a saved reply marked for the robot', async () => {
    const served = await world.servedConversation({ body: 'what are your opening hours?' });
    const body = bodyOf(await suggest(world, served.id, served.agent.token), SuggestReplyResponse);
    expect(body).toMatchObject({ text: hoursAnswer, source: 'savedReply' });
    expect(body.basedOn.map((m) => m.entryId)).toEqual([ids.hours]);
  });

  it('suggests the best choice when unsure, based on the choices', async () => {
    const served = await world.servedConversation({ body: 'How do I change it?' });
    const body = bodyOf(await suggest(world, served.id, served.agent.token), SuggestReplyResponse);
    expect(body.text).toBe(passwordAnswer);
    expect(body.basedOn.map((m) => m.entryId).slice(0, 2)).toEqual([ids.password, ids.email]);
    expect(body.basedOn[0]!.score).toBeGreaterThan(body.basedOn[1]!.score);
  });

  it('reads the visitor’s latest question, not their first', async () => {
    const served = await world.servedConversation({ body: 'How do I get a refund?' });
    await world.reply(served.agentSocket, served.id, 'Sure, one moment.');
    const sent = await world.request('POST', '/api/v1/visitor/messages', {
      token: served.visitor.token,
      body: text('and what are your opening hours'),
    });
    expect(sent.status).toBe(201);
    const body = bodyOf(await suggest(world, served.id, served.agent.token), SuggestReplyResponse);
    expect(body.text).toBe(hoursAnswer);
  });

  it('passes over the visitor asking for a person: the question is the one before', async () => {
    const served = await world.servedConversation({ body: 'and what are your opening hours' });
    const sent = await world.request('POST', '/api/v1/visitor/messages', {
      token: served.visitor.token,
      body: text('转人工'),
    });
    expect(sent.status).toBe(201);
    const body = bodyOf(await suggest(world, served.id, served.agent.token), SuggestReplyResponse);
    expect(body.text).toBe(hoursAnswer);
  });

  it('answers 404 NO_SUGGESTION when nothing fits', async () => {
    const served = await world.servedConversation({ body: 'do you sell bicycles' });
    const answer = await suggest(world, served.id, served.agent.token);
    expect(answer.status).toBe(404);
    expect(errorOf(answer).code).toBe('NO_SUGGESTION');
  });

  it('is for the serving agent only: not admins, other agents, visitors, nor ended conversations', async () => {
    const served = await world.servedConversation({ body: 'How do I get a refund?' });
    const other = await world.agent();
    const admin = await suggest(world, served.id, world.adminToken);
    expect([admin.status, errorOf(admin).code]).toEqual([403, 'FORBIDDEN']);
    const stranger = await suggest(world, served.id, other.token);
    expect([stranger.status, errorOf(stranger).code]).toEqual([403, 'FORBIDDEN']);
    const visitor = await suggest(world, served.id, served.visitor.token);
    expect(visitor.status).toBe(401);
    const missing = await suggest(world, 'no-such-conversation', served.agent.token);
    expect([missing.status, errorOf(missing).code]).toEqual([404, 'NOT_FOUND']);
    const ended = await world.request('POST', `/api/v1/conversations/${served.id}/end`, {
      token: served.agent.token,
    });
    expect(ended.status).toBe(200);
    const afterEnd = await suggest(world, served.id, served.agent.token);
    expect([afterEnd.status, errorOf(afterEnd).code]).toEqual([409, 'CONVERSATION_ENDED']);
  });

  it('calls out to nothing: no fetch from the server, nothing at the local model', async () => {
    const served = await world.servedConversation({ body: 'I want a refund for my order' });
    expect((await suggest(world, served.id, served.agent.token)).status).toBe(200);
    // A robot-first channel's conversation too: the robot answers from the FAQ text itself.
    const robotFirst = await world.request('PATCH', `/api/v1/channels/${world.app.channelId}`, {
      token: world.adminToken,
      body: { robot: { mode: 'first' } },
    });
    expect(robotFirst.status).toBe(200);
    const visitor = await world.visitor();
    const socket = await world.connect(visitor.token);
    const answered = waitFor(
      socket,
      ServerEvent.MessageCreated,
      (p) => p.message.sender.type === 'robot' && p.message.body === refundAnswer,
    );
    await world.startConversation(visitor.token, 'How do I get a refund?');
    expect((await answered).message.meta).toMatchObject({ reply: 'answer', source: 'faq' });
    expect(fetchSpy).not.toHaveBeenCalled();
    expect(fake.calls).toEqual([]);
  });
});

describe('with a language model', () => {
  let world: World;
  let ids: Record<string, string>;
  let fake: FakeModel;
  beforeAll(async () => {
    fake = await startFakeModel();
    world = await startWorld({
      LLM_BASE_URL: fake.baseUrl,
      LLM_MODEL: 'fake-7b',
      LLM_API_KEY: 'sk-engine-test',
      LLM_FIRST_TOKEN_TIMEOUT_MS: '800',
      LLM_TIMEOUT_MS: '3000',
      LLM_CONCURRENCY: '1',
    });
    ids = await giveKnowledge(world);
  });
  afterEach(() => {
    fake.release();
    fake.calls.length = 0;
    fake.behave({ kind: 'stream', chunks: ['OK'] });
  });
  afterAll(async () => {
    await world.close();
    await fake.close();
  });

  it('says which model is configured', async () => {
    const agent = await world.agent();
    const answer = await world.request('GET', '/api/v1/robot', { token: agent.token });
    expect(bodyOf(answer, RobotStatusResponse)).toEqual({
      model: { configured: true, name: 'fake-7b' },
    });
    expect(fake.calls).toEqual([]);
  });

  it('drafts from the retrieved knowledge, the instruction and the conversation', async () => {
    const served = await world.servedConversation({ body: 'How do I get a refund?' });
    await world.reply(served.agentSocket, served.id, 'Let me look that up for you.');
    fake.behave({
      kind: 'stream',
      chunks: [
        'Refunds take ',
        '3 to 5 working days: ',
        'https://shop.example/refunds',
        ' — Example Shop team',
      ],
      delayMs: 10,
    });
    const answer = await suggest(world, served.id, served.agent.token);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    const body = bodyOf(answer, SuggestReplyResponse);
    expect(body.text).toBe(
      'Refunds take 3 to 5 working days: https://shop.example/refunds — Example Shop team',
    );
    expect(body.source).toBe('model');
    expect(body.basedOn[0]).toMatchObject({ source: 'faq', entryId: ids.refund });

    expect(fake.calls).toHaveLength(1);
    const call = fake.calls[0]!;
    expect(call.path).toBe('/v1/chat/completions');
    expect(call.headers.authorization).toBe('Bearer sk-engine-test');
    expect(call.json).toMatchObject({ model: 'fake-7b', stream: true });
    const [system, ...turns] = call.json!.messages!;
    expect(system!.role).toBe('system');
    expect(system!.content).toContain(instruction);
    expect(system!.content).toContain(refundAnswer);
    expect(system!.content).toContain('agent');
    // Only what the matcher retrieved: the opening hours have nothing to do with refunds.
    expect(system!.content).not.toContain(hoursAnswer);
    expect(turns.at(0)).toEqual({ role: 'user', content: 'How do I get a refund?' });
    expect(turns.at(-1)).toEqual({ role: 'assistant', content: 'Let me look that up for you.' });
  });

  it('answers 404 NO_SUGGESTION when the model says the knowledge does not answer', async () => {
    const served = await world.servedConversation({ body: 'How do I change it?' });
    fake.behave({ kind: 'stream', chunks: ['HAND', 'OFF'] });
    const answer = await suggest(world, served.id, served.agent.token);
    expect([answer.status, errorOf(answer).code]).toEqual([404, 'NO_SUGGESTION']);
    // The entries the matcher found were given, though it was not sure which one.
    const system = fake.calls[0]!.json!.messages![0]!.content;
    expect(system).toContain(passwordAnswer);
    expect(system).toContain(emailAnswer);
  });

  it('does not ask the model when nothing in the knowledge is near the question', async () => {
    for (const body of ['do you sell bicycles', 'change my settings']) {
      const served = await world.servedConversation({ body });
      const answer = await suggest(world, served.id, served.agent.token);
      expect([answer.status, errorOf(answer).code]).toEqual([404, 'NO_SUGGESTION']);
    }
    expect(fake.calls).toEqual([]);
  });

  it.each([
    ['an error', { kind: 'status', status: 500 } as const, 'could not answer'],
    ['nonsense', { kind: 'raw', body: 'data: {not json\n\n' } as const, 'could not answer'],
    ['silence past the first-word limit', { kind: 'silent' } as const, 'did not answer in time'],
  ])('answers 503 MODEL_UNAVAILABLE on %s', async (_name, behaviour, words) => {
    const served = await world.servedConversation({ body: 'How do I get a refund?' });
    fake.behave(behaviour);
    const answer = await suggest(world, served.id, served.agent.token);
    expect(answer.status).toBe(503);
    const error = errorOf(answer);
    expect(error.code).toBe('MODEL_UNAVAILABLE');
    expect(error.message).toContain('language model');
    expect(error.message).toContain(words);
  });

  it('answers 503 at once when the model is busy, and drafts again once it is free', async () => {
    const first = await world.servedConversation({ body: 'How do I get a refund?' });
    const second = await world.servedConversation({ body: 'How do I change my password?' });
    fake.behave({ kind: 'silent' });
    const waiting = suggest(world, first.id, first.agent.token);
    await expect.poll(() => fake.calls.length).toBe(1);
    const busy = await suggest(world, second.id, second.agent.token);
    expect(busy.status).toBe(503);
    expect(errorOf(busy)).toMatchObject({ code: 'MODEL_UNAVAILABLE' });
    expect(errorOf(busy).message).toContain('busy');
    expect(busy.headers['retry-after']).toBe('5');
    fake.behave({ kind: 'stream', chunks: ['Settings → Security.'] });
    fake.release();
    expect((await waiting).status).toBe(503);
    const again = await suggest(world, second.id, second.agent.token);
    expect(again.status).toBe(200);
    expect(bodyOf(again, SuggestReplyResponse).text).toBe('Settings → Security.');
    expect(fake.calls).toHaveLength(2);
  });
});
