import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import {
  checkBothSizes,
  checkScreen,
  desk,
  launchBrowser,
  openSettingsPage,
  phone,
  signIn,
} from './support/browser.js';
import { e2eAdmin, rest, startE2eServer, type E2eServer } from './support/server.js';
import { startFakeModel, type FakeModel } from '../apps/server/test/support/fakeModel.js';

/**
 * The robot first line in the console, against the real server (no language model): an admin
 * sets the channel's robot up on the Robot page (mode, an entry with two phrasings, a refused
 * duplicate phrasing, Try it, reordering, switching an entry off, deleting one), lets the robot
 * answer with a shared saved reply, then watches a conversation the robot holds (its bubble,
 * the "With robot" badge, the state filter) and, once the visitor asks for a person, the agent
 * who gets it asks for a suggested reply: the best FAQ answer lands in the composer, unsent.
 * With SCREENSHOTS=1 the page, the entry dialog and the chat pane are saved at 1280 × 720 and
 * 390 × 844.
 */

/** No animation running (dialogs and messages that fade in are done). */
async function settled(page: Page) {
  await page.waitForFunction(() =>
    (globalThis as any).document
      .getAnimations()
      .every((a: { playState: string }) => a.playState !== 'running'),
  );
}

const refundAnswer = 'Open My orders and choose Refund: https://shop.example.com/refund';

describe('the robot in the console', () => {
  let server: E2eServer;
  let browser: Browser;
  let channelId: string;
  let adminToken: string;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer(), launchBrowser()]);
    channelId = await server.channelId();
    adminToken = await server.adminToken();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  const faq = async () =>
    (await rest(server, 'GET', `/api/v1/channels/${channelId}/faq`, adminToken)).entries as {
      id: string;
      questions: string[];
      answer: string;
      enabled: boolean;
      position: number;
    }[];

  it('an admin sets up the robot: its mode, entries with phrasings, Try it, order and delete', async () => {
    const context = await browser.newContext({ viewport: desk, locale: 'en-US' });
    const page = await context.newPage();
    await signIn(page, server.url, e2eAdmin.username, e2eAdmin.password);
    await page.locator('[data-test=nav-settings]').waitFor();
    await openSettingsPage(page, 'Robot');
    await page.getByRole('heading', { name: 'Robot', level: 1 }).waitFor();

    // Nothing known yet: the page says what to do first. No model is configured: a note says
    // one is optional instead of an instruction field.
    await page.locator('[data-test=faq-empty]').waitFor();
    await page.locator('[data-test=robot-no-model]').waitFor();
    expect(await page.locator('[data-test=robot-instruction]').count()).toBe(0);
    await settled(page);
    await checkBothSizes(page, 'robot-empty-en', () => settled(page));

    // Robot first, named, with an English greeting.
    await page.locator('[data-test=robot-mode-first]').click();
    await page.locator('[data-test=robot-name]').fill('Ada');
    await page.locator('[data-test=robot-greeting-en]').fill('Hi, I am Ada. Ask me anything.');
    await page.locator('[data-test=robot-save]').click();
    await page.getByText('Saved').first().waitFor();
    const { channels } = await rest(server, 'GET', '/api/v1/channels', adminToken);
    const robot = channels.find((c: { id: string }) => c.id === channelId).robot;
    expect(robot).toMatchObject({ mode: 'first', name: 'Ada' });
    expect(robot.greeting.en).toBe('Hi, I am Ada. Ask me anything.');
    // The channel list says the mode.
    await page.locator('[data-test=robot-channel]', { hasText: 'Robot first' }).waitFor();
    // On with nothing known: the page warns that every visitor goes to people.
    await page.locator('[data-test=robot-on-but-empty]').waitFor();

    // An entry with two phrasings: Enter in a phrasing adds the next row.
    const dialog = page.getByRole('dialog', { name: 'New question' });
    await page.locator('[data-test=faq-create]').click();
    await dialog.waitFor();
    await dialog.locator('[data-test=faq-phrasing]').first().fill('How do I get a refund?');
    await dialog.locator('[data-test=faq-phrasing]').first().press('Enter');
    await dialog.locator('[data-test=faq-phrasing]').nth(1).fill('refund my order');
    await dialog.locator('[data-test=faq-answer]').fill(refundAnswer);
    await page.mouse.move(0, 0);
    await settled(page);
    await checkBothSizes(page, 'robot-entry-dialog-en', () => settled(page));
    await dialog.locator('[data-test=faq-save]').click();
    await dialog.waitFor({ state: 'hidden' });
    await page.locator('[data-test=faq-row]', { hasText: 'How do I get a refund?' }).waitFor();
    await page.locator('[data-test=faq-row]', { hasText: '+1 more' }).waitFor();
    expect(await page.locator('[data-test=robot-on-but-empty]').count()).toBe(0);
    expect(await faq()).toMatchObject([
      { questions: ['How do I get a refund?', 'refund my order'], answer: refundAnswer },
    ]);

    // The same phrasing twice (in other capitals) is refused in the dialog, nothing is sent.
    await page.locator('[data-test=faq-create]').click();
    await dialog.waitFor();
    await dialog.locator('[data-test=faq-phrasing]').first().fill('What does shipping cost?');
    await dialog.locator('[data-test=faq-add-phrasing]').click();
    await dialog.locator('[data-test=faq-phrasing]').nth(1).fill('what does SHIPPING cost?');
    await dialog.locator('[data-test=faq-answer]').fill('Shipping is free from 99 yuan.');
    await dialog.locator('[data-test=faq-save]').click();
    await dialog.getByText('This phrasing is given twice').waitFor();
    expect(await faq()).toHaveLength(1);
    await dialog.locator('[data-test=faq-phrasing]').nth(1).fill('shipping fee');
    await dialog.locator('[data-test=faq-save]').click();
    await dialog.waitFor({ state: 'hidden' });
    await expect.poll(() => page.locator('[data-test=faq-row]').count()).toBe(2);

    // Try it: a visitor's question as written answers with that entry, and the closest
    // entries show with their scores.
    await page.locator('[data-test=robot-try-text]').fill('how do I get a refund');
    await page.locator('[data-test=robot-try-go]').click();
    const result = page.locator('[data-test=robot-try-result]');
    await result.waitFor();
    expect(await result.getAttribute('data-outcome')).toBe('answer');
    await result.getByText(refundAnswer).waitFor();
    const firstMatch = result.locator('[data-test=robot-match]').first();
    expect(await firstMatch.textContent()).toContain('How do I get a refund?');
    expect(await firstMatch.textContent()).toMatch(/\d+%/);

    // Reorder: shipping moves up, as the server now has it.
    const shippingRow = page.locator('[data-test=faq-row]', {
      hasText: 'What does shipping cost?',
    });
    await shippingRow.locator('[data-test=faq-up]').click();
    await expect
      .poll(async () => (await faq()).map((e) => e.questions[0]))
      .toEqual(['What does shipping cost?', 'How do I get a refund?']);
    await expect
      .poll(() => page.locator('[data-test=faq-row]').first().textContent())
      .toContain('What does shipping cost?');
    expect(
      await page.locator('[data-test=faq-row]').first().locator('[data-test=faq-up]').isDisabled(),
    ).toBe(true);

    // Switched off: it stays listed, the robot no longer uses it.
    await shippingRow.locator('[data-test=faq-enabled]').click();
    await expect
      .poll(async () => (await faq()).find((e) => e.questions[0] === 'What does shipping cost?'))
      .toMatchObject({ enabled: false });
    await page.mouse.move(0, 0);
    await page.locator('[data-test=faq]').scrollIntoViewIfNeeded();
    await settled(page);
    await checkBothSizes(page, 'robot-page-en', async () => {
      await page.locator('[data-test=faq]').scrollIntoViewIfNeeded();
      await settled(page);
    });

    // Delete, after a confirm.
    await shippingRow.locator('[data-test=faq-delete]').click();
    await page.locator('.el-message-box').getByRole('button', { name: 'Delete' }).click();
    await shippingRow.waitFor({ state: 'detached' });
    expect((await faq()).map((e) => e.questions[0])).toEqual(['How do I get a refund?']);

    // In Chinese, the page and the try-it box read in Chinese.
    await page.getByRole('button', { name: '中文' }).click();
    await page.getByRole('heading', { name: '机器人', level: 1 }).waitFor();
    await page.locator('[data-test=robot-try-text]').fill('refund my order');
    await page.locator('[data-test=robot-try-go]').click();
    const again = page.locator('[data-test=robot-try-result]', { hasText: 'refund my order' });
    await again.getByText('直接回答').waitFor();
    await page.mouse.move(0, 0);
    await page.locator('[data-test=robot-try]').scrollIntoViewIfNeeded();
    await settled(page);
    await checkBothSizes(page, 'robot-page-zh', async () => {
      await page.locator('[data-test=robot-try]').scrollIntoViewIfNeeded();
      await settled(page);
    });
    await context.close();
  });

  it('an admin lets the robot answer with a shared saved reply', async () => {
    const { savedReply } = await rest(server, 'POST', '/api/v1/saved-replies', adminToken, {
      scope: 'shared',
      shortcut: 'hours',
      title: 'When are you open?',
      text: 'We answer from 9:00 to 18:00, Monday to Friday.',
    });
    expect(savedReply.robotAnswer).toBe(false);
    await rest(server, 'POST', '/api/v1/saved-replies', adminToken, {
      scope: 'personal',
      shortcut: 'mine',
      title: 'Mine',
      text: 'Only mine',
    });
    const context = await browser.newContext({ viewport: desk, locale: 'en-US' });
    const page = await context.newPage();
    await signIn(page, server.url, e2eAdmin.username, e2eAdmin.password);
    await page.locator('[data-test=nav-settings]').waitFor();
    await openSettingsPage(page, 'Saved replies');
    const shared = page.getByTestId('saved-shared');
    const row = shared.getByTestId('saved-row').filter({ hasText: '/hours' });
    await row.waitFor();
    // Personal replies never feed the robot: no switch there.
    expect(await page.getByTestId('saved-personal').getByTestId('saved-robot').count()).toBe(0);
    await row.getByTestId('saved-robot').click();
    await expect
      .poll(async () => {
        const list = await rest(server, 'GET', '/api/v1/saved-replies', adminToken);
        return list.savedReplies.find((r: { id: string }) => r.id === savedReply.id).robotAnswer;
      })
      .toBe(true);
    // The edit dialog shows it too, and keeps it.
    await row.getByRole('button', { name: 'Edit' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit saved reply' });
    await dialog.waitFor();
    expect(
      await dialog.getByRole('switch', { name: 'Robot may answer with this' }).isChecked(),
    ).toBe(true);
    await page.mouse.move(0, 0);
    await settled(page);
    await checkScreen(page, 'robot-saved-reply-dialog-en-1280x720');
    await dialog.getByTestId('saved-save').click();
    await dialog.waitFor({ state: 'hidden' });
    await page.setViewportSize(phone);
    await settled(page);
    await checkScreen(page, 'robot-saved-replies-en-390x844');
    await context.close();
  });

  it('a conversation with the robot: its bubble and badge for an admin, then a suggested reply for the agent', async () => {
    // The channel's robot answers first, from one entry (set up through the API here: the
    // first test covers the page).
    await rest(server, 'PATCH', `/api/v1/channels/${channelId}`, adminToken, {
      robot: { mode: 'first', name: 'Ada', answerEveryMessage: true },
    });
    if ((await faq()).length === 0) {
      await rest(server, 'POST', `/api/v1/channels/${channelId}/faq`, adminToken, {
        questions: ['How do I get a refund?', 'refund my order'],
        answer: refundAnswer,
      });
    }
    await rest(server, 'POST', '/api/v1/agents', adminToken, {
      username: 'mei',
      displayName: 'Mei Chen',
      password: 'mei-password-1',
    });
    const meiToken = await server.login('mei', 'mei-password-1');
    await rest(server, 'PUT', '/api/v1/me/status', meiToken, { status: 'online' });

    // The visitor asks; the robot answers.
    const session = await rest(server, 'POST', '/api/v1/visitor/session', undefined, {
      channelId,
    });
    const visitor: Socket = io(server.url, {
      auth: { token: session.visitorToken },
      transports: ['websocket'],
    });
    const heard: { event: string; payload: any }[] = [];
    visitor.onAny((event: string, payload: unknown) => heard.push({ event, payload }));
    await new Promise<void>((resolve, reject) => {
      visitor.once('connect', resolve);
      visitor.once('connect_error', reject);
    });
    const sent: any = await visitor.emitWithAck('message.send', {
      clientMsgId: `v${Date.now()}`,
      type: 'text',
      body: 'how do I get a refund',
    });
    expect(sent.ok).toBe(true);
    const conversationId = sent.conversation.id as string;
    await expect
      .poll(
        () =>
          heard.some(
            (h) =>
              h.event === 'message.created' &&
              h.payload?.message?.sender?.type === 'robot' &&
              h.payload.message.body.includes('shop.example.com/refund'),
          ),
        { timeout: 10_000 },
      )
      .toBe(true);

    // The admin sees it with the robot: badge in the list, the state filter, the robot's bubble.
    const adminContext = await browser.newContext({ viewport: desk, locale: 'en-US' });
    const admin = await adminContext.newPage();
    await signIn(admin, server.url, e2eAdmin.username, e2eAdmin.password);
    await admin
      .locator('nav')
      .getByRole('link', { name: 'All conversations', exact: true })
      .click();
    await admin.locator('[data-test=monitor-state]').click();
    await admin.getByRole('option', { name: 'With robot' }).click();
    const row = admin.locator('.el-table__row', { hasText: session.visitor.name });
    await row.locator('[data-test=robot-badge]').waitFor();
    await row.click();
    const pane = admin.locator('.el-drawer');
    const bubble = pane.locator('[data-test=robot-message]', {
      hasText: 'shop.example.com/refund',
    });
    await bubble.waitFor();
    expect(await bubble.textContent()).toContain('Ada');
    expect(await bubble.locator('a[href="https://shop.example.com/refund"]').count()).toBe(1);
    await pane.locator('[data-test=robot-badge]').waitFor();
    await admin.mouse.move(0, 0);
    await settled(admin);
    await checkBothSizes(admin, 'robot-chat-admin-en', () => settled(admin));

    // The visitor asks for a person: Mei gets the conversation.
    const handoff: any = await visitor.emitWithAck('message.send', {
      clientMsgId: `h${Date.now()}`,
      type: 'text',
      body: 'Talk to a person',
      choice: 'handoff',
    });
    expect(handoff.ok).toBe(true);
    await expect
      .poll(async () => {
        const { conversation } = await rest(
          server,
          'GET',
          `/api/v1/conversations/${conversationId}`,
          adminToken,
        );
        return [conversation.state, conversation.agent?.displayName, conversation.robot];
      })
      .toEqual([
        'active',
        'Mei Chen',
        expect.objectContaining({ handoffReason: 'requested', handedOffAt: expect.any(Number) }),
      ]);

    const agentContext = await browser.newContext({ viewport: desk, locale: 'en-US' });
    const agent = await agentContext.newPage();
    await signIn(agent, server.url, 'mei', 'mei-password-1');
    await agent.locator('.row', { hasText: session.visitor.name }).click();
    await agent.locator('[data-test=robot-message]', { hasText: 'shop.example.com' }).waitFor();
    // The handover notice in the console's words, and the robot's part in the visitor panel.
    await agent.getByText('Robot handed over: the visitor asked for a person').waitFor();
    await agent
      .locator('[data-test=visitor-robot-reason]', { hasText: 'the visitor asked for a person' })
      .waitFor();

    // Suggest a reply right after the handover: asking for a person is no question, so the
    // draft answers the question before it (a refund).
    const composer = agent.getByTestId('composer');
    await agent.getByTestId('suggest-reply').click();
    await expect.poll(() => composer.inputValue()).toContain(refundAnswer);
    await composer.fill('');
    // Something nothing answers: the console says so and the composer stays empty.
    const unrelated: any = await visitor.emitWithAck('message.send', {
      clientMsgId: `u${Date.now()}`,
      type: 'text',
      body: 'what is quantum physics',
    });
    expect(unrelated.ok).toBe(true);
    await agent.locator('.scroller').getByText('what is quantum physics').waitFor();
    await agent.getByTestId('suggest-reply').click();
    await agent.getByText('Nothing in the knowledge base fits this conversation').waitFor();
    expect(await composer.inputValue()).toBe('');
    // They ask again: the best FAQ answer lands in the composer (Alt+G), and nothing is sent.
    const again: any = await visitor.emitWithAck('message.send', {
      clientMsgId: `a${Date.now()}`,
      type: 'text',
      body: 'refund my order',
    });
    expect(again.ok).toBe(true);
    await agent.locator('.scroller').getByText('refund my order').waitFor();
    await composer.focus();
    await agent.keyboard.press('Alt+g');
    await expect.poll(() => composer.inputValue()).toContain(refundAnswer);
    await agent.mouse.move(0, 0);
    await settled(agent);
    await checkScreen(agent, 'robot-chat-agent-en-1280x720');
    await agent.setViewportSize(phone);
    await settled(agent);
    await checkScreen(agent, 'robot-chat-agent-en-390x844');

    // The agent edits and sends it themself.
    await composer.fill('Sure: ' + refundAnswer);
    await composer.press('Enter');
    await expect
      .poll(() =>
        heard.some(
          (h) =>
            h.event === 'message.created' &&
            h.payload?.message?.sender?.type === 'agent' &&
            h.payload.message.body.startsWith('Sure: '),
        ),
      )
      .toBe(true);
    // The suggestion itself never went out: the agent's only message is the edited one.
    const history: any = await visitor.emitWithAck('messages.list', { conversationId });
    expect(
      (history.messages as { sender: { type: string }; body: string }[])
        .filter((m) => m.sender.type === 'agent')
        .map((m) => m.body),
    ).toEqual(['Sure: ' + refundAnswer]);

    // Once it ends, the reports count the robot's handover and why, beside the other figures.
    await rest(server, 'POST', `/api/v1/conversations/${conversationId}/end`, meiToken, {});
    await admin.keyboard.press('Escape');
    await admin.locator('nav').getByRole('link', { name: 'Reports', exact: true }).click();
    await admin.getByTestId('reports-robot').waitFor();
    await expect.poll(() => admin.getByTestId('reports-robot-handed').textContent()).toBe('1');
    expect(await admin.getByTestId('reports-robot-reasons').textContent()).toMatch(
      /the visitor asked for a person\s*1/i,
    );
    await admin.mouse.move(0, 0);
    await checkBothSizes(admin, 'robot-reports-en', () => settled(admin));

    visitor.close();
    await adminContext.close();
    await agentContext.close();
  });
});

describe('the robot in the console, with a language model', () => {
  let model: FakeModel;
  let server: E2eServer;
  let browser: Browser;
  let channelId: string;
  let adminToken: string;

  beforeAll(async () => {
    model = await startFakeModel();
    [server, browser] = await Promise.all([
      startE2eServer({ LLM_BASE_URL: model.baseUrl, LLM_MODEL: 'fake-model' }),
      launchBrowser(),
    ]);
    channelId = await server.channelId();
    adminToken = await server.adminToken();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await model?.close();
  });

  it('the admin words the instruction and watches an answer being written; the agent meets a model that fails', async () => {
    await rest(server, 'POST', `/api/v1/channels/${channelId}/faq`, adminToken, {
      questions: ['How do I get a refund?'],
      answer: refundAnswer,
    });
    await rest(server, 'POST', '/api/v1/agents', adminToken, {
      username: 'li',
      displayName: 'Li Na',
      password: 'li-password-1',
    });
    await rest(server, 'PUT', '/api/v1/me/status', await server.login('li', 'li-password-1'), {
      status: 'online',
    });

    // With a model the page offers its instruction, naming the model.
    const adminContext = await browser.newContext({ viewport: desk, locale: 'en-US' });
    const admin = await adminContext.newPage();
    await signIn(admin, server.url, e2eAdmin.username, e2eAdmin.password);
    await admin.locator('[data-test=nav-settings]').waitFor();
    await openSettingsPage(admin, 'Robot');
    const instruction = admin.locator('[data-test=robot-instruction]');
    await instruction.waitFor();
    expect(await admin.locator('[data-test=robot-no-model]').count()).toBe(0);
    await admin.getByText('fake-model').waitFor();
    await admin.locator('[data-test=robot-mode-first]').click();
    await instruction.fill('Answer in one sentence. Only talk about orders.');
    await admin.locator('[data-test=robot-save]').click();
    await expect
      .poll(async () => {
        const { channels } = await rest(server, 'GET', '/api/v1/channels', adminToken);
        return channels.find((c: { id: string }) => c.id === channelId).robot;
      })
      .toMatchObject({
        mode: 'first',
        instruction: 'Answer in one sentence. Only talk about orders.',
      });

    // A visitor opens a conversation with the robot; the admin watches it.
    const session = await rest(server, 'POST', '/api/v1/visitor/session', undefined, {
      channelId,
    });
    const visitor: Socket = io(server.url, {
      auth: { token: session.visitorToken },
      transports: ['websocket'],
    });
    await new Promise<void>((resolve, reject) => {
      visitor.once('connect', resolve);
      visitor.once('connect_error', reject);
    });
    model.behave({ kind: 'stream', chunks: ['Hello! '] });
    const first: any = await visitor.emitWithAck('message.send', {
      clientMsgId: `m${Date.now()}`,
      type: 'text',
      body: 'how do I get a refund',
    });
    expect(first.ok).toBe(true);
    const conversationId = first.conversation.id as string;
    await admin
      .locator('nav')
      .getByRole('link', { name: 'All conversations', exact: true })
      .click();
    await admin.locator('[data-test=monitor-state]').click();
    await admin.getByRole('option', { name: 'With robot' }).click();
    await admin.locator('.el-table__row', { hasText: session.visitor.name }).click();
    const pane = admin.locator('.el-drawer');
    await pane.locator('[data-test=robot-message]').first().waitFor();

    // The next answer is written slowly: the console shows it growing, then the stored message
    // takes its place.
    model.behave({
      kind: 'stream',
      chunks: ['Open My orders ', 'and choose Refund; ', 'it reaches your card ', 'in 3 days.'],
      delayMs: 600,
    });
    await visitor.emitWithAck('message.send', {
      clientMsgId: `n${Date.now()}`,
      type: 'text',
      body: 'refund how long',
    });
    const writing = pane.locator('[data-test=robot-writing]');
    await writing.waitFor();
    expect(await writing.textContent()).toContain('The robot is writing');
    await pane
      .locator('[data-test=robot-message]', { hasText: 'it reaches your card in 3 days.' })
      .waitFor();
    await writing.waitFor({ state: 'detached' });

    // The visitor asks for a person; Li gets it. The model now fails: a suggestion says so.
    await visitor.emitWithAck('message.send', {
      clientMsgId: `h${Date.now()}`,
      type: 'text',
      body: 'Talk to a person',
      choice: 'handoff',
    });
    await expect
      .poll(async () => {
        const { conversation } = await rest(
          server,
          'GET',
          `/api/v1/conversations/${conversationId}`,
          adminToken,
        );
        return conversation.agent?.displayName ?? null;
      })
      .toBe('Li Na');
    await visitor.emitWithAck('message.send', {
      clientMsgId: `q${Date.now()}`,
      type: 'text',
      body: 'how do I get a refund',
    });
    const agentContext = await browser.newContext({ viewport: desk, locale: 'zh-CN' });
    const agent = await agentContext.newPage();
    await signIn(agent, server.url, 'li', 'li-password-1');
    await agent.locator('.row', { hasText: session.visitor.name }).click();
    const composer = agent.getByTestId('composer');
    model.behave({ kind: 'status', status: 500, body: 'overloaded' });
    await agent.getByTestId('suggest-reply').click();
    await agent.getByText('语言模型暂时没有响应，请重试或自己撰写回复').waitFor();
    expect(await composer.inputValue()).toBe('');
    // It answers again: its draft lands in the composer, after what Li had typed.
    model.behave({ kind: 'stream', chunks: ['You can ', 'ask for a refund under My orders.'] });
    await composer.fill('您好！');
    await agent.getByTestId('suggest-reply').click();
    await expect
      .poll(() => composer.inputValue())
      .toBe('您好！\nYou can ask for a refund under My orders.');

    visitor.close();
    await adminContext.close();
    await agentContext.close();
  });
});
