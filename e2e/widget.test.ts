import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';
import sharp from 'sharp';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { video as makeVideo } from '../apps/server/test/support/mediaFactory.js';
import { startTcpProxy } from '../apps/server/test/support/tcpProxy.js';
import { checkScreen, launchBrowser, tmpDir } from './support/browser.js';
import { startHostSite } from './support/hostSite.js';
import { startE2eServer, type E2eServer } from './support/server.js';

const embedFile = fileURLToPath(new URL('../apps/widget/dist/embed.js', import.meta.url));

async function waitFor<T>(
  probe: () => T | undefined | false,
  what: string,
  ms = 15_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The shared TCP proxy (it really cuts every connection), addressed by URL. */
async function startProxy(target: URL) {
  const proxy = await startTcpProxy(target.hostname, Number(target.port));
  return { ...proxy, url: `http://127.0.0.1:${proxy.port}` };
}

describe('visitor page and website embed', () => {
  let server: E2eServer;
  let browser: Browser;
  let channelId: string;
  let adminToken: string;
  let agent: Socket;
  const agentMessages: any[] = [];

  const api = async (method: string, route: string, token?: string, body?: unknown) => {
    const response = await fetch(`${server.url}${route}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return {
      status: response.status,
      headers: response.headers,
      body: (await response.json().catch(() => ({}))) as any,
    };
  };

  const agentSend = async (conversationId: string, body: string) => {
    const ack = await agent.emitWithAck('message.send', {
      conversationId,
      clientMsgId: `a${Math.random().toString(36).slice(2)}`,
      type: 'text',
      body,
    });
    expect(ack.ok).toBe(true);
    return ack;
  };

  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer(), launchBrowser()]);
    adminToken = await server.adminToken();
    channelId = await server.channelId();
    const created = await api('POST', '/api/v1/agents', adminToken, {
      username: 'alice',
      displayName: 'Alice',
      password: 'alice-password-1',
    });
    expect(created.status).toBe(201);
    const login = await api('POST', '/api/v1/auth/login', undefined, {
      username: 'alice',
      password: 'alice-password-1',
    });
    agent = io(server.url, { auth: { token: login.body.token }, transports: ['websocket'] });
    agent.on('message.created', (payload: any) => agentMessages.push(payload.message));
    await new Promise<void>((resolve) => agent.once('connect', () => resolve()));
    const status = await agent.emitWithAck('agent.status.set', { status: 'online' });
    expect(status.ok).toBe(true);
  });

  afterAll(async () => {
    agent?.close();
    await browser?.close();
    await server?.stop();
  });

  async function phonePage(baseUrl = server.url): Promise<{ context: BrowserContext; page: Page }> {
    // A phone set to Chinese: the page follows the browser's language.
    const context = await browser.newContext({
      viewport: { width: 360, height: 640 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      locale: 'zh-CN',
    });
    const page = await context.newPage();
    await page.goto(`${baseUrl}/chat/?channel=${channelId}`);
    await page.getByRole('textbox').waitFor();
    return { context, page };
  }

  async function typeAndSend(page: Page, text: string) {
    await page.getByRole('textbox').fill(text);
    await page.getByTestId('send').click();
  }

  it('a phone-sized visitor sends text and a photo, the agent replies, HTML shows as text', async () => {
    const { context, page } = await phonePage();
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    // The welcome message is there before anything is sent? Not yet: it comes with the first message.
    await typeAndSend(page, 'Hello, I need help with my order');
    const first = await waitFor(
      () => agentMessages.find((m) => m.body === 'Hello, I need help with my order'),
      'the visitor text at the agent',
    );
    const conversationId = first.conversationId as string;
    await expect.poll(() => page.getByTestId('chat-title').textContent()).toBe('Alice');

    // A 3000×2000 photo is made smaller on the phone before upload.
    const photo = await sharp({
      create: { width: 3000, height: 2000, channels: 3, background: '#3a7bd5' },
    })
      .png()
      .toBuffer();
    await page.getByTestId('more').click();
    await page.getByTestId('file-input').setInputFiles({
      name: 'photo.png',
      mimeType: 'image/png',
      buffer: photo,
    });
    const image = await waitFor(
      () => agentMessages.find((m) => m.type === 'image' && m.conversationId === conversationId),
      'the photo at the agent',
      30_000,
    );
    expect(Math.max(image.attachment.width, image.attachment.height)).toBeLessThanOrEqual(2048);
    expect(image.attachment.mime).toBe('image/jpeg');

    // A short video: sent, shown with its cover, and seekable (the server answers ranges).
    const clip = path.join(await tmpDir(), 'clip.webm');
    await makeVideo(clip, 2, 'webm');
    await page.getByTestId('more').click();
    await page.getByTestId('file-input').setInputFiles(clip);
    await waitFor(
      () => agentMessages.find((m) => m.type === 'video' && m.conversationId === conversationId),
      'the video at the agent',
      30_000,
    );
    const player = page.locator('video[poster]');
    await player.waitFor();
    const seekedTo = await player.evaluate(
      (el: any) =>
        new Promise<number>((resolve, reject) => {
          el.addEventListener('error', () => reject(new Error('video error')));
          el.addEventListener('seeked', () => resolve(el.currentTime), { once: true });
          el.addEventListener('loadedmetadata', () => (el.currentTime = 1.5), { once: true });
          el.preload = 'metadata';
          el.load();
        }),
    );
    expect(seekedTo).toBeCloseTo(1.5, 0);

    await agentSend(conversationId, 'Hi! Let me check that for you: https://example.com/orders');
    await agentSend(conversationId, '<img src=x onerror=alert(1)>');
    await page.getByText('<img src=x onerror=alert(1)>').waitFor();
    await expect.poll(() => page.locator('img[src="x"]').count()).toBe(0);
    const link = page.getByRole('link', { name: 'https://example.com/orders' });
    expect(await link.getAttribute('rel')).toBe('noopener noreferrer');
    expect(await link.getAttribute('href')).toBe('https://example.com/orders');

    // Read receipts: the agent reads, the visitor's messages say so.
    const lastSeq = Math.max(
      ...agentMessages.filter((m) => m.conversationId === conversationId).map((m) => m.seq),
    );
    const ack = await agent.emitWithAck('conversation.read', { conversationId, seq: lastSeq });
    expect(ack.ok).toBe(true);
    await expect
      .poll(() => page.getByTestId('message-status').allTextContents())
      .toEqual(['已读', '已读', '已读']);

    // The visitor saw the agent's messages: their read position moves.
    await waitFor(async () => true, 'tick', 1);
    const visitorTyping = new Promise<any>((resolve) => agent.once('typing', resolve));
    await page.getByRole('textbox').fill('typing…');
    expect(await visitorTyping).toMatchObject({ conversationId, side: 'visitor', isTyping: true });
    await agent.emitWithAck('typing', { conversationId, isTyping: true });
    await page.getByTestId('agent-typing').waitFor();
    await page.getByRole('textbox').fill('');

    await checkScreen(page, 'widget-phone-360x640');
    // Tapping a picture opens the full-screen preview (pinch zoom) with the original.
    await page.getByRole('button', { name: '图片' }).click();
    const preview = page.locator('.van-image-preview img');
    await preview.waitFor();
    expect(await preview.getAttribute('src')).toBe(image.attachment.url);
    await page.locator('.van-image-preview__close-icon').click();
    await page.locator('.van-image-preview').waitFor({ state: 'hidden' });
    expect(dialogs).toEqual([]);
    await context.close();
  });

  it('keeps messages written offline and sends them once, in order, when the connection returns', async () => {
    const proxy = await startProxy(new URL(server.url));
    const { context, page } = await phonePage(proxy.url);
    try {
      await typeAndSend(page, 'before going offline');
      const first = await waitFor(
        () => agentMessages.find((m) => m.body === 'before going offline'),
        'the first message',
      );
      await page.locator('[data-testid=my-message][data-state=sent]').first().waitFor();

      proxy.cut();
      await context.setOffline(true);
      // The socket really dropped: the page says it is offline.
      await page.getByTestId('connection-banner').waitFor();
      for (const n of [1, 2, 3]) await typeAndSend(page, `offline ${n}`);
      await expect
        .poll(() => page.locator('[data-testid=my-message][data-state=waiting]').count())
        .toBe(3);
      const stored = await page.evaluate(() => {
        const storage = (globalThis as any).localStorage;
        return Object.keys(storage)
          .filter((k) => k.startsWith('servicesystem.outbox.'))
          .map((k) => JSON.parse(storage.getItem(k)).map((i: any) => i.body));
      });
      expect(stored).toEqual([['offline 1', 'offline 2', 'offline 3']]);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(agentMessages.filter((m) => m.body.startsWith('offline '))).toHaveLength(0);
      await checkScreen(page, 'widget-offline-360x640');

      proxy.restore();
      await context.setOffline(false);
      await waitFor(
        () => agentMessages.filter((m) => m.body.startsWith('offline ')).length >= 3,
        'the three offline messages',
        20_000,
      );
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const delivered = agentMessages.filter(
        (m) => m.conversationId === first.conversationId && m.body.startsWith('offline '),
      );
      expect(delivered.map((m) => m.body)).toEqual(['offline 1', 'offline 2', 'offline 3']);
      expect(delivered.map((m) => m.seq)).toEqual(
        [...delivered.map((m) => m.seq)].sort((a, b) => a - b),
      );
      await expect
        .poll(() => page.locator('[data-testid=my-message][data-state=sent]').count())
        .toBe(4);
      await page.getByTestId('connection-banner').waitFor({ state: 'detached' });
    } finally {
      await context.close();
      await proxy.close();
    }
  });

  it('shows the queue, the end of a conversation, a new one, and older history', async () => {
    expect((await agent.emitWithAck('agent.status.set', { status: 'away' })).ok).toBe(true);
    const { context, page } = await phonePage();
    try {
      await typeAndSend(page, 'Is anyone there?');
      // The only agent is away: the visitor is told nobody is online, not that agents are busy.
      await expect
        .poll(() => page.getByTestId('chat-subtitle').getAttribute('data-reason'))
        .toBe('nobodyOnline');
      expect(await page.getByTestId('chat-subtitle').textContent()).toContain('暂无客服在线');
      expect(await page.getByTestId('chat-subtitle').textContent()).not.toContain('排队');
      await checkScreen(page, 'widget-queue-360x640');
      const seen = agentMessages.length;
      expect((await agent.emitWithAck('agent.status.set', { status: 'online' })).ok).toBe(true);
      await expect.poll(() => page.getByTestId('chat-title').textContent()).toBe('Alice');
      // A conversation served from the queue reaches the agent with its `assigned` message.
      const asked = await waitFor(
        () => agentMessages.slice(seen).find((m) => m.meta?.kind === 'assigned'),
        'the assignment of the queued conversation',
      );

      // Older history: 40 agent messages, the page shows the newest 30 and loads the rest at the top.
      for (let i = 1; i <= 40; i++) await agentSend(asked.conversationId, `history ${i}`);
      await page.reload();
      await page.getByText('history 40').waitFor();
      expect(await page.getByText('history 5', { exact: true }).count()).toBe(0);
      await page.getByTestId('messages').evaluate((el) => (el.scrollTop = 0));
      await page.getByText('history 5', { exact: true }).waitFor();
      await page.getByText('Is anyone there?').waitFor();

      const ended = await agent.emitWithAck('conversation.end', {
        conversationId: asked.conversationId,
      });
      expect(ended.ok).toBe(true);
      await page.locator('[data-testid=system-message]', { hasText: '本次会话已结束' }).waitFor();
      await expect
        .poll(() => page.getByTestId('chat-subtitle').textContent())
        .toContain('会话已结束');

      await typeAndSend(page, 'One more question');
      const again = await waitFor(
        () => agentMessages.find((m) => m.body === 'One more question'),
        'the message that starts a new conversation',
      );
      expect(again.conversationId).not.toBe(asked.conversationId);
      await expect.poll(() => page.getByTestId('chat-title').textContent()).toBe('Alice');
      // The old conversation stays above the new one.
      await page.getByText('Is anyone there?').waitFor();
    } finally {
      await context.close();
    }
  });

  it('tells the visitor when the link has no channel', async () => {
    const page = await browser.newPage({ viewport: { width: 360, height: 640 } });
    await page.goto(`${server.url}/chat/`);
    await expect.poll(() => page.getByTestId('load-error').textContent()).toContain('channel');
    await page.close();
  });

  it('says the team is away before the first message, outside business hours', async () => {
    const closed = await api('POST', '/api/v1/channels', adminToken, {
      name: 'Night desk',
      offHoursMessage: 'We are closed; leave a message.',
      businessHours: { timezone: 'UTC', weekly: {} },
    });
    const page = await browser.newPage({ viewport: { width: 360, height: 640 } });
    expect(closed.status).toBe(201);
    await page.goto(`${server.url}/chat/?channel=${closed.body.channel.id}&locale=en`);
    await page.getByRole('textbox').waitFor();
    await expect
      .poll(() => page.locator('header').first().textContent())
      .toContain('We are closed right now');
    await page.close();
  });

  it('embeds on an allowed website: bubble, panel, JS API and unread events', async () => {
    const site = await startHostSite(server.url, channelId);
    try {
      const patched = await api('PATCH', `/api/v1/channels/${channelId}`, adminToken, {
        allowedOrigins: [site.origin],
      });
      expect(patched.status).toBe(200);
      const chatPage = await api('GET', `/chat/?channel=${channelId}`);
      expect(chatPage.headers.get('content-security-policy')).toContain(
        `frame-ancestors 'self' ${site.origin}`,
      );
      expect(chatPage.headers.get('x-frame-options')).toBeNull();

      const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(`${site.origin}/`);
      await page.waitForFunction(() => 'ServiceSystem' in globalThis);
      await page.evaluate(() => {
        const w = globalThis as any;
        w.events = [];
        for (const name of ['ready', 'unread', 'message']) {
          w.ServiceSystem.on(name, (value: unknown) => w.events.push([name, value]));
        }
      });
      const bubble = page.locator('[data-servicesystem=bubble]');
      await bubble.waitFor({ state: 'visible' });
      await bubble.click();
      const chat = page.frameLocator('iframe[title="Shop support"]');
      await chat.getByTestId('chat-title').waitFor();
      expect(await chat.getByTestId('chat-title').textContent()).toBe('Shop support');
      await chat.getByRole('textbox').fill('Hello from the shop');
      await chat.getByRole('textbox').press('Enter');
      const first = await waitFor(
        () => agentMessages.find((m) => m.body === 'Hello from the shop'),
        'the embedded visitor message',
      );
      await agentSend(first.conversationId, 'Welcome to the shop! How can I help?');
      await chat.getByText('Welcome to the shop! How can I help?').waitFor();
      await checkScreen(page, 'widget-host-1280x720-open');

      // Closed panel: a new agent message raises the unread count through the JS API.
      await expect
        .poll(() => page.evaluate(() => (globalThis as any).events.at(-1)))
        .toEqual(['unread', 0]);
      await page.evaluate(() => {
        const w = globalThis as any;
        w.ServiceSystem.close();
        w.events = [];
      });
      await new Promise((resolve) => setTimeout(resolve, 300)); // the panel's fade-out
      await agentSend(first.conversationId, 'Your parcel ships today.');
      await expect
        .poll(() => page.evaluate(() => (globalThis as any).events))
        .toContainEqual(['unread', 1]);
      const events = await page.evaluate(() => (globalThis as any).events as [string, any][]);
      expect(
        events.some(
          ([name, value]) => name === 'message' && value.body === 'Your parcel ships today.',
        ),
      ).toBe(true);
      await expect.poll(() => page.locator('[data-servicesystem=badge]').textContent()).toBe('1');
      await checkScreen(page, 'widget-host-1280x720-badge');

      // Opening reads it: the count falls back to 0.
      await page.evaluate(() => (globalThis as any).ServiceSystem.open());
      await expect
        .poll(() => page.evaluate(() => (globalThis as any).events.at(-1)))
        .toEqual(['unread', 0]);

      // On a phone the panel fills the screen; the chat's own close button closes it.
      await page.setViewportSize({ width: 360, height: 640 });
      const panel = page.locator('[data-servicesystem=panel]');
      await new Promise((resolve) => setTimeout(resolve, 300)); // the panel's transition
      expect(await panel.boundingBox()).toEqual({ x: 0, y: 0, width: 360, height: 640 });
      await checkScreen(page, 'widget-host-360x640-open');
      await chat.getByTestId('close').click();
      await expect
        .poll(() => page.evaluate(() => (globalThis as any).ServiceSystem.isOpen))
        .toBe(false);
      await page.locator('[data-servicesystem=bubble]').waitFor({ state: 'visible' });
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      await site.close();
    }
  });

  it('takes a signed identity from the URL (app WebView) and from ServiceSystem.setUser', async () => {
    const channels = await api('GET', '/api/v1/channels', adminToken);
    const secret = channels.body.channels.find((c: any) => c.id === channelId).identitySecret;
    const sign = (sub: string, name: string) =>
      new SignJWT({ name })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(sub)
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode(secret));

    // An app opens the page in a WebView with ?identity=.
    const page = await browser.newPage({ viewport: { width: 360, height: 640 } });
    const identity = await sign('user-42', 'Li Lei');
    await page.goto(`${server.url}/chat/?channel=${channelId}&identity=${identity}&locale=en`);
    await typeAndSend(page, 'Sent from the app');
    const fromApp = await waitFor(
      () => agentMessages.find((m) => m.body === 'Sent from the app'),
      'the identified message',
    );
    expect(fromApp.sender.name).toBe('Li Lei');
    await page.close();

    // A website switches the embedded chat to its logged-in user, then logs out.
    const site = await startHostSite(server.url, channelId);
    try {
      await api('PATCH', `/api/v1/channels/${channelId}`, adminToken, {
        allowedOrigins: [site.origin],
      });
      const host = await browser.newPage({ viewport: { width: 1280, height: 720 } });
      await host.goto(`${site.origin}/`);
      await host.locator('[data-servicesystem=bubble]').waitFor({ state: 'visible' });
      const readyAgain = () =>
        host.evaluate(
          () =>
            new Promise<void>((resolve) => (globalThis as any).ServiceSystem.on('ready', resolve)),
        );
      const hanMei = await sign('user-7', 'Han Meimei');
      const switched = readyAgain();
      await host.evaluate((token) => (globalThis as any).ServiceSystem.setUser(token), hanMei);
      await switched;
      await host.evaluate(() => (globalThis as any).ServiceSystem.open());
      const chat = host.frameLocator('iframe[title="Shop support"]');
      await chat.getByRole('textbox').fill('Hello as Han Meimei');
      await chat.getByRole('textbox').press('Enter');
      const asUser = await waitFor(
        () => agentMessages.find((m) => m.body === 'Hello as Han Meimei'),
        'the message of the identified user',
      );
      expect(asUser.sender.name).toBe('Han Meimei');
      // Her history follows her into the page.
      await chat.getByText('Hello as Han Meimei').waitFor();

      const loggedOut = readyAgain();
      await host.evaluate(() => (globalThis as any).ServiceSystem.logout());
      await loggedOut;
      // The anonymous visitor sees none of Han Meimei's history, even from answers in flight.
      await chat.getByText('Hello as Han Meimei').waitFor({ state: 'detached' });
      expect(await chat.getByText('Hello as Han Meimei').count()).toBe(0);
      await chat.getByRole('textbox').fill('Hello again, anonymously');
      await chat.getByRole('textbox').press('Enter');
      const anonymous = await waitFor(
        () => agentMessages.find((m) => m.body === 'Hello again, anonymously'),
        'the anonymous message',
      );
      expect(anonymous.sender.name).not.toBe('Han Meimei');
      await host.close();
    } finally {
      await site.close();
    }
  });

  it('refuses to show the chat on a website that is not allowed, says why, without breaking it', async () => {
    const site = await startHostSite(server.url, channelId); // a new port: another origin
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
      const errors: string[] = [];
      const warnings: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      page.on('console', (m) => {
        if (m.type() === 'warning') warnings.push(m.text());
      });
      await page.goto(`${site.origin}/`);
      await page.waitForFunction(() => 'ServiceSystem' in globalThis);
      await waitFor(() => warnings.length > 0, 'the warning');
      await new Promise((resolve) => setTimeout(resolve, 1000));
      // embed.js asked first and drew nothing: no frame, no bubble, one warning naming the site.
      expect(page.frames()).toHaveLength(1);
      expect(await page.locator('[data-servicesystem=bubble]').isVisible()).toBe(false);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(`This site (${site.origin}) is not allowed`);
      expect(
        await page.evaluate(() => (globalThis as any).document.body.scrollHeight),
      ).toBeLessThanOrEqual(720);
      expect(errors).toEqual([]);

      // A page that frames the visitor page itself is still refused by the browser
      // (frame-ancestors): the check is a courtesy, the CSP is the lock.
      await page.setContent(
        `<iframe src="${server.url}/chat/?channel=${channelId}" width="400" height="600"></iframe>`,
      );
      const frame = await waitFor(
        () => page.frames().find((f) => f !== page.mainFrame()),
        'the framed page',
      );
      await new Promise((resolve) => setTimeout(resolve, 2000));
      expect(await frame.locator('[data-testid=chat-title]').count()).toBe(0);
      await page.close();
    } finally {
      await site.close();
    }
  });

  it('ships a small embed.js: no framework, under 10 KB gzipped', () => {
    const source = fs.readFileSync(embedFile);
    expect(zlib.gzipSync(source).length).toBeLessThan(10 * 1024);
    const text = source.toString();
    expect(text).not.toMatch(/createApp|__vue|ZodError/);
  });

  it('looks right on a desktop', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await page.goto(`${server.url}/chat/?channel=${channelId}&locale=en`);
    await page.getByRole('textbox').waitFor();
    expect(await page.getByRole('textbox').getAttribute('placeholder')).toBe('Type a message…');
    await checkScreen(page, 'widget-desktop-1280x720');
    await page.setViewportSize({ width: 360, height: 640 });
    await page.getByRole('textbox').fill('Hello! Could you tell me when my order ships?');
    await page.getByRole('textbox').press('Enter');
    await page.locator('[data-testid=my-message][data-state=sent]').waitFor();
    await page.getByTestId('more').click();
    await checkScreen(page, 'widget-phone-en-360x640');
    await page.close();
  });
});
