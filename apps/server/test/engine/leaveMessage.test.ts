import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Conversation,
  LeaveMessageRequest,
  Message,
  MessagePage,
  VisitorConversation,
  VisitorSessionResponse,
} from '@servicesystem/protocol';
import { z } from 'zod';
import { startSmtpCatcher, type SmtpCatcher } from '../support/smtpCatcher.js';
import { bodyOf, errorOf, startWorld, type World } from '../support/world.js';

const LeftAnswer = z.object({ message: Message, conversation: VisitorConversation }).strict();
const SessionAnswer = VisitorSessionResponse.strict();

/** A clock the tests move forward: past a reply mail's delay, past a retry's backoff. */
let offset = 0;
const now = () => Date.now() + offset;

const leave = (world: World, token: string, body: Record<string, unknown>, ip?: string) =>
  world.request('POST', '/api/v1/visitor/leave-message', {
    token,
    body,
    ...(ip ? { ip } : {}),
  });

async function outboxRows(world: World) {
  return world.app.app.db.kysely.selectFrom('outbox').selectAll().orderBy('created_at').execute();
}

/** Leaves a message as a new visitor; answers the visitor and the conversation id. */
async function leftMessage(world: World, fields: Record<string, unknown> = {}) {
  const visitor = await world.visitor();
  const answer = await leave(world, visitor.token, {
    name: 'Li Lei',
    email: 'li.lei@example.com',
    message: 'Do you ship to Hangzhou?',
    ...fields,
  });
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  return { visitor, conversationId: bodyOf(answer, LeftAnswer).conversation.id };
}

describe('leaving a message when nobody can answer', () => {
  let world: World;
  let smtp: SmtpCatcher;
  beforeAll(async () => {
    smtp = await startSmtpCatcher();
    world = await startWorld(
      {
        SMTP_URL: smtp.url,
        MAIL_FROM: 'Shop <support@shop.example>',
        PUBLIC_URL: 'https://chat.shop.example',
      },
      { now },
    );
  });
  afterAll(async () => {
    await world.close();
    await smtp.close();
  });

  it('tells the visitor page that nobody can answer and that mail is on', async () => {
    const answer = await world.request('POST', '/api/v1/visitor/session', {
      body: { channelId: world.app.channelId },
    });
    const session = bodyOf(answer, SessionAnswer);
    expect(session.channel).toMatchObject({ agentsOnline: false, available: false, mail: true });
    expect(session.resume).toBeUndefined();
  });

  it('refuses bad input with a code, field by field, and callers without a visitor token', async () => {
    const visitor = await world.visitor();
    const good = { name: 'Ann', email: 'ann@example.com', message: 'Hello' };
    const cases: [Record<string, unknown>, string][] = [
      [{ name: 'Ann', message: 'Hello' }, 'email'],
      [{ ...good, email: '   ', phone: '' }, 'email'],
      [{ ...good, email: 'not-an-address' }, 'email'],
      [{ ...good, email: 'a@b' }, 'email'],
      [{ ...good, email: undefined, phone: '12' }, 'phone'],
      [{ ...good, email: undefined, phone: 'call me maybe' }, 'phone'],
      [{ ...good, message: '   ' }, 'message'],
      [{ ...good, message: 'x'.repeat(2001) }, 'message'],
      [{ ...good, name: '' }, 'name'],
      [{ ...good, extra: 1 }, ''],
      [{ ...good, timeZone: 'Mars/Olympus' }, 'timeZone'],
    ];
    for (const [body, path] of cases) {
      const answer = await leave(world, visitor.token, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      const error = errorOf(answer);
      expect(error.code).toBe('VALIDATION_FAILED');
      if (path) expect(error.issues?.map((i) => i.path).join(' ')).toContain(path);
    }
    const anonymous = await world.request('POST', '/api/v1/visitor/leave-message', { body: good });
    expect(anonymous.status).toBe(401);
    const asAgent = await world.request('POST', '/api/v1/visitor/leave-message', {
      token: world.adminToken,
      body: good,
    });
    // A console token is no visitor's (as on every /api/v1/visitor route).
    expect(asAgent.status).toBe(401);
    // Nothing was written by any of them.
    const visitorConversations = await world.request('GET', '/api/v1/visitor/conversations', {
      token: visitor.token,
    });
    expect(visitorConversations.body).toEqual({ conversations: [] });
    // A phone number alone is enough; an email address is trimmed.
    expect(
      LeaveMessageRequest.parse({ name: ' Ann ', phone: '+86 (571) 8888-1234', message: 'Hi' }),
    ).toMatchObject({ name: 'Ann', phone: '+86 (571) 8888-1234' });
  });

  it('makes a queued conversation marked as a left message, with the contact for agents only', async () => {
    const visitor = await world.visitor();
    const answer = await leave(world, visitor.token, {
      name: 'Han Meimei',
      email: ' han@example.com ',
      phone: '+86 138 0000 0000',
      message: 'Please call me about <b>order</b> 42',
      locale: 'zh-CN',
      timeZone: 'Asia/Shanghai',
    });
    expect(answer.status).toBe(201);
    const left = bodyOf(answer, LeftAnswer);
    expect(left.message).toMatchObject({
      type: 'text',
      body: 'Please call me about <b>order</b> 42',
      sender: { type: 'visitor', name: 'Han Meimei' },
    });
    expect(left.conversation).toMatchObject({
      state: 'queued',
      kind: 'message',
      contactEmail: 'han@example.com',
      lastSeq: 1,
    });
    // Only the visitor's message: no greeting, no queue notice.
    const history = await world.history(visitor.token, left.conversation.id);
    expect(history.messages.map((m) => m.type)).toEqual(['text']);

    // The queue view shows it marked, with the contact and whether replies go by email.
    const queue = await world.request('GET', '/api/v1/conversations?view=unassigned', {
      token: world.adminToken,
    });
    const listed = z
      .object({ conversations: z.array(Conversation) })
      .parse(queue.body)
      .conversations.find((c) => c.id === left.conversation.id);
    expect(listed).toMatchObject({
      kind: 'message',
      state: 'queued',
      visitor: { name: 'Han Meimei' },
      leftMessage: {
        name: 'Han Meimei',
        email: 'han@example.com',
        phone: '+86 138 0000 0000',
        emailReplies: true,
      },
    });

    // One at a time: with a conversation open the visitor writes there instead.
    const again = await leave(world, visitor.token, {
      name: 'Han Meimei',
      phone: '13800000000',
      message: 'Again',
    });
    expect(again.status).toBe(409);
    expect(errorOf(again).code).toBe('CONVERSATION_OPEN');
    const chatting = await world.visitor();
    await world.startConversation(chatting.token, 'Hi, a live chat');
    const whileChatting = await leave(world, chatting.token, {
      name: 'X',
      phone: '13800000000',
      message: 'x',
    });
    expect(errorOf(whileChatting).code).toBe('CONVERSATION_OPEN');
    const chat = (
      await world.request('GET', '/api/v1/visitor/conversations', { token: chatting.token })
    ).body as { conversations: VisitorConversation[] };
    expect(chat.conversations.map((c) => c.kind)).toEqual(['chat']);
  });

  it('counts against the per-address conversation limit', async () => {
    const limited = await startWorld({ CONVERSATIONS_PER_ADDRESS_PER_MINUTE: '1' });
    try {
      const ip = '203.0.113.9';
      const first = await limited.visitor();
      const second = await limited.visitor();
      const body = { name: 'A', phone: '123456', message: 'hi' };
      expect((await leave(limited, first.token, body, ip)).status).toBe(201);
      const refused = await leave(limited, second.token, body, ip);
      expect(refused.status).toBe(429);
      expect(errorOf(refused).code).toBe('RATE_LIMITED');
      expect(refused.headers['retry-after']).toBeDefined();
    } finally {
      await limited.close();
    }
  });
});

describe('replies to a left message by email', () => {
  let world: World;
  let smtp: SmtpCatcher;
  beforeAll(async () => {
    smtp = await startSmtpCatcher();
    world = await startWorld(
      {
        SMTP_URL: smtp.url,
        MAIL_FROM: 'Shop Support <support@shop.example>',
        PUBLIC_URL: 'https://chat.shop.example',
        MAIL_REPLY_DELAY_SECONDS: '60',
      },
      { now },
    );
  });
  afterAll(async () => {
    await world.close();
    await smtp.close();
  });

  const runOutbox = () => world.app.app.jobs.runNow('outbox');

  let soleAgent: Awaited<ReturnType<World['soleAgent']>> | undefined;
  /** A left message an online agent has taken, with the agent's socket. */
  async function served(fields: Record<string, unknown> = {}) {
    // Nobody online while the message is left; then an agent comes online and is given it.
    if (soleAgent) await world.setStatus(soleAgent.token, 'away');
    const left = await leftMessage(world, fields);
    const agent = (soleAgent = await world.soleAgent('Wang Fang'));
    const agentSocket = await world.connect(agent.token);
    const conversation = await world.conversation(left.conversationId);
    expect(conversation).toMatchObject({ state: 'active', agent: { id: agent.id } });
    return { ...left, agent, agentSocket };
  }

  it('gathers quick replies into one mail after the delay, with a link back into the conversation', async () => {
    smtp.mails.length = 0;
    const { visitor, conversationId, agentSocket } = await served({ locale: 'en' });
    await world.reply(agentSocket, conversationId, 'Yes, we ship to Hangzhou.');
    await world.reply(agentSocket, conversationId, 'Delivery takes <3 days> & costs "nothing"');
    // Not before the delay.
    await runOutbox();
    expect(smtp.mails).toHaveLength(0);
    offset += 61_000;
    await runOutbox();
    const [mail] = await smtp.waitForMails(1);
    expect(smtp.mails).toHaveLength(1);
    expect(mail!.to).toEqual(['li.lei@example.com']);
    expect(mail!.from).toBe('support@shop.example');
    expect(mail!.subject).toContain('New reply from');
    expect(mail!.messageId).toMatch(/^<[0-9a-f-]+@chat\.shop\.example>$/);
    expect(mail!.text).toContain('Hello Li Lei');
    expect(mail!.text).toContain('Wang Fang');
    expect(mail!.text).toContain('Yes, we ship to Hangzhou.');
    expect(mail!.text).toContain('Delivery takes <3 days> & costs "nothing"');
    // The visitor's own message is not repeated; the HTML part escapes every value.
    expect(mail!.text).not.toContain('Do you ship to Hangzhou?');
    expect(mail!.html).toContain('Delivery takes &lt;3 days&gt; &amp; costs &quot;nothing&quot;');
    expect(mail!.html).not.toContain('<3 days>');

    // The link: the visitor page at /chat/ with the channel and a resume token.
    const link = new URL(/https:\/\/chat\.shop\.example\/chat\/\S+/.exec(mail!.text)![0]);
    expect(link.searchParams.get('channel')).toBe(world.app.channelId);
    const resume = link.searchParams.get('resume')!;
    expect(mail!.html).toContain(`resume=${encodeURIComponent(resume)}`);
    // Followed in another browser (no token): that visitor's session and their conversation.
    const answer = await world.request('POST', '/api/v1/visitor/session', {
      body: { channelId: world.app.channelId, resume },
    });
    const session = bodyOf(answer, SessionAnswer);
    expect(session.resume).toBe('resumed');
    expect(session.visitor.id).toBe(visitor.id);
    const page = MessagePage.parse(
      (
        await world.request('GET', `/api/v1/conversations/${conversationId}/messages`, {
          token: session.visitorToken,
        })
      ).body,
    );
    const bodies = page.messages.map((m) => m.body);
    expect(bodies).toContain('Do you ship to Hangzhou?');
    expect(bodies).toContain('Yes, we ship to Hangzhou.');

    // The mail went once: another round sends nothing more.
    offset += 600_000;
    await runOutbox();
    expect(smtp.mails).toHaveLength(1);
    const rows = await outboxRows(world);
    expect(rows.filter((r) => r.state === 'sent')).toHaveLength(1);
  });

  it('sends a later reply in a new mail, and skips one the visitor has read meanwhile', async () => {
    smtp.mails.length = 0;
    const { visitor, conversationId, agentSocket } = await served();
    await world.reply(agentSocket, conversationId, 'First answer');
    offset += 61_000;
    await runOutbox();
    await smtp.waitForMails(1);
    const later = await world.reply(agentSocket, conversationId, 'Second answer');
    offset += 61_000;
    await runOutbox();
    await smtp.waitForMails(2);
    expect(smtp.mails[1]!.text).toContain('Second answer');
    expect(smtp.mails[1]!.text).not.toContain('First answer');
    expect(smtp.mails[1]!.messageId).not.toBe(smtp.mails[0]!.messageId);

    // Read on the page before the delay is over: no mail.
    const third = await world.reply(agentSocket, conversationId, 'Third answer');
    expect(third.message.seq).toBeGreaterThan(later.message.seq);
    const read = await world.request('POST', `/api/v1/conversations/${conversationId}/read`, {
      token: visitor.token,
      body: { seq: third.message.seq },
    });
    expect(read.status).toBe(200);
    offset += 61_000;
    await runOutbox();
    expect(smtp.mails).toHaveLength(2);
    const rows = (await outboxRows(world)).filter((r) => r.payload.includes(conversationId));
    expect(rows.map((r) => r.state).sort()).toEqual(['skipped']);
    // And the next reply after that is mailed alone.
    await world.reply(agentSocket, conversationId, 'Fourth answer');
    offset += 61_000;
    await runOutbox();
    await smtp.waitForMails(3);
    expect(smtp.mails[2]!.text).toContain('Fourth answer');
    expect(smtp.mails[2]!.text).not.toContain('Third answer');
  });

  it('mails nothing for a visitor who left only a phone number', async () => {
    smtp.mails.length = 0;
    const before = (await outboxRows(world)).length;
    const { conversationId, agentSocket } = await served({
      email: undefined,
      phone: '13800000000',
    });
    const conversation = await world.conversation(conversationId);
    expect(conversation.leftMessage).toMatchObject({ email: null, emailReplies: false });
    await world.reply(agentSocket, conversationId, 'I will call you');
    offset += 61_000;
    await runOutbox();
    expect((await outboxRows(world)).length).toBe(before);
    expect(smtp.mails).toHaveLength(0);
  });

  it('gives a forged, expired or other-channel link a fresh session and says so', async () => {
    const { visitor } = await leftMessage(world);
    const good = await world.app.app.ctx.resumeTokens.issue(
      { visitorId: visitor.id, channelId: world.app.channelId },
      now() + 60_000,
    );
    const expired = await world.app.app.ctx.resumeTokens.issue(
      { visitorId: visitor.id, channelId: world.app.channelId },
      now() - 1000,
    );
    const otherChannel = await world.app.app.ctx.resumeTokens.issue(
      { visitorId: visitor.id, channelId: 'some-other-channel' },
      now() + 60_000,
    );
    const forged = `${good.slice(0, -4)}AAAA`;
    for (const resume of [forged, expired, otherChannel, visitor.token, 'nonsense']) {
      const answer = await world.request('POST', '/api/v1/visitor/session', {
        body: { channelId: world.app.channelId, resume },
      });
      const session = bodyOf(answer, SessionAnswer);
      expect(session.resume).toBe('invalid');
      expect(session.visitor.id).not.toBe(visitor.id);
    }
    // The visitor's own token is not a resume token, nor a resume token a visitor token.
    const asVisitorToken = await world.request('GET', '/api/v1/visitor/conversations', {
      token: good,
    });
    expect(asVisitorToken.status).toBe(401);
  });
});

describe('the outbox: retries while the mail server is down, gives up on a refusal', () => {
  let world: World;
  let smtp: SmtpCatcher;
  let port: number;
  beforeAll(async () => {
    smtp = await startSmtpCatcher({ rejectRecipient: (a) => a.startsWith('nobody@') });
    port = smtp.port;
    world = await startWorld(
      { SMTP_URL: smtp.url, MAIL_FROM: 'support@shop.example', MAIL_REPLY_DELAY_SECONDS: '0' },
      { now },
    );
  });
  afterAll(async () => {
    await world.close();
    await smtp.close();
  });

  const runOutbox = () => world.app.app.jobs.runNow('outbox');

  async function endedConversation() {
    const served = await world.servedConversation({ body: 'Where is my parcel?' });
    await world.reply(served.agentSocket, served.id, 'It left the warehouse today.');
    const ended = await world.request('POST', `/api/v1/conversations/${served.id}/end`, {
      token: served.agent.token,
    });
    expect(ended.status).toBe(200);
    return served;
  }

  it('keeps a mail while the server is down and delivers it once, when it is back', async () => {
    const served = await endedConversation();
    await smtp.close();
    const asked = await world.request(
      'POST',
      `/api/v1/visitor/conversations/${served.id}/transcript`,
      { token: served.visitor.token, body: { email: 'reader@example.com' } },
    );
    expect(asked.status).toBe(202);
    expect(asked.body).toEqual({ queued: true });
    await runOutbox();
    let [row] = await outboxRows(world);
    expect(row).toMatchObject({ state: 'pending', attempts: 1 });
    expect(row!.last_error).toBeTruthy();
    // Not again before its backoff.
    await runOutbox();
    [row] = await outboxRows(world);
    expect(row!.attempts).toBe(1);

    smtp = await startSmtpCatcher({ port, rejectRecipient: (a) => a.startsWith('nobody@') });
    offset += 31_000;
    await runOutbox();
    const [mail] = await smtp.waitForMails(1);
    expect(mail!.to).toEqual(['reader@example.com']);
    expect(mail!.messageId).toBe(row!.message_id);
    [row] = await outboxRows(world);
    expect(row).toMatchObject({ state: 'sent', attempts: 2, last_error: null });
    offset += 3_600_000;
    await runOutbox();
    expect(smtp.mails).toHaveLength(1);
  });

  it('marks a mail failed when the server refuses it for good', async () => {
    const served = await endedConversation();
    const asked = await world.request(
      'POST',
      `/api/v1/visitor/conversations/${served.id}/transcript`,
      { token: served.visitor.token, body: { email: 'nobody@example.com' } },
    );
    expect(asked.status).toBe(202);
    await runOutbox();
    const row = (await outboxRows(world)).find((r) => r.payload.includes('nobody@example.com'));
    expect(row).toMatchObject({ state: 'failed', attempts: 1 });
    expect(row!.last_error).toContain('550');
  });

  it('gives up on a mail that keeps failing for a day', async () => {
    const served = await endedConversation();
    await smtp.close();
    await world.request('POST', `/api/v1/visitor/conversations/${served.id}/transcript`, {
      token: served.visitor.token,
      body: { email: 'patient@example.com' },
    });
    const find = async () =>
      (await outboxRows(world)).find((r) => r.payload.includes('patient@example.com'))!;
    for (let i = 0; i < 40 && (await find()).state === 'pending'; i++) {
      await runOutbox();
      offset += 3_600_000;
    }
    const row = await find();
    expect(row.state).toBe('failed');
    expect(row.attempts).toBeGreaterThan(5);
    expect(row.attempts).toBeLessThan(40);
    smtp = await startSmtpCatcher({ port });
  });

  it('deletes finished rows after a month, never one still to send', async () => {
    const finished = (await outboxRows(world)).filter((r) => r.state !== 'pending');
    expect(finished.length).toBeGreaterThanOrEqual(3);
    const served = await endedConversation();
    await smtp.close();
    offset += 31 * 24 * 3_600_000;
    await world.request('POST', `/api/v1/visitor/conversations/${served.id}/transcript`, {
      token: served.visitor.token,
      body: { email: 'later@example.com' },
    });
    await runOutbox();
    const left = await outboxRows(world);
    expect(left).toHaveLength(1);
    expect(left[0]).toMatchObject({ state: 'pending', attempts: 1 });
    smtp = await startSmtpCatcher({ port });
  });
});

describe('the transcript of an ended conversation by email', () => {
  let world: World;
  let smtp: SmtpCatcher;
  beforeAll(async () => {
    smtp = await startSmtpCatcher();
    world = await startWorld({ SMTP_URL: smtp.url, MAIL_FROM: 'support@shop.example' }, { now });
  });
  afterAll(async () => {
    await world.close();
    await smtp.close();
  });

  it('mails every message with names and times, escaped, to its own visitor only, 3 an hour', async () => {
    smtp.mails.length = 0;
    const served = await world.servedConversation({
      agentName: 'Zhao <Support>',
      body: 'My order <script>alert(1)</script> is late',
    });
    await world.reply(served.agentSocket, served.id, 'Sorry! It arrives tomorrow.');
    const path = `/api/v1/visitor/conversations/${served.id}/transcript`;
    const ask = (token: string, email = 'me@example.com', extra: object = {}, at = path) =>
      world.request('POST', at, { token, body: { email, ...extra } });

    // Not while it is going.
    const early = await ask(served.visitor.token);
    expect(early.status).toBe(409);
    expect(errorOf(early).code).toBe('INVALID_STATE');
    await world.request('POST', `/api/v1/conversations/${served.id}/end`, {
      token: served.agent.token,
    });

    // Another visitor: as if it did not exist. Bad input: 400.
    const stranger = await world.visitor();
    expect((await ask(stranger.token)).status).toBe(404);
    expect(errorOf(await ask(served.visitor.token, 'not an address')).code).toBe(
      'VALIDATION_FAILED',
    );
    expect((await world.request('POST', path, { body: { email: 'me@example.com' } })).status).toBe(
      401,
    );

    const answer = await ask(served.visitor.token, 'me@example.com', {
      locale: 'en',
      timeZone: 'Asia/Shanghai',
    });
    expect(answer.status).toBe(202);
    await world.app.app.jobs.runNow('outbox');
    const [mail] = await smtp.waitForMails(1);
    expect(mail!.to).toEqual(['me@example.com']);
    expect(mail!.subject).toMatch(/^Your conversation with /);
    expect(mail!.text).toContain('My order <script>alert(1)</script> is late');
    expect(mail!.text).toContain('Zhao <Support>');
    expect(mail!.text).toContain('Sorry! It arrives tomorrow.');
    expect(mail!.text).toMatch(/\bYou · /);
    expect(mail!.text).toContain('GMT+8');
    expect(mail!.html).toContain('My order &lt;script&gt;alert(1)&lt;/script&gt; is late');
    expect(mail!.html).toContain('Zhao &lt;Support&gt;');
    expect(mail!.html).not.toContain('<script>');

    // Three an hour per visitor (the first counted), then a clear 429.
    expect((await ask(served.visitor.token, 'me@example.com')).status).toBe(202);
    expect((await ask(served.visitor.token, 'other@example.com')).status).toBe(202);
    const fourth = await ask(served.visitor.token, 'third@example.com');
    expect(fourth.status).toBe(429);
    expect(errorOf(fourth).code).toBe('TOO_MANY_TRANSCRIPTS');
    expect(Number(fourth.headers['retry-after'])).toBeGreaterThan(3000);
    // And per address, whoever asks.
    const again = await world.servedConversation();
    await world.request('POST', `/api/v1/conversations/${again.id}/end`, {
      token: again.agent.token,
    });
    const againPath = `/api/v1/visitor/conversations/${again.id}/transcript`;
    // me@example.com has had two: one more, in any case, then no more.
    expect((await ask(again.visitor.token, 'ME@example.com', {}, againPath)).status).toBe(202);
    const sameAddress = await ask(again.visitor.token, 'me@example.com', {}, againPath);
    expect(errorOf(sameAddress).code).toBe('TOO_MANY_TRANSCRIPTS');
    // Chinese, when asked.
    expect(
      (await ask(again.visitor.token, 'zh@example.com', { locale: 'zh-CN' }, againPath)).status,
    ).toBe(202);
    await world.app.app.jobs.runNow('outbox');
    const mails = await smtp.waitForMails(5);
    const chinese = mails.find((m) => m.to[0] === 'zh@example.com');
    expect(chinese!.subject).toContain('会话记录');
    expect(chinese!.text).toContain('您 · ');
    offset += 3_600_000;
    expect((await ask(served.visitor.token, 'third@example.com')).status).toBe(202);
  });
});

describe('without SMTP', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld({}, { now });
  });
  afterAll(() => world.close());

  it('attempts no mail, says so to agents and the visitor page, and refuses transcripts', async () => {
    const session = bodyOf(
      await world.request('POST', '/api/v1/visitor/session', {
        body: { channelId: world.app.channelId },
      }),
      SessionAnswer,
    );
    expect(session.channel.mail).toBe(false);
    const { conversationId, visitor } = await leftMessage(world);
    const conversation = await world.conversation(conversationId);
    expect(conversation.leftMessage).toMatchObject({
      email: 'li.lei@example.com',
      emailReplies: false,
    });
    const agent = await world.soleAgent();
    const agentSocket = await world.connect(agent.token);
    await world.reply(agentSocket, conversationId, 'Hello!');
    offset += 120_000;
    await world.app.app.jobs.runNow('outbox');
    expect(await outboxRows(world)).toEqual([]);
    await world.request('POST', `/api/v1/conversations/${conversationId}/end`, {
      token: agent.token,
    });
    const visitorToken = visitor.token;
    const refused = await world.request(
      'POST',
      `/api/v1/visitor/conversations/${conversationId}/transcript`,
      { token: visitorToken, body: { email: 'a@example.com' } },
    );
    expect(refused.status).toBe(409);
    expect(errorOf(refused).code).toBe('MAIL_NOT_CONFIGURED');
  });
});
