import sharp from 'sharp';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { checkScreen, desk, launchBrowser, phone } from './support/browser.js';
import { startHostSite } from './support/hostSite.js';
import { rest, startE2eServer, type E2eServer } from './support/server.js';

/**
 * The robot first line as a visitor meets it: the greeting with suggested questions, answers in
 * Chinese (one with a link and a picture), "did you mean" choices tapped, and "转人工 / Talk to a
 * person" handing over to an agent, after which the robot is quiet and the composer goes on.
 * With SCREENSHOTS=1 every screen is saved under e2e/screenshots/ (phone and laptop sizes).
 */

const phoneContext = { viewport: phone, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

const returnsAnswer =
  '收到商品 7 天内可以申请退货：打开订单，点“申请售后”。详见 https://example.com/returns';

describe('the robot first line on the visitor page', () => {
  let server: E2eServer;
  let browser: Browser;
  let channelId: string;
  let admin: string;
  let agent: Socket;
  const contexts: BrowserContext[] = [];
  const context = async (options: Parameters<Browser['newContext']>[0]) => {
    const made = await browser.newContext(options);
    contexts.push(made);
    return made;
  };

  /** An image the admin uploads (an FAQ answer's picture, the robot's avatar). */
  async function uploadPicture(size = { width: 480, height: 300 }): Promise<string> {
    const png = await sharp({
      create: { ...size, channels: 3, background: '#f0a35e' },
    })
      .composite([
        {
          input: Buffer.from(
            size.width !== 480
              ? `<svg width="${size.width}" height="${size.height}"><circle cx="50%" cy="50%" r="30%" fill="#fff"/></svg>`
              : '<svg width="480" height="300"><rect x="40" y="60" width="400" height="180" rx="16" fill="#fff"/><text x="240" y="165" font-size="40" text-anchor="middle" fill="#333">Returns</text></svg>',
          ),
        },
      ])
      .png()
      .toBuffer();
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(png)]), 'returns.png');
    const uploaded = await fetch(`${server.url}/api/v1/uploads`, {
      method: 'POST',
      body: form,
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(uploaded.status).toBe(201);
    return ((await uploaded.json()) as { file: { id: string } }).file.id;
  }

  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer(), launchBrowser()]);
    channelId = await server.channelId();
    admin = await server.adminToken();
    await rest(server, 'PATCH', `/api/v1/channels/${channelId}`, admin, {
      robot: {
        mode: 'first',
        name: '小智',
        greeting: {
          'zh-CN': '您好，我是小智，常见问题我可以马上回答。',
          en: 'Hi, I am Xiaozhi. I can answer common questions right away.',
        },
      },
    });
    const imageFileId = await uploadPicture();
    const entries = [
      {
        questions: ['怎么退货？', '如何申请退货', 'How do I return an item?'],
        answer: returnsAnswer,
        imageFileId,
      },
      {
        questions: ['运费是多少？', '邮费怎么算', 'How much is shipping?'],
        answer: '订单满 99 元包邮，不满 99 元收 8 元运费。',
      },
      {
        questions: ['多久发货？', '什么时候发货', 'When will my order ship?'],
        answer: '付款后 48 小时内发货，节假日顺延。',
      },
      {
        questions: ['退货的运费谁出？', 'Who pays for return shipping?'],
        answer: '质量问题的退货运费由我们承担，其他情况由您承担。',
      },
      {
        questions: ['退款多久到账？', 'When do I get my refund?'],
        answer: '退款在我们收到退货后 3 个工作日内原路退回。',
      },
    ];
    for (const entry of entries) {
      await rest(server, 'POST', `/api/v1/channels/${channelId}/faq`, admin, entry);
    }
    // An agent online, for the handoff to reach.
    await rest(server, 'POST', '/api/v1/agents', admin, {
      username: 'lin',
      displayName: 'Lin Wei',
      password: 'lin-password-1',
    });
    const token = await server.login('lin', 'lin-password-1');
    agent = io(server.url, { auth: { token }, transports: ['websocket'] });
    await new Promise<void>((resolve) => agent.once('connect', () => resolve()));
    const status = await agent.emitWithAck('agent.status.set', { status: 'online' });
    expect(status.ok).toBe(true);
  });
  afterAll(async () => {
    agent?.close();
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
  });

  const robotMessages = (page: Page) => page.getByTestId('robot-message');

  async function write(page: Page, text: string) {
    await page.getByRole('textbox').fill(text);
    await page.getByTestId('send').click();
  }

  /** The page is no wider than the screen (chips wrap, links break). */
  const overflowsSideways = (page: Page) =>
    page.evaluate(() => {
      const g = globalThis as any;
      return g.document.documentElement.scrollWidth > g.innerWidth + 1;
    });

  it('greets, offers "did you mean", answers in Chinese with a link and a picture, and hands over to a person', async () => {
    const page = await (await context({ ...phoneContext, locale: 'zh-CN' })).newPage();
    await page.goto(`${server.url}/chat/?channel=${channelId}`);
    await page.getByRole('textbox').waitFor();

    // Something vague as the first message: the robot's greeting (written as the conversation
    // starts, before the message), then "did you mean", three choices at most, as chips under
    // that latest message only.
    await write(page, '退');
    const greeting = page.locator('[data-testid=robot-message][data-reply=greeting]');
    await greeting.waitFor();
    expect(await greeting.textContent()).toContain('您好，我是小智');
    expect(await greeting.locator('.name').textContent()).toContain('小智');
    expect(await greeting.locator('.name').textContent()).toContain('自动回复');
    const didYouMean = page.locator('[data-testid=robot-message][data-reply=choices]');
    await didYouMean.waitFor();
    // In the reader's words, not the stored body (the choices in a line, for mail).
    expect(await didYouMean.locator('.bubble').textContent()).toBe('您是想问以下哪个问题？');
    const choices = didYouMean.getByTestId('robot-choice');
    expect(await choices.count()).toBeGreaterThan(1);
    expect(await choices.count()).toBeLessThanOrEqual(3);
    expect((await choices.allTextContents()).map((t) => t.trim())).toContain('怎么退货？');
    expect(await greeting.getByTestId('robot-choice').count()).toBe(0);
    const title = page.getByTestId('chat-title');
    expect(await title.textContent()).toBe('小智');
    expect(await title.getAttribute('data-robot')).toBe('true');
    expect(await page.getByTestId('chat-subtitle').textContent()).toContain('自动回复');
    const handoff = page.getByTestId('handoff');
    expect(await handoff.textContent()).toContain('转人工');
    // Nobody reads yet: no read or unread mark under the visitor's message.
    expect(await page.getByTestId('message-status').count()).toBe(0);
    expect(await overflowsSideways(page)).toBe(false);
    await checkScreen(page, 'robot-greeting-zh-390x844');

    // A choice tapped asks it: the visitor's message reads as the question, the answer follows
    // with its link (safe) and its picture, and the chips are gone.
    await choices.filter({ hasText: '怎么退货？' }).click();
    await page.getByTestId('my-message').filter({ hasText: '怎么退货？' }).waitFor();
    const answer = page
      .locator('[data-testid=robot-message][data-reply=answer]')
      .filter({ hasText: '申请售后' });
    await answer.waitFor();
    expect(await page.getByTestId('robot-choice').count()).toBe(0);
    // What was offered stays, greyed, as a record.
    expect(await didYouMean.getByTestId('robot-choices-past').locator('li').count()).toBe(3);
    const link = answer.getByRole('link', { name: 'https://example.com/returns' });
    expect(await link.getAttribute('href')).toBe('https://example.com/returns');
    expect(await link.getAttribute('rel')).toBe('noopener noreferrer');
    const picture = answer.getByTestId('robot-image');
    await expect
      .poll(() => picture.locator('img').evaluate((img: any) => img.complete && img.naturalWidth))
      .toBeGreaterThan(0);
    expect(await overflowsSideways(page)).toBe(false);
    await checkScreen(page, 'robot-answer-image-zh-390x844');

    // A question in Chinese, in other words than the entry's.
    await write(page, '运费多少？');
    await page
      .locator('[data-testid=robot-message][data-reply=answer]')
      .filter({ hasText: '满 99 元包邮' })
      .waitFor();

    // Vague again: "did you mean", and the pick answered.
    await write(page, '多久');
    const second = page.locator('[data-testid=robot-message][data-reply=choices]').nth(1);
    await second.waitFor();
    expect(
      (await second.getByTestId('robot-choice').allTextContents()).map((t) => t.trim()),
    ).toContain('多久发货？');
    await checkScreen(page, 'robot-did-you-mean-zh-390x844');
    await second.getByTestId('robot-choice').filter({ hasText: '多久发货？' }).click();
    await page
      .locator('[data-testid=robot-message][data-reply=answer]')
      .filter({ hasText: '48 小时内发货' })
      .waitFor();

    // 转人工: the handoff notice, then the agent; the robot's button and chips go, and the
    // robot says nothing more.
    await handoff.click();
    await page.getByTestId('my-message').filter({ hasText: '转人工' }).waitFor();
    const handedOff = page.locator('[data-testid=system-message][data-kind=handedOff]');
    await handedOff.waitFor();
    expect(await handedOff.textContent()).toContain('正在为您转接人工客服');
    await page.locator('[data-testid=system-message][data-kind=assigned]').waitFor();
    await expect.poll(() => title.textContent()).toBe('Lin Wei');
    expect(await title.getAttribute('data-robot')).toBeNull();
    expect(await page.getByTestId('robot-bar').count()).toBe(0);
    expect(await page.getByTestId('robot-choice').count()).toBe(0);
    await checkScreen(page, 'robot-handed-off-zh-390x844');

    // The composer goes on, to the agent now; the robot stays quiet.
    const robotCount = await robotMessages(page).count();
    const seen = new Promise<any>((resolve) =>
      agent.on('message.created', (p: any) => p.message.body === '运费是多少？' && resolve(p)),
    );
    await write(page, '运费是多少？');
    const atAgent = await seen;
    expect(atAgent.message.sender.type).toBe('visitor');
    const reply = await agent.emitWithAck('message.send', {
      conversationId: atAgent.message.conversationId,
      clientMsgId: `a${Date.now()}`,
      type: 'text',
      body: '您好，我是 Lin，满 99 元包邮。',
    });
    expect(reply.ok).toBe(true);
    await page.getByTestId('their-message').filter({ hasText: '我是 Lin' }).waitFor();
    expect(await robotMessages(page).count()).toBe(robotCount);
    await expect.poll(() => page.getByTestId('message-status').count()).toBeGreaterThan(0);
  });

  it('in English, inside a website, on a laptop and a phone', async () => {
    const site = await startHostSite(server.url, channelId, { title: 'Tea support' });
    try {
      // The robot gets a picture of its own.
      const avatarFileId = await uploadPicture({ width: 160, height: 160 });
      await rest(server, 'PATCH', `/api/v1/channels/${channelId}`, admin, {
        allowedOrigins: [site.origin],
        robot: { avatarFileId },
      });
      const page = await (await context({ viewport: desk, locale: 'en-US' })).newPage();
      await page.goto(`${site.origin}/`);
      await page.waitForFunction(() => 'ServiceSystem' in globalThis);
      // The website hears the robot's messages as it hears the agents'.
      await page.evaluate(() => {
        const w = globalThis as any;
        w.heard = [];
        w.ServiceSystem.on('message', (m: unknown) => w.heard.push(m));
      });
      await page.locator('[data-servicesystem=bubble]').click();
      const frame = page.frameLocator('iframe[title="Tea support"]');
      await frame.getByRole('textbox').waitFor();
      await frame.getByRole('textbox').fill('How do I return an item?');
      await frame.getByTestId('send').click();
      await frame.locator('[data-testid=robot-message][data-reply=answer]').waitFor();
      expect(await frame.getByTestId('chat-title').textContent()).toBe('小智');
      const avatars = frame.locator('.avatar img');
      expect(await avatars.count()).toBeGreaterThan(1);
      for (const src of await avatars.evaluateAll((els: any[]) => els.map((el) => el.src))) {
        expect(src).toContain('/api/v1/files/');
      }
      expect(await frame.getByTestId('chat-subtitle').textContent()).toContain('Automated');
      expect(await frame.getByTestId('handoff').textContent()).toContain('Talk to a person');
      await expect
        .poll(() => page.evaluate(() => (globalThis as any).heard.length))
        .toBeGreaterThan(0);
      const heard = await page.evaluate(() => (globalThis as any).heard[0]);
      expect(heard).toMatchObject({ type: 'robot', senderName: '小智' });
      await checkScreen(page, 'robot-embedded-en-1280x720');

      // The standalone page on a phone, in English: did-you-mean and the handoff.
      const phonePage = await (await context({ ...phoneContext, locale: 'en-US' })).newPage();
      await phonePage.goto(`${server.url}/chat/?channel=${channelId}`);
      await write(phonePage, 'shipping');
      await phonePage.locator('[data-testid=robot-message][data-reply=greeting]').waitFor();
      await phonePage.locator('[data-testid=robot-message][data-reply=choices]').waitFor();
      expect(await phonePage.getByTestId('robot-choice').count()).toBe(3);
      expect(
        await phonePage
          .locator('[data-testid=robot-message][data-reply=choices] .bubble')
          .textContent(),
      ).toBe('Did you mean one of these?');
      expect(await overflowsSideways(phonePage)).toBe(false);
      await checkScreen(phonePage, 'robot-did-you-mean-en-390x844');
      // Asking in words hands over as the button does.
      await write(phonePage, 'Can I talk to a person please?');
      await phonePage.locator('[data-testid=system-message][data-kind=handedOff]').waitFor();
      await phonePage.locator('[data-testid=system-message][data-kind=assigned]').waitFor();
      expect(await phonePage.getByTestId('robot-bar').count()).toBe(0);
      await checkScreen(phonePage, 'robot-handed-off-en-390x844');
      await phonePage.setViewportSize(desk);
      await checkScreen(phonePage, 'robot-handed-off-en-1280x720');
    } finally {
      await site.close();
    }
  });
});
