import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { checkScreen, launchBrowser, tmpDir } from './support/browser.js';
import { startHostSite } from './support/hostSite.js';
import { e2eAdmin, rest, startE2eServer, type E2eServer } from './support/server.js';

/**
 * The first hour, as a newcomer meets it: the admin's checklist ticking through a whole first
 * run, a website not yet allowed (explained on the site, listed for the admin, allowed in one
 * click), honest unread counts and previews, notices in each reader's language, the console on a
 * phone, and the demo. With SCREENSHOTS=1 every screen is saved under e2e/screenshots/.
 */

const desk = { width: 1280, height: 720 };
const phone = { width: 390, height: 844 };
const phoneContext = { viewport: phone, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

async function signIn(page: Page, server: E2eServer, username: string, password: string) {
  await page.goto(`${server.url}/console/`);
  await page.locator('input[name=username]').fill(username);
  await page.locator('input[name=password]').fill(password);
  await page.locator('button[type=submit]').click();
  await page
    .getByTestId('status')
    .or(page.locator('[data-test=setup-checklist]'))
    .first()
    .waitFor();
}

const stepDone = (page: Page, step: string) =>
  page.locator(`[data-test=setup-${step}]`).getAttribute('data-done');

/** The page scrolls as a whole neither sideways nor beyond its content. */
const overflowsSideways = (page: Page) =>
  page.evaluate(() => {
    const g = globalThis as any;
    return g.document.documentElement.scrollWidth > g.innerWidth + 1;
  });

describe('first contact', () => {
  let server: E2eServer;
  let browser: Browser;
  let channelId: string;
  let adminToken: string;
  const contexts: BrowserContext[] = [];
  const context = async (options: Parameters<Browser['newContext']>[0]) => {
    const made = await browser.newContext(options);
    contexts.push(made);
    return made;
  };

  beforeAll(async () => {
    // The checklist's own polling (5 s) and the sightings' writes (2 s) are real here.
    [server, browser] = await Promise.all([startE2eServer(), launchBrowser()]);
    channelId = await server.channelId();
    adminToken = await server.adminToken();
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
  });

  it('a whole first run: the checklist ticks, a blocked site is explained and allowed in one click, the first chat', async () => {
    // The admin, in an English browser, lands on the checklist.
    const adminPage = await (await context({ viewport: desk, locale: 'en-US' })).newPage();
    await signIn(adminPage, server, e2eAdmin.username, e2eAdmin.password);
    const checklist = adminPage.locator('[data-test=setup-checklist]');
    await checklist.waitFor();
    expect(await checklist.getAttribute('data-complete')).toBe('false');
    for (const step of ['agentCreated', 'siteAllowed', 'snippetLoaded', 'agentOnline']) {
      expect(await stepDone(adminPage, step)).toBe('false');
    }
    expect(await adminPage.locator('[data-test=setup-try-visitor]').getAttribute('href')).toContain(
      `/chat/?channel=${channelId}`,
    );
    await checkScreen(adminPage, 'first-checklist-en-1280x720');

    // 1. An agent.
    await rest(server, 'POST', '/api/v1/accounts', adminToken, {
      username: 'lin',
      displayName: 'Lin Wei',
      password: 'lin-password-1',
    });
    await expect.poll(() => stepDone(adminPage, 'agentCreated'), { timeout: 15_000 }).toBe('true');

    // 2. The snippet on a site that is not allowed yet: nothing drawn, one clear warning.
    const site = await startHostSite(server.url, channelId, {
      title: 'Tea support',
      shop: 'Tea shop',
    });
    try {
      const hostContext = await context({ viewport: desk, locale: 'en-US' });
      const host = await hostContext.newPage();
      const warnings: string[] = [];
      host.on('console', (message) => {
        if (message.type() === 'warning') warnings.push(message.text());
      });
      await host.goto(`${site.origin}/`);
      await expect.poll(() => warnings.length, { timeout: 10_000 }).toBeGreaterThan(0);
      await host.waitForTimeout(500);
      const ours = warnings.filter((w) => w.includes('ServiceSystem'));
      expect(ours).toHaveLength(1);
      expect(ours[0]).toContain(site.origin);
      expect(ours[0]).toContain('/console/');
      expect(await host.locator('[data-servicesystem=bubble]').isVisible()).toBe(false);

      // The admin sees the site on the channel page, and allows it with one click.
      await adminPage.goto(`${server.url}/console/channels`);
      const blocked = adminPage.locator(`[data-test=blocked-origin][data-origin="${site.origin}"]`);
      await expect
        .poll(
          async () => {
            if (await blocked.isVisible()) return true;
            await adminPage.reload();
            await adminPage.waitForTimeout(700);
            return blocked.isVisible();
          },
          { timeout: 15_000 },
        )
        .toBe(true);
      await checkScreen(adminPage, 'first-channel-blocked-en-1280x720');
      await adminPage.setViewportSize(phone);
      await blocked.scrollIntoViewIfNeeded();
      expect(await overflowsSideways(adminPage)).toBe(false);
      await checkScreen(adminPage, 'first-channel-blocked-en-390x844');
      await adminPage.setViewportSize(desk);
      await blocked.locator('[data-test=allow-origin]').click();
      await blocked.waitFor({ state: 'detached' });
      const channel = await rest(server, 'GET', `/api/v1/channels/${channelId}`, adminToken);
      expect(channel.channel.allowedOrigins).toContain(site.origin);

      // After a reload the bubble is there, and the checklist knows the snippet works.
      await host.reload();
      await host.locator('[data-servicesystem=bubble]').waitFor({ state: 'visible' });
      await adminPage.goto(`${server.url}/console/dashboard`);
      await expect.poll(() => stepDone(adminPage, 'siteAllowed'), { timeout: 15_000 }).toBe('true');
      await expect
        .poll(() => stepDone(adminPage, 'snippetLoaded'), { timeout: 20_000 })
        .toBe('true');

      // 3. The agent logs in for the first time (a Chinese browser) and is online at once.
      const agentContext = await context({ viewport: desk, locale: 'zh-CN' });
      const agent = await agentContext.newPage();
      await signIn(agent, server, 'lin', 'lin-password-1');
      await expect.poll(() => agent.getByTestId('status').textContent()).toContain('在线');
      await expect.poll(() => stepDone(adminPage, 'agentOnline'), { timeout: 15_000 }).toBe('true');

      // 4. A visitor (the English browser on the shop) writes.
      await host.locator('[data-servicesystem=bubble]').click();
      const chat = host.frameLocator('iframe[title="Tea support"]');
      const question = 'Do you ship to Lisbon?';
      await chat.getByRole('textbox').fill(question);
      await chat.getByTestId('send').click();
      // The visitor's notice is English; the agent's own words are Chinese.
      await chat.getByText('Lin Wei is now serving you').waitFor();
      await checkScreen(host, 'first-host-open-en-1280x720');

      // One visitor message: a badge of 1 and the question as the preview (not a notice).
      const row = agent.locator('.row').first();
      await expect.poll(() => row.getByTestId('unread').textContent()).toBe('1');
      expect(await row.locator('.preview').textContent()).toContain(question);
      await expect.poll(() => agent.title()).toMatch(/^\(1\)/);
      await checkScreen(agent, 'first-agent-list-zh-1280x720');
      await row.click();
      await agent.locator('[data-test=system-message]', { hasText: '已分配给 Lin Wei' }).waitFor();
      expect(await agent.locator('[data-test=system-message]').allTextContents()).not.toContain(
        'Lin Wei is now serving you',
      );
      await expect.poll(() => row.getByTestId('unread').count()).toBe(0);
      await checkScreen(agent, 'first-agent-chat-zh-1280x720');

      // The checklist is done.
      await expect
        .poll(() => stepDone(adminPage, 'firstConversation'), { timeout: 15_000 })
        .toBe('true');
      await expect
        .poll(() => checklist.getAttribute('data-complete'), { timeout: 15_000 })
        .toBe('true');
      await checkScreen(adminPage, 'first-checklist-done-en-1280x720');

      // An English console shows the same notice in English.
      const enAgent = await (await context({ viewport: desk, locale: 'en-US' })).newPage();
      await signIn(enAgent, server, 'lin', 'lin-password-1');
      await enAgent.locator('.row').first().click();
      await enAgent
        .locator('[data-test=system-message]', { hasText: 'Assigned to Lin Wei' })
        .waitFor();
      await checkScreen(enAgent, 'first-agent-chat-en-1280x720');
    } finally {
      await site.close();
    }
  });

  it('the console on a phone: list, open, reply with text and an image, back, change status; admin pages fit', async () => {
    await rest(server, 'POST', '/api/v1/accounts', adminToken, {
      username: 'pocket',
      displayName: 'Pocket Pat',
      password: 'pocket-password-1',
    });
    // Pat is the only one online to take it.
    const others = await rest(server, 'GET', '/api/v1/presence', adminToken);
    expect(others.agents.some((a: { status: string }) => a.status === 'online')).toBe(true);

    const agent = await (await context({ ...phoneContext, locale: 'en-US' })).newPage();
    await signIn(agent, server, 'pocket', 'pocket-password-1');
    await expect.poll(() => agent.getByTestId('status').textContent()).toContain('Online');
    // The first agent steps away, so the next visitor is Pat's.
    await rest(server, 'PUT', '/api/v1/me/status', await server.login('lin', 'lin-password-1'), {
      status: 'away',
    });
    const visitor = await (await context({ ...phoneContext, locale: 'en-US' })).newPage();
    await visitor.goto(`${server.url}/chat/?channel=${channelId}`);
    await visitor.getByRole('textbox').fill('Is the oolong in stock?');
    await visitor.getByTestId('send').click();

    const row = agent.locator('.row', { hasText: 'oolong' });
    await row.waitFor();
    expect(await overflowsSideways(agent)).toBe(false);
    await checkScreen(agent, 'first-phone-list-en-390x844');
    await row.click();
    const composer = agent.getByTestId('composer');
    await composer.fill('Yes, 40 tins left.');
    await composer.press('Enter');
    await visitor.getByText('Yes, 40 tins left.').waitFor();
    const dir = await tmpDir();
    const photo = path.join(dir, 'tins.png');
    await sharp({ create: { width: 64, height: 48, channels: 3, background: '#14532d' } })
      .png()
      .toFile(photo);
    await agent.getByTestId('file-input').setInputFiles(photo);
    await expect
      .poll(() => visitor.locator('img[src*="/api/v1/files/"]').count())
      .toBeGreaterThan(0);
    expect(await overflowsSideways(agent)).toBe(false);
    await checkScreen(agent, 'first-phone-chat-en-390x844');
    await agent.locator('[data-test=back]').click();
    // Back on the list, previewing the newest message: the picture.
    const back = agent.locator('.row').first();
    await back.waitFor();
    expect(await back.locator('.preview').textContent()).toContain('[image]');
    await agent.locator('[data-test=status-switch]').click();
    await agent.locator('[data-test=status-away]').click();
    await expect.poll(() => agent.getByTestId('status').textContent()).toContain('Away');
    await checkScreen(agent, 'first-phone-status-en-390x844');

    // Every admin page fits a phone: nothing wider than the screen, in both languages.
    const admin = await (await context({ ...phoneContext, locale: 'zh-CN' })).newPage();
    await signIn(admin, server, e2eAdmin.username, e2eAdmin.password);
    for (const page of ['dashboard', 'conversations', 'agents', 'channels', 'audit']) {
      await admin.goto(`${server.url}/console/${page}`);
      await admin.waitForLoadState('networkidle');
      expect(await overflowsSideways(admin), page).toBe(false);
      await checkScreen(admin, `first-phone-admin-${page}-zh-390x844`);
    }
    await admin.setViewportSize(desk);
    for (const page of ['dashboard', 'conversations', 'agents', 'channels', 'audit']) {
      await admin.goto(`${server.url}/console/${page}`);
      await admin.waitForLoadState('networkidle');
      await checkScreen(admin, `first-admin-${page}-zh-1280x720`);
    }
  });
});

describe('the demo', () => {
  let server: E2eServer;
  let browser: Browser;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer({ DEMO: '1' }), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('lists the nine users with their unread counts and chats as two of them', async () => {
    const context = await browser.newContext({ viewport: desk, locale: 'zh-CN' });
    try {
      const page = await context.newPage();
      await page.goto(`${server.url}/demo/`);
      const users = page.locator('[data-test=demo-user]');
      await expect.poll(() => users.count()).toBe(9);
      expect(await page.locator('[data-test=demo-badge]').isVisible()).toBe(true);
      await checkScreen(page, 'demo-zh-1280x720');

      const adminToken = await server.adminToken();
      const chatAs = async (name: string, words: string) => {
        await page.locator(`[data-test=demo-user][data-name="${name}"]`).click();
        const chat = page.frameLocator('iframe');
        await chat.getByRole('textbox').fill(words);
        await chat.getByTestId('send').click();
        // Stored, not only shown while on its way: the list below is asked at once.
        await chat
          .locator('[data-testid=my-message][data-state=sent]', { hasText: words })
          .waitFor();
      };
      await chatAs('王小二', '我想问一下退货');
      await checkScreen(page, 'demo-chat-zh-1280x720');
      await chatAs('巷子小仙女', '有优惠券吗？');

      // Both are the host app's signed-in users, not anonymous visitors.
      const listed = await rest(server, 'GET', '/api/v1/conversations', adminToken);
      const names = listed.conversations.map((c: { visitor: { name: string } }) => c.visitor.name);
      expect(names).toEqual(expect.arrayContaining(['王小二', '巷子小仙女']));
      const first = listed.conversations.find(
        (c: { visitor: { name: string } }) => c.visitor.name === '王小二',
      );
      expect(first.visitor.externalId).toBe('demo-user-1');

      // An agent answers 王小二 (queued: nobody is online in the demo until an agent logs in).
      const agentToken = await server.login('xiaomei', await server.demoPassword('xiaomei'));
      const agentConversation = await rest(
        server,
        'POST',
        `/api/v1/conversations/${first.id}/assign`,
        adminToken,
        { agentId: (await rest(server, 'GET', '/api/v1/me', agentToken)).account.id },
      ).catch(() => undefined);
      void agentConversation;
      await rest(server, 'POST', `/api/v1/conversations/${first.id}/messages`, agentToken, {
        clientMsgId: `demo-${Date.now()}`,
        type: 'text',
        body: '您好，请把订单号发给我',
      });
      // 王小二's row counts it (the page asks the public unread API every few seconds).
      const unread = page.locator(
        '[data-test=demo-user][data-name="王小二"] [data-test=demo-unread]',
      );
      await expect.poll(() => unread.textContent(), { timeout: 15_000 }).toBe('1');
      await checkScreen(page, 'demo-unread-zh-1280x720');

      const phonePage = await (
        await browser.newContext({ ...phoneContext, locale: 'en-US' })
      ).newPage();
      await phonePage.goto(`${server.url}/demo/`);
      await expect.poll(() => phonePage.locator('[data-test=demo-user]').count()).toBe(9);
      expect(await overflowsSideways(phonePage)).toBe(false);
      await checkScreen(phonePage, 'demo-en-390x844');
      await phonePage.context().close();
    } finally {
      await context.close();
    }
  });
});
