import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { checkScreen, launchBrowser, signIn } from './support/browser.js';
import { startHostSite } from './support/hostSite.js';
import { e2eAdmin, rest, startE2eServer, type E2eServer } from './support/server.js';

const desktopChrome =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';

/**
 * The visitor's context, end to end: a website with the embed navigates as a single-page app
 * does (pushState, a hash change, a new title), and the agent's visitor panel follows it live,
 * with the visitor's browser, language and local time; visitor text stays text, links are
 * http(s) only and open apart from the console.
 */
describe("the visitor's context in the console", () => {
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

  it('the agent sees the page the visitor is on, live, as they move around the website', async () => {
    const site = await startHostSite(server.url, channelId, {
      title: 'Help',
      shop: 'Example Shop',
    });
    try {
      await rest(server, 'PATCH', `/api/v1/channels/${channelId}`, adminToken, {
        allowedOrigins: [site.origin],
      });
      await rest(server, 'POST', '/api/v1/agents', adminToken, {
        username: 'vera',
        displayName: 'Vera Wu',
        password: 'vera-password-1',
      });
      const veraToken = await server.login('vera', 'vera-password-1');
      await rest(server, 'PUT', '/api/v1/me/status', veraToken, { status: 'online' });

      // The visitor: a shopper in Shanghai, arriving from a search.
      const shopper = await browser.newContext({
        viewport: { width: 1280, height: 720 },
        locale: 'zh-CN',
        timezoneId: 'Asia/Shanghai',
        userAgent: desktopChrome,
      });
      const shop = await shopper.newPage();
      const errors: string[] = [];
      shop.on('pageerror', (error) => errors.push(error.message));
      // Every report the chat (in its iframe) sends to the server, as it leaves the browser.
      const reports: string[] = [];
      shop.on('websocket', (socket) =>
        socket.on('framesent', ({ payload }) => {
          if (String(payload).includes('"visitor.context"')) reports.push(String(payload));
        }),
      );
      await shop.goto(`${site.origin}/collections/spring`, {
        referer: 'https://search.example.org/?q=red+sneakers',
      });
      await shop.locator('[data-servicesystem=bubble]').click();
      const chat = shop.frameLocator('iframe[title="Help"]');
      await chat.getByRole('textbox').fill('Do you have these in red?');
      await chat.getByRole('textbox').press('Enter');
      await chat.getByText('Do you have these in red?').waitFor();

      // The agent, in London.
      const agentContext = await browser.newContext({
        viewport: { width: 1280, height: 720 },
        locale: 'en-US',
        timezoneId: 'Europe/London',
      });
      const agentPage = await agentContext.newPage();
      await signIn(agentPage, server.url, 'vera', 'vera-password-1');
      await agentPage.locator('.row', { hasText: 'Do you have these in red?' }).click();
      const panel = agentPage.getByTestId('visitor-panel');
      const current = panel.getByTestId('visitor-current-page');
      await expect.poll(() => current.textContent()).toContain('Example Shop');
      expect(await current.textContent()).toContain('/collections/spring');
      expect(await panel.getByTestId('visitor-browser').textContent()).toContain('Chrome 124');
      expect(await panel.getByTestId('visitor-device').textContent()).toContain('Desktop');
      const localTime = await panel.getByTestId('visitor-local-time').textContent();
      expect(localTime).toMatch(/GMT\+8/);
      expect(localTime).toMatch(/(7|8) h ahead of you/);
      expect(await panel.textContent()).toContain('search.example.org');
      expect(await panel.textContent()).toContain('Chinese (China)');

      // A single-page app moves on: pushState, then its title.
      await shop.evaluate(() => {
        const w = globalThis as any;
        w.history.pushState({}, '', '/products/42?color=red');
        w.document.title = 'Red sneakers – Example Shop';
      });
      await expect
        .poll(() => current.textContent(), { timeout: 10_000 })
        .toContain('Red sneakers – Example Shop');
      expect(await current.textContent()).toContain('/products/42?color=red');
      // The earlier page moved to the recent pages.
      await expect
        .poll(() => panel.getByTestId('visitor-recent-pages').textContent())
        .toContain('Example Shop');

      // A hash change is heard at once; a new title (with markup in it) follows.
      await shop.evaluate(() => {
        const w = globalThis as any;
        w.location.hash = 'reviews';
      });
      await expect
        .poll(() => current.textContent(), { timeout: 10_000 })
        .toContain('/products/42?color=red#reviews');
      await shop.evaluate(() => {
        const w = globalThis as any;
        w.document.title = 'Reviews <b>4.8★</b> – Red sneakers';
      });
      await expect
        .poll(() => current.textContent(), { timeout: 10_000 })
        .toContain('Reviews <b>4.8★</b> – Red sneakers');
      // Text, never markup; the link is the page's own http(s) URL, opened apart.
      expect(await current.locator('b').count()).toBe(0);
      const link = current.locator('a');
      expect(await link.getAttribute('href')).toBe(`${site.origin}/products/42?color=red#reviews`);
      expect(await link.getAttribute('target')).toBe('_blank');
      expect(await link.getAttribute('rel')).toBe('noopener noreferrer');
      for (const href of await panel
        .locator('a')
        .evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''))) {
        expect(href).toMatch(/^https?:\/\//);
      }

      await checkScreen(agentPage, 'visitor-context-1280x720');

      // A phone: the details open from the chat's header, over the chat.
      await agentPage.setViewportSize({ width: 390, height: 844 });
      await checkScreen(agentPage, 'visitor-context-chat-390x844');
      await agentPage.getByTestId('visitor-details').click();
      const drawer = agentPage.locator('.visitor-drawer');
      await drawer.getByTestId('visitor-current-page').waitFor();
      await agentPage.waitForTimeout(400); // the drawer's slide-in
      expect(await drawer.getByTestId('visitor-current-page').textContent()).toContain(
        'Red sneakers',
      );
      await checkScreen(agentPage, 'visitor-context-390x844');

      // An administrator watching from the monitor sees it beside the chat, and sees it move.
      const adminContext = await browser.newContext({
        viewport: { width: 1280, height: 720 },
        locale: 'zh-CN',
        timezoneId: 'Asia/Shanghai',
      });
      const admin = await adminContext.newPage();
      await signIn(admin, server.url, e2eAdmin.username, e2eAdmin.password);
      await admin.locator('nav').getByRole('link', { name: '全部会话', exact: true }).click();
      await admin.locator('.el-table__row', { hasText: 'Do you have these in red?' }).click();
      const watched = admin.locator('.monitor-drawer').getByTestId('visitor-current-page');
      await expect.poll(() => watched.textContent()).toContain('Red sneakers');
      await shop.evaluate(() => {
        const w = globalThis as any;
        w.history.pushState({}, '', '/checkout');
        w.document.title = 'Checkout – Example Shop';
      });
      await expect
        .poll(() => watched.textContent(), { timeout: 10_000 })
        .toContain('Checkout – Example Shop');
      // Same time zone as the visitor: the panel says so, in Chinese.
      expect(
        await admin.locator('.monitor-drawer').getByTestId('visitor-local-time').textContent(),
      ).toContain('与你的时间相同');
      await admin.waitForTimeout(400); // the drawer's slide-in
      await checkScreen(admin, 'visitor-context-monitor-zh-1280x720');

      // A burst of moves (ten in a second) sends a report or two, not ten; the last one arrives.
      let before = reports.length;
      for (let i = 1; i <= 10; i += 1) {
        await shop.evaluate((n) => {
          const w = globalThis as any;
          w.history.pushState({}, '', `/search?page=${n}`);
        }, i);
        await shop.waitForTimeout(100);
      }
      await expect
        .poll(() => watched.textContent(), { timeout: 10_000 })
        .toContain('/search?page=10');
      // (Seen leaving the browser: at least the last one.)
      expect(reports.length - before).toBeGreaterThanOrEqual(1);
      expect(reports.length - before).toBeLessThanOrEqual(3);
      // Nothing changes: nothing is sent.
      before = reports.length;
      await shop.waitForTimeout(3000);
      expect(reports.slice(before)).toEqual([]);

      expect(errors).toEqual([]);
      await shopper.close();
      await agentContext.close();
      await adminContext.close();
    } finally {
      await site.close();
    }
  });

  it('with the website in two tabs, the page the visitor is on is the tab they look at', async () => {
    const site = await startHostSite(server.url, channelId, { title: 'Help', shop: 'Tab Shop' });
    try {
      await rest(server, 'PATCH', `/api/v1/channels/${channelId}`, adminToken, {
        allowedOrigins: [site.origin],
      });
      const channel = await rest(server, 'GET', `/api/v1/channels/${channelId}`, adminToken);
      // An identified visitor: the same one in both tabs (a framed page's storage may be
      // refused, so an anonymous one could be two).
      const identity = await new SignJWT({ name: 'Tabby' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('two-tabs-user')
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode(channel.channel.identitySecret));
      const shopper = await browser.newContext();
      const openTab = async (path: string) => {
        const tab = await shopper.newPage();
        await tab.goto(`${site.origin}${path}`);
        await tab.waitForFunction(() => 'ServiceSystem' in globalThis);
        await tab.evaluate((token) => {
          const w = globalThis as any;
          w.ServiceSystem.setUser(token);
        }, identity);
        return tab;
      };
      const first = await openTab('/shoes');
      await first.locator('[data-servicesystem=bubble]').click();
      const chat = first.frameLocator('iframe[title="Help"]');
      await chat.getByRole('textbox').fill('Two tabs open');
      await chat.getByRole('textbox').press('Enter');
      let conversationId = '';
      await expect
        .poll(async () => {
          const list = await rest(server, 'GET', '/api/v1/conversations?limit=100', adminToken);
          conversationId =
            list.conversations.find(
              (c: { lastMessage: { body: string } | null }) =>
                c.lastMessage?.body === 'Two tabs open',
            )?.id ?? '';
          return conversationId;
        })
        .not.toBe('');
      const currentPage = async () =>
        (
          await rest(
            server,
            'GET',
            `/api/v1/conversations/${conversationId}/visitor-context`,
            adminToken,
          )
        ).context.pages[0]?.url as string | undefined;
      await expect.poll(currentPage, { timeout: 10_000 }).toBe(`${site.origin}/shoes`);

      await openTab('/wishlist');
      await expect.poll(currentPage, { timeout: 10_000 }).toBe(`${site.origin}/wishlist`);
      // The first tab is shown again: its page is where the visitor is.
      const firstChat = first.frames().find((f) => f.url().includes('/chat/'));
      await firstChat!.evaluate(() => {
        const w = globalThis as any;
        w.document.dispatchEvent(new w.Event('visibilitychange'));
      });
      await expect.poll(currentPage, { timeout: 10_000 }).toBe(`${site.origin}/shoes`);
      await shopper.close();
    } finally {
      await site.close();
    }
  });

  it('the chat page on its own reports the page the website passed as `page=`', async () => {
    const visitor = await browser.newContext({ locale: 'en-GB', timezoneId: 'Europe/Berlin' });
    const page = await visitor.newPage();
    const from = encodeURIComponent('https://app.example.com/settings/billing');
    await page.goto(`${server.url}/chat/?channel=${channelId}&page=${from}`);
    await page.getByRole('textbox').fill('Where is my invoice?');
    await page.getByRole('textbox').press('Enter');
    await page.getByText('Where is my invoice?').waitFor();

    // The message shows at once; the server has it a moment later.
    let mine: { id: string } | undefined;
    await expect
      .poll(async () => {
        const list = await rest(server, 'GET', '/api/v1/conversations?limit=100', adminToken);
        mine = list.conversations.find(
          (c: { lastMessage: { body: string } | null }) =>
            c.lastMessage?.body === 'Where is my invoice?',
        );
        return mine;
      })
      .toBeDefined();
    await expect
      .poll(
        async () =>
          (
            await rest(
              server,
              'GET',
              `/api/v1/conversations/${mine!.id}/visitor-context`,
              adminToken,
            )
          ).context,
      )
      .toMatchObject({
        pages: [{ url: 'https://app.example.com/settings/billing', title: '' }],
        language: 'en-GB',
        timeZone: 'Europe/Berlin',
      });
    await visitor.close();
  });
});
