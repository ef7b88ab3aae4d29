import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, FrameLocator, Page } from 'playwright-core';
import { checkScreen, desk, launchBrowser, phone } from './support/browser.js';
import { startHostSite } from './support/hostSite.js';
import { rest, startE2eServer, type E2eServer } from './support/server.js';

/**
 * The robot before the first message: with nobody online and the robot taking new
 * conversations, the visitor page opens on the robot's greeting with its suggested questions
 * (not on "nobody is here, leave a message"), in the page's language; a suggestion tapped is
 * answered from its entry, and the greeting stored as the conversation starts takes the place of
 * the page's own without two greetings or none in between. With the robot off, the page is as
 * it was. With SCREENSHOTS=1 every screen is saved under e2e/screenshots/.
 */

const phoneContext = { viewport: phone, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

const greetingZh = '您好！我可以马上回答常见问题，也可以帮您转人工。';
const greetingEn = 'Hi! I can answer common questions right away, or get you a person.';

describe('the robot greeting before the first message', () => {
  let server: E2eServer;
  let browser: Browser;
  let channelId: string;
  let admin: string;
  const contexts: BrowserContext[] = [];
  const context = async (options: Parameters<Browser['newContext']>[0]) => {
    const made = await browser.newContext(options);
    contexts.push(made);
    return made;
  };

  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer(), launchBrowser()]);
    channelId = await server.channelId();
    admin = await server.adminToken();
    // No name: the page names it (智能助手 / Assistant). Nobody is online.
    await rest(server, 'PATCH', `/api/v1/channels/${channelId}`, admin, {
      robot: { mode: 'first', name: '', greeting: { 'zh-CN': greetingZh, en: greetingEn } },
    });
    const entries = [
      {
        questions: ['运费是多少？', 'How much is shipping?'],
        answer: '订单满 99 元包邮，不满 99 元收 8 元运费。',
      },
      {
        questions: ['多久发货？', 'When will my order ship?'],
        answer: '付款后 48 小时内发货，节假日顺延。',
      },
      {
        questions: ['怎么退货？', 'How do I return an item?'],
        answer: '收到商品 7 天内可以申请退货：打开订单，点“申请售后”。',
      },
      // A fourth: only three are suggested.
      { questions: ['退款多久到账？', 'When do I get my refund?'], answer: '3 个工作日内退回。' },
    ];
    for (const entry of entries) {
      await rest(server, 'POST', `/api/v1/channels/${channelId}/faq`, admin, entry);
    }
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
  });

  type Where = Page | FrameLocator;
  const greetings = (where: Where) =>
    where.locator('[data-testid=robot-message][data-reply=greeting]');
  const suggestions = (where: Where) => greetings(where).getByTestId('robot-choice');
  const chipTexts = async (where: Where) =>
    (await suggestions(where).allTextContents()).map((t) => t.trim());

  /**
   * Counts the greetings on the page after every change from now on: the page's own giving way
   * to the stored one must never show two, nor none for a moment.
   */
  async function watchGreetings(page: Page) {
    await page.evaluate(() => {
      const g = globalThis as any;
      const count = () =>
        g.document.querySelectorAll('[data-testid=robot-message][data-reply=greeting]').length;
      g.greetingCounts = [count()];
      new g.MutationObserver(() => {
        const now = count();
        if (now !== g.greetingCounts[g.greetingCounts.length - 1]) g.greetingCounts.push(now);
      }).observe(g.document.body, { childList: true, subtree: true });
    });
  }
  const greetingCounts = (page: Page) =>
    page.evaluate(() => (globalThis as any).greetingCounts as number[]);

  /** The page is no wider than the screen. */
  const overflowsSideways = (page: Page) =>
    page.evaluate(() => {
      const g = globalThis as any;
      return g.document.documentElement.scrollWidth > g.innerWidth + 1;
    });

  it('greets with suggestions before the visitor writes, answers the one tapped, and keeps one greeting (also after a reload)', async () => {
    const page = await (await context({ ...phoneContext, locale: 'zh-CN' })).newPage();
    await page.goto(`${server.url}/chat/?channel=${channelId}`);
    const greeting = greetings(page);
    await greeting.waitFor();
    expect(await greeting.count()).toBe(1);
    expect(await greeting.getAttribute('data-local')).toBe('true');
    expect(await greeting.locator('.bubble').textContent()).toBe(greetingZh);
    expect(await greeting.locator('.name').textContent()).toContain('智能助手');
    expect(await chipTexts(page)).toEqual(['运费是多少？', '多久发货？', '怎么退货？']);
    // The robot answers: no "nobody online, leave a message", no form, the composer is there.
    expect(await page.getByTestId('empty').count()).toBe(0);
    expect(await page.getByTestId('leave-message-offer').count()).toBe(0);
    await page.getByRole('textbox').waitFor();
    const title = page.getByTestId('chat-title');
    expect(await title.textContent()).toBe('智能助手');
    expect(await title.getAttribute('data-robot')).toBe('true');
    expect(await page.getByTestId('chat-subtitle').textContent()).toContain('自动回复');
    expect(await page.getByTestId('handoff').textContent()).toContain('转人工');
    expect(await overflowsSideways(page)).toBe(false);
    await checkScreen(page, 'robot-first-greeting-zh-390x844');

    // A suggestion tapped: the question as the visitor's message, the entry's answer.
    const before = await greeting.boundingBox();
    await watchGreetings(page);
    await suggestions(page).filter({ hasText: '运费是多少？' }).click();
    await page.getByTestId('my-message').filter({ hasText: '运费是多少？' }).waitFor();
    const answer = page
      .locator('[data-testid=robot-message][data-reply=answer]')
      .filter({ hasText: '满 99 元包邮' });
    await answer.waitFor();
    // One greeting all along: the stored one took the page's place.
    expect(await greetingCounts(page)).toEqual([1]);
    expect(await greeting.count()).toBe(1);
    expect(await greeting.getAttribute('data-local')).toBeNull();
    expect(await greeting.locator('.bubble').textContent()).toBe(greetingZh);
    // Where the page's own was (with the same time over it): nothing moved.
    expect((await greeting.boundingBox())?.y).toBe(before?.y);
    // Answered: the greeting's chips are gone; the robot still holds the conversation.
    expect(await page.getByTestId('robot-choice').count()).toBe(0);
    expect(await page.getByTestId('handoff').count()).toBe(1);
    await checkScreen(page, 'robot-first-answered-zh-390x844');

    // In the order written: the greeting, the question, the answer.
    const order = await page
      .locator('[data-testid=robot-message], [data-testid=my-message]')
      .evaluateAll((els: any[]) =>
        els.map((el) => `${el.dataset.testid}:${el.dataset.reply ?? ''}`),
      );
    expect(order).toEqual(['robot-message:greeting', 'my-message:', 'robot-message:answer']);

    await page.reload();
    await answer.waitFor();
    expect(await greeting.count()).toBe(1);
    expect(await greeting.getAttribute('data-local')).toBeNull();
  });

  it('in English: English greeting and suggestions, the default name in English, and a language switch before writing', async () => {
    const page = await (await context({ ...phoneContext, locale: 'en-US' })).newPage();
    await page.goto(`${server.url}/chat/?channel=${channelId}`);
    const greeting = greetings(page);
    await greeting.waitFor();
    expect(await greeting.locator('.bubble').textContent()).toBe(greetingEn);
    expect(await greeting.locator('.name').textContent()).toContain('Assistant');
    expect(await chipTexts(page)).toEqual([
      'How much is shipping?',
      'When will my order ship?',
      'How do I return an item?',
    ]);
    expect(await page.getByTestId('chat-subtitle').textContent()).toContain('Automated');
    expect(await page.getByTestId('handoff').textContent()).toContain('Talk to a person');
    expect(await overflowsSideways(page)).toBe(false);
    await checkScreen(page, 'robot-first-greeting-en-390x844');

    await watchGreetings(page);
    await suggestions(page).filter({ hasText: 'When will my order ship?' }).click();
    await page
      .locator('[data-testid=robot-message][data-reply=answer]')
      .filter({ hasText: '48 小时内发货' })
      .waitFor();
    expect(await greetingCounts(page)).toEqual([1]);
    // Stored as the page showed it: in English (the page reported the language it reads).
    expect(await greeting.locator('.bubble').textContent()).toBe(greetingEn);
    await checkScreen(page, 'robot-first-answered-en-390x844');

    // A Chinese browser that switches the page to English before writing: the suggestions
    // follow, and the greeting stored is the English one.
    const switched = await (await context({ ...phoneContext, locale: 'zh-CN' })).newPage();
    await switched.goto(`${server.url}/chat/?channel=${channelId}`);
    await greetings(switched).waitFor();
    expect(await chipTexts(switched)).toContain('多久发货？');
    await switched.getByTestId('language').click();
    await switched.locator('[data-testid=language-option][data-locale="en"]').click();
    await expect.poll(() => chipTexts(switched)).toContain('When will my order ship?');
    expect(await greetings(switched).locator('.bubble').textContent()).toBe(greetingEn);
    await switched.getByRole('textbox').fill('How much is shipping?');
    await switched.getByTestId('send').click();
    await switched.locator('[data-testid=robot-message][data-reply=answer]').waitFor();
    expect(await greetings(switched).count()).toBe(1);
    expect(await greetings(switched).getAttribute('data-local')).toBeNull();
    expect(await greetings(switched).locator('.bubble').textContent()).toBe(greetingEn);
  });

  it('"转人工" before the first message starts the conversation and hands it over at once', async () => {
    const page = await (await context({ ...phoneContext, locale: 'zh-CN' })).newPage();
    await page.goto(`${server.url}/chat/?channel=${channelId}`);
    await greetings(page).waitFor();
    await watchGreetings(page);
    await page.getByTestId('handoff').click();
    await page.getByTestId('my-message').filter({ hasText: '转人工' }).waitFor();
    await page.locator('[data-testid=system-message][data-kind=handedOff]').waitFor();
    expect(await greetingCounts(page)).toEqual([1]);
    // Nobody is online: the visitor waits in the queue and is told so; the robot has stepped
    // back (no button, no chips, no robot in the header).
    const subtitle = page.getByTestId('chat-subtitle');
    await expect.poll(() => subtitle.getAttribute('data-reason')).toBe('nobodyOnline');
    expect(await page.getByTestId('robot-bar').count()).toBe(0);
    expect(await page.getByTestId('robot-choice').count()).toBe(0);
    expect(await page.getByTestId('chat-title').getAttribute('data-robot')).toBeNull();
    await checkScreen(page, 'robot-first-handed-off-zh-390x844');
  });

  it('inside a website on a laptop: the greeting and suggestions, then the answer', async () => {
    const site = await startHostSite(server.url, channelId, { title: 'Tea support' });
    try {
      await rest(server, 'PATCH', `/api/v1/channels/${channelId}`, admin, {
        allowedOrigins: [site.origin],
      });
      const page = await (await context({ viewport: desk, locale: 'en-US' })).newPage();
      await page.goto(`${site.origin}/`);
      await page.locator('[data-servicesystem=bubble]').click();
      const frame = page.frameLocator('iframe[title="Tea support"]');
      await greetings(frame).waitFor();
      expect(await chipTexts(frame)).toHaveLength(3);
      expect(await frame.getByTestId('leave-message-offer').count()).toBe(0);
      await checkScreen(page, 'robot-first-greeting-embedded-en-1280x720');
      await suggestions(frame).filter({ hasText: 'How do I return an item?' }).click();
      await frame
        .locator('[data-testid=robot-message][data-reply=answer]')
        .filter({ hasText: '申请售后' })
        .waitFor();
      expect(await greetings(frame).count()).toBe(1);
      await checkScreen(page, 'robot-first-answered-embedded-en-1280x720');
    } finally {
      await site.close();
    }
  });

  it('greets again below a conversation that ended, for the next one', async () => {
    const page = await (await context({ ...phoneContext, locale: 'zh-CN' })).newPage();
    await page.goto(`${server.url}/chat/?channel=${channelId}`);
    await suggestions(page).filter({ hasText: '多久发货？' }).click();
    await page
      .locator('[data-testid=robot-message][data-reply=answer]')
      .filter({ hasText: '48 小时内发货' })
      .waitFor();
    // An administrator ends it.
    const token = await page.evaluate(
      (key) => (globalThis as any).localStorage.getItem(key) as string,
      `servicesystem.visitor.${channelId}`,
    );
    const listed = await fetch(`${server.url}/api/v1/visitor/conversations`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const [conversation] = ((await listed.json()) as { conversations: { id: string }[] })
      .conversations;
    const socket = io(server.url, { auth: { token: admin }, transports: ['websocket'] });
    try {
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      const ended = await socket.emitWithAck('conversation.end', {
        conversationId: conversation!.id,
      });
      expect(ended.ok).toBe(true);
    } finally {
      socket.close();
    }
    // Below the end: the robot's greeting for the next conversation, with its suggestions.
    const next = page.locator('[data-testid=robot-message][data-local=true]');
    await next.waitFor();
    expect(await greetings(page).count()).toBe(2);
    expect(await next.getByTestId('robot-choice').count()).toBe(3);
    expect(await page.getByTestId('chat-title').getAttribute('data-robot')).toBe('true');
    await checkScreen(page, 'robot-first-after-end-zh-390x844');

    await watchGreetings(page);
    await next.getByTestId('robot-choice').filter({ hasText: '怎么退货？' }).click();
    await page
      .locator('[data-testid=robot-message][data-reply=answer]')
      .filter({ hasText: '申请售后' })
      .waitFor();
    expect(await greetingCounts(page)).toEqual([2]);
    expect(await next.count()).toBe(0);
  });

  it('outside business hours, with the robot for those hours: its greeting instead of "we are closed"', async () => {
    await rest(server, 'PATCH', `/api/v1/channels/${channelId}`, admin, {
      businessHours: { timezone: 'UTC', weekly: {} },
      robot: { mode: 'offHours' },
    });
    try {
      const page = await (await context({ ...phoneContext, locale: 'zh-CN' })).newPage();
      await page.goto(`${server.url}/chat/?channel=${channelId}&locale=en`);
      await greetings(page).waitFor();
      expect(await greetings(page).locator('.bubble').textContent()).toBe(greetingEn);
      expect(await chipTexts(page)).toContain('How much is shipping?');
      expect(await page.getByTestId('empty').count()).toBe(0);
      expect(await page.getByTestId('leave-message-offer').count()).toBe(0);
      expect(await page.getByTestId('chat-subtitle').textContent()).toContain('Automated');
    } finally {
      await rest(server, 'PATCH', `/api/v1/channels/${channelId}`, admin, {
        businessHours: null,
        robot: { mode: 'first' },
      });
    }
  });

  it('a greeting left without words: the suggestions alone, before and after the conversation starts', async () => {
    await rest(server, 'PATCH', `/api/v1/channels/${channelId}`, admin, {
      robot: { greeting: { 'zh-CN': '', en: '' } },
    });
    try {
      const page = await (await context({ ...phoneContext, locale: 'zh-CN' })).newPage();
      await page.goto(`${server.url}/chat/?channel=${channelId}`);
      await greetings(page).waitFor();
      expect(await chipTexts(page)).toHaveLength(3);
      expect(await greetings(page).locator('.line > *').count()).toBe(0);
      await checkScreen(page, 'robot-first-suggestions-only-zh-390x844');
      await suggestions(page).filter({ hasText: '运费是多少？' }).click();
      await page.locator('[data-testid=robot-message][data-reply=answer]').waitFor();
      expect(await greetings(page).count()).toBe(1);
      expect(await greetings(page).getAttribute('data-local')).toBeNull();
      expect(await greetings(page).locator('.line > *').count()).toBe(0);
    } finally {
      await rest(server, 'PATCH', `/api/v1/channels/${channelId}`, admin, {
        robot: { greeting: { 'zh-CN': greetingZh, en: greetingEn } },
      });
    }
  });

  it('with the robot off, nobody online: the page says so and offers the form, as before', async () => {
    await rest(server, 'PATCH', `/api/v1/channels/${channelId}`, admin, {
      robot: { mode: 'off' },
    });
    try {
      const page = await (await context({ ...phoneContext, locale: 'zh-CN' })).newPage();
      await page.goto(`${server.url}/chat/?channel=${channelId}`);
      await page.getByTestId('leave-message-offer').waitFor();
      expect(await page.getByTestId('empty').getAttribute('data-state')).toBe('nobodyOnline');
      expect(await greetings(page).count()).toBe(0);
      expect(await page.getByTestId('robot-bar').count()).toBe(0);
      expect(await page.getByTestId('chat-title').getAttribute('data-robot')).toBeNull();
    } finally {
      await rest(server, 'PATCH', `/api/v1/channels/${channelId}`, admin, {
        robot: { mode: 'first' },
      });
    }
  });
});
