import sharp from 'sharp';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, FileChooser, Page } from 'playwright-core';
import { expectAccessible } from './support/accessibility.js';
import { launchBrowser, screenshot } from './support/browser.js';
import { rest, startE2eServer, type E2eServer } from './support/server.js';

/**
 * The visitor page read and used by everyone: an axe-core audit (WCAG 2 A and AA) of each state a
 * visitor meets, in Chinese and in English, on a phone (390 × 844) and a desk (1280 × 720); and the
 * composer used with the keyboard alone. With SCREENSHOTS=1 each audited screen is saved as
 * e2e/screenshots/a11y-visitor-*.png.
 */

const phone = { width: 390, height: 844 };
const desk = { width: 1280, height: 720 };
const sizes = [phone, desk];
type Language = 'zh-CN' | 'en';

interface AgentMessage {
  id: string;
  conversationId: string;
  type: string;
  body: string;
  seq: number;
  meta?: { kind?: string } | null;
}

async function until<T>(probe: () => T | undefined | false, what: string, ms = 15_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A small picture, as a PNG. */
const picture = (background: string, width = 320, height = 240) =>
  sharp({ create: { width, height, channels: 3, background } })
    .png()
    .toBuffer();

/** The page's language, chosen as a visitor does: the globe button in the header, then a name. */
async function chooseLanguage(page: Page, language: Language) {
  if ((await page.locator('html').getAttribute('lang')) === language) return;
  await page.getByTestId('language').click();
  await page.locator(`[data-testid=language-option][data-locale="${language}"]`).click();
  await expect.poll(() => page.locator('html').getAttribute('lang')).toBe(language);
}

/**
 * The page as it is, audited at both sizes in both languages (each screen saved when
 * SCREENSHOTS=1); it is left at the phone size in Chinese.
 */
async function auditEverywhere(page: Page, state: string) {
  for (const size of sizes) {
    await page.setViewportSize(size);
    for (const language of ['zh-CN', 'en'] as const) {
      await chooseLanguage(page, language);
      const where = `a11y-visitor-${state}-${language === 'en' ? 'en' : 'zh'}-${size.width}x${size.height}`;
      await expectAccessible(page, where);
      await screenshot(page, where);
    }
  }
  await page.setViewportSize(phone);
  await chooseLanguage(page, 'zh-CN');
}

describe('the visitor page, for everyone', () => {
  let server: E2eServer;
  let browser: Browser;
  let channelId: string;
  let adminToken: string;
  let agentToken: string;
  let agent: Socket;
  const agentMessages: AgentMessage[] = [];

  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer(), launchBrowser()]);
    adminToken = await server.adminToken();
    channelId = await server.channelId();
    // One agent who serves one visitor at a time: a second visitor waits in the queue.
    await rest(server, 'POST', '/api/v1/agents', adminToken, {
      username: 'lin',
      displayName: '林晓 Lin',
      password: 'lin-password-1',
      maxConcurrent: 1,
    });
    agentToken = await server.login('lin', 'lin-password-1');
    agent = io(server.url, { auth: { token: agentToken }, transports: ['websocket'] });
    agent.on('message.created', (payload: { message: AgentMessage }) =>
      agentMessages.push(payload.message),
    );
    await new Promise<void>((resolve) => agent.once('connect', () => resolve()));
  });

  afterAll(async () => {
    agent?.close();
    await browser?.close();
    await server?.stop();
  });

  const setAgentStatus = async (status: 'online' | 'away') => {
    const answer = await agent.emitWithAck('agent.status.set', { status });
    expect(answer.ok).toBe(true);
  };

  const agentSend = async (conversationId: string, message: Record<string, unknown>) => {
    const ack = await agent.emitWithAck('message.send', {
      conversationId,
      clientMsgId: `a${Math.random().toString(36).slice(2)}`,
      ...message,
    });
    expect(ack.ok).toBe(true);
  };

  /** A visitor's page in a browser that speaks Chinese; answers when the composer shows. */
  async function visitorPage(
    options: { touch?: boolean } = {},
  ): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({
      viewport: phone,
      locale: 'zh-CN',
      ...(options.touch ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
    });
    const page = await context.newPage();
    await page.goto(`${server.url}/chat/?channel=${channelId}`);
    await page.getByRole('textbox').waitFor();
    return { context, page };
  }

  it('lets a phone zoom the page, keeps the composer from zooming on focus, and names its language', async () => {
    const { context, page } = await visitorPage({ touch: true });
    try {
      const viewport = await page.locator('meta[name=viewport]').getAttribute('content');
      expect(viewport).not.toMatch(/maximum-scale|user-scalable\s*=\s*(no|0)/);
      // iOS zooms into a field whose text is smaller than 16 px when it takes the focus.
      const fontSize = await page
        .getByRole('textbox')
        .evaluate((el) => parseFloat((globalThis as any).getComputedStyle(el).fontSize));
      expect(fontSize).toBeGreaterThanOrEqual(16);
      expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
      await chooseLanguage(page, 'en');
      expect(await page.getByRole('textbox').getAttribute('aria-label')).toBe('Type a message…');
    } finally {
      await context.close();
    }
  });

  it('passes the audit before the first message: nobody online, then an agent online', async () => {
    await setAgentStatus('away');
    const away = await visitorPage();
    try {
      await expect
        .poll(() => away.page.getByTestId('empty').getAttribute('data-state'))
        .toBe('nobodyOnline');
      await auditEverywhere(away.page, 'empty-nobody-online');
    } finally {
      await away.context.close();
    }

    await setAgentStatus('online');
    const open = await visitorPage();
    try {
      await expect
        .poll(() => open.page.getByTestId('empty').getAttribute('data-state'))
        .toBe('open');
      await auditEverywhere(open.page, 'empty');
      // The language menu, open.
      await open.page.getByTestId('language').click();
      await open.page.getByTestId('language-menu').waitFor();
      await expectAccessible(open.page, 'language menu');
      await screenshot(open.page, 'a11y-visitor-language-menu-zh-390x844');
    } finally {
      await open.context.close();
    }
  });

  it('passes the audit waiting in the queue, in a conversation with pictures, with the panels and the viewer open, and after the end', async () => {
    await setAgentStatus('online');
    // Another visitor is being served: the agent's one place is taken.
    const other = await rest(server, 'POST', '/api/v1/visitor/session', undefined, { channelId });
    const otherSocket = io(server.url, {
      auth: { token: other.visitorToken },
      transports: ['websocket'],
    });
    await new Promise<void>((resolve) => otherSocket.once('connect', () => resolve()));
    const otherAck = await otherSocket.emitWithAck('message.send', {
      clientMsgId: 'other-1',
      type: 'text',
      body: 'I was here first',
    });
    expect(otherAck.ok).toBe(true);
    const otherConversation = otherAck.conversation.id as string;
    expect(otherAck.conversation.state).toBe('active');

    const { context, page } = await visitorPage();
    try {
      await page.getByRole('textbox').fill('你好，我的订单还没有发货');
      await page.getByTestId('send').click();
      await expect
        .poll(() => page.getByTestId('chat-subtitle').textContent())
        .toContain('排队中，第 1 位');
      expect(await page.getByTestId('chat-subtitle').getAttribute('data-reason')).not.toBe(
        'nobodyOnline',
      );
      await auditEverywhere(page, 'queued');

      // The agent's place frees: this visitor is served.
      const ended = await agent.emitWithAck('conversation.end', {
        conversationId: otherConversation,
      });
      expect(ended.ok).toBe(true);
      otherSocket.close();
      await expect.poll(() => page.getByTestId('chat-title').textContent()).toBe('林晓 Lin');
      // The conversation reaches the agent with its `assigned` message.
      const asked = await until(
        () =>
          agentMessages.find(
            (m) => m.meta?.kind === 'assigned' && m.conversationId !== otherConversation,
          ),
        "the assignment of the visitor's conversation",
      );
      const conversationId = asked.conversationId;

      // A conversation: the agent's words with a link, the visitor's photo, the agent's picture.
      await agentSend(conversationId, {
        type: 'text',
        body: '您好！我来帮您查一下。订单页面：https://example.com/orders',
      });
      await page.getByTestId('more').click();
      await page.getByTestId('file-input').setInputFiles({
        name: 'parcel.png',
        mimeType: 'image/png',
        buffer: await picture('#c8a26b'),
      });
      await until(
        () => agentMessages.find((m) => m.conversationId === conversationId && m.type === 'image'),
        "the visitor's photo at the agent",
        30_000,
      );
      const form = new FormData();
      form.append(
        'file',
        new Blob([new Uint8Array(await picture('#3a7bd5', 480, 320))], { type: 'image/png' }),
        'label.png',
      );
      const uploaded = await fetch(`${server.url}/api/v1/uploads`, {
        method: 'POST',
        body: form,
        headers: { authorization: `Bearer ${agentToken}` },
      });
      expect(uploaded.status).toBe(201);
      const { file } = (await uploaded.json()) as { file: { id: string } };
      await agentSend(conversationId, { type: 'image', fileId: file.id, body: '这是快递单' });
      await page.getByRole('textbox').fill('谢谢');
      await page.getByTestId('send').click();
      await expect.poll(() => page.getByRole('button', { name: '图片' }).count()).toBe(2);
      await page.locator('[data-testid=my-message][data-state=sent]').nth(2).waitFor();
      await page.getByTestId('system-message').first().waitFor();
      // Every picture has loaded (a broken one would be audited as it looks).
      await expect
        .poll(() =>
          page
            .locator('.media img')
            .evaluateAll((imgs) => imgs.every((img: any) => img.naturalWidth > 0)),
        )
        .toBe(true);
      await auditEverywhere(page, 'conversation');

      // The emoji panel, open; and the attachments.
      await page.getByRole('button', { name: '表情' }).click();
      await page.getByTestId('emoji-panel').waitFor();
      await auditEverywhere(page, 'emoji');
      await page.getByTestId('more').click();
      await page.getByTestId('file-input').waitFor({ state: 'attached' });
      await expectAccessible(page, 'the attachments panel');
      await screenshot(page, 'a11y-visitor-attach-zh-390x844');
      await page.getByTestId('more').click();

      // The picture viewer, opened from the keyboard: named, closed with Escape.
      const pictureButton = page.getByRole('button', { name: '图片' }).last();
      await pictureButton.focus();
      await page.keyboard.press('Enter');
      const viewer = page.getByRole('dialog', { name: '图片' });
      await viewer.locator('img').waitFor();
      const closeButton = viewer.getByRole('button', { name: '关闭' });
      await expect
        .poll(() => closeButton.evaluate((el) => el === (globalThis as any).document.activeElement))
        .toBe(true);
      await expectAccessible(page, 'the picture viewer');
      await screenshot(page, 'a11y-visitor-viewer-zh-390x844');
      await page.keyboard.press('Escape');
      await page.locator('.van-image-preview').waitFor({ state: 'hidden' });
      await expect
        .poll(() =>
          pictureButton.evaluate((el) => el === (globalThis as any).document.activeElement),
        )
        .toBe(true);

      // The agent ends the conversation: the visitor is told, and how to start again.
      const end = await agent.emitWithAck('conversation.end', { conversationId });
      expect(end.ok).toBe(true);
      await page.locator('[data-testid=system-message][data-kind=ended]').waitFor();
      await expect.poll(() => page.getByTestId('chat-subtitle').textContent()).toBe('会话已结束');
      await auditEverywhere(page, 'ended');
    } finally {
      await context.close();
    }
  });

  it('passes the audit when the link is broken', async () => {
    const context = await browser.newContext({ viewport: phone, locale: 'en-US' });
    try {
      const page = await context.newPage();
      await page.goto(`${server.url}/chat/`);
      await page.getByTestId('load-error').waitFor();
      expect(await page.locator('html').getAttribute('lang')).toBe('en');
      await expectAccessible(page, 'a link without a channel');
      await screenshot(page, 'a11y-visitor-no-channel-en-390x844');
    } finally {
      await context.close();
    }
  });

  it('the composer works with the keyboard alone, with the focus always visible', async () => {
    await setAgentStatus('online');
    const context = await browser.newContext({ viewport: desk, locale: 'en-US' });
    try {
      const page = await context.newPage();
      // Listening from the start: Playwright takes over the file picker only once it listens.
      const choosers: FileChooser[] = [];
      page.on('filechooser', (chooser) => choosers.push(chooser));
      await page.goto(`${server.url}/chat/?channel=${channelId}`);
      const textbox = page.getByRole('textbox', { name: 'Type a message…' });
      await textbox.waitFor();

      /**
       * What has the focus: its accessible name (or text), and whether the focus is drawn: a ring
       * (outline or box-shadow) on the focused element if it can be seen, else on what its label
       * draws (the photo pickers are hidden inputs inside a tile).
       */
      const focused = () =>
        page.evaluate(() => {
          const { document, getComputedStyle } = globalThis as any;
          const el = document.activeElement;
          if (!el || el === document.body) return null;
          const drawsRing = (node: any) => {
            const style = getComputedStyle(node);
            const box = node.getBoundingClientRect();
            return (
              parseFloat(style.opacity) > 0 &&
              box.width > 2 &&
              box.height > 2 &&
              ((style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) ||
                style.boxShadow !== 'none')
            );
          };
          const label = el.closest('label');
          const drawn = [el, ...(label ? [label, ...label.querySelectorAll('*')] : [])];
          return {
            name: (el.getAttribute('aria-label') ?? el.textContent?.trim() ?? '') as string,
            tag: el.tagName.toLowerCase() as string,
            type: el.getAttribute('type') as string | null,
            visible: el.matches(':focus-visible') && drawn.some(drawsRing),
          };
        });
      const tab = async (shift = false) => {
        await page.keyboard.press(shift ? 'Shift+Tab' : 'Tab');
        const now = await focused();
        expect(now, 'something has the focus').not.toBeNull();
        expect(now!.visible, `the focus on ${JSON.stringify(now)} is visible`).toBe(true);
        return now!;
      };

      // From the top of the page, Tab reaches the composer, every stop drawn as focused.
      let stops = 0;
      for (;;) {
        const now = await tab();
        stops += 1;
        if (now.tag === 'textarea') break;
        expect(stops, 'Tab reaches the composer').toBeLessThan(8);
      }
      await page.keyboard.type('Hello from the keyboard');
      await page.keyboard.press('Enter');
      // Sent: the page marks a message sent when the server has stored it.
      const sentMessage = (text: string) =>
        page.locator('[data-testid=my-message][data-state=sent]', { hasText: text });
      await sentMessage('Hello from the keyboard').waitFor();
      expect(await textbox.inputValue()).toBe('');
      // Shift+Enter makes a new line instead.
      await page.keyboard.type('two');
      await page.keyboard.press('Shift+Enter');
      await page.keyboard.type('lines');
      expect(await textbox.inputValue()).toBe('two\nlines');
      await textbox.fill('');

      // Back to the emoji button; Enter opens the panel and goes into it, the arrows move, Enter
      // picks.
      const emojiButton = await tab(true);
      expect(emojiButton.name).toBe('Emoji');
      await page.keyboard.press('Enter');
      const panel = page.getByTestId('emoji-panel');
      await panel.waitFor();
      expect(await page.getByRole('button', { name: 'Emoji' }).getAttribute('aria-expanded')).toBe(
        'true',
      );
      const first = await focused();
      expect(first).toMatchObject({ name: '😀', visible: true });
      await page.keyboard.press('ArrowRight');
      expect((await focused())?.name).toBe('😃');
      await page.keyboard.press('ArrowDown');
      const below = (await focused())?.name;
      expect(below).not.toBe('😃');
      await page.keyboard.press('Enter');
      expect(await textbox.inputValue()).toBe(below);
      // Escape closes the panel and goes back to writing, after the emoji.
      await page.keyboard.press('Escape');
      await panel.waitFor({ state: 'detached' });
      expect((await focused())?.tag).toBe('textarea');
      await page.keyboard.type('!');
      expect(await textbox.inputValue()).toBe(`${below}!`);
      await page.keyboard.press('Enter');
      await sentMessage(`${below}!`).waitFor();

      // The attach button, then the photo picker, are reached and opened with the keyboard.
      const more = await tab();
      expect(more.name).toBe('More');
      await page.keyboard.press('Enter');
      const album = await tab();
      expect(album.tag).toBe('input');
      expect(album.type).toBe('file');
      await page.keyboard.press('Enter');
      const picker = await until(() => choosers[0], 'the photo picker');
      expect(picker.isMultiple()).toBe(true);
      await picker.setFiles({
        name: 'keyboard.png',
        mimeType: 'image/png',
        buffer: await picture('#2f9e44'),
      });
      await page
        .locator('[data-testid=my-message][data-state=sent] .media img')
        .waitFor({ timeout: 30_000 });
      // The picker closed: the focus is back on the attach button, not lost.
      expect(await focused()).toMatchObject({ name: 'More', visible: true });
      await screenshot(page, 'a11y-visitor-keyboard-en-1280x720');
    } finally {
      await context.close();
    }
  });
});

describe('the demo page, for everyone', () => {
  let server: E2eServer;
  let browser: Browser;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer({ DEMO: '1' }), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('passes the audit on a phone and a desk, in both languages', async () => {
    for (const [size, locale] of [
      [phone, 'zh-CN'],
      [desk, 'en-US'],
    ] as const) {
      const context = await browser.newContext({ viewport: size, locale });
      try {
        const page = await context.newPage();
        await page.goto(`${server.url}/demo/`);
        await expect.poll(() => page.locator('[data-test=demo-user]').count()).toBe(9);
        const where = `a11y-visitor-demo-${locale === 'en-US' ? 'en' : 'zh'}-${size.width}x${size.height}`;
        await expectAccessible(page, where);
        await screenshot(page, where);
      } finally {
        await context.close();
      }
    }
  });
});
