import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { checkScreen, launchBrowser } from './support/browser.js';
import { rest, startE2eServer, type E2eServer } from './support/server.js';

/**
 * The chat as its two people see it, both pages driven by hand: a visitor on a phone-sized page
 * and an agent at the console, in Chinese and in English, at 1280 × 720 and 390 × 844. With
 * SCREENSHOTS=1 it saves each screen under e2e/screenshots/ (install fonts-noto-cjk to read the
 * Chinese ones).
 */

const desk = { width: 1280, height: 720 };
const phone = { width: 390, height: 844 };

describe('the chat from both sides', () => {
  let server: E2eServer;
  let browser: Browser;
  let channelId: string;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer(), launchBrowser()]);
    channelId = await server.channelId();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** The console's language switch names the other language. */
  async function consoleIn(page: Page, language: 'zh' | 'en'): Promise<void> {
    const other = language === 'zh' ? 'English' : '中文';
    const switcher = page.getByRole('button', { name: language === 'zh' ? '中文' : 'English' });
    if ((await switcher.count()) > 0) await switcher.click();
    await page.getByRole('button', { name: other }).waitFor();
  }

  it('a visitor asks on a phone, an agent answers at the console, in Chinese and English', async () => {
    const adminToken = await server.adminToken();
    await rest(server, 'POST', '/api/v1/accounts', adminToken, {
      username: 'mei',
      displayName: '王美',
      password: 'mei-password-1',
    });

    // The agent signs in (Chinese) and goes online.
    const agentContext = await browser.newContext({ viewport: desk });
    const agent = await agentContext.newPage();
    await agent.goto(`${server.url}/console/`);
    await agent.locator('input[name=username]').waitFor();
    await consoleIn(agent, 'zh');
    await agent.locator('input[name=username]').fill('mei');
    await agent.locator('input[name=password]').fill('mei-password-1');
    await agent.locator('button[type=submit]').click();
    await agent.getByTestId('status').click();
    await agent.locator('.el-dropdown-menu__item', { hasText: '在线' }).click();
    await expect.poll(() => agent.getByTestId('status').textContent()).toContain('在线');

    // The visitor writes from a phone.
    const visitorContext = await browser.newContext({
      viewport: phone,
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    const visitor = await visitorContext.newPage();
    const chatUrl = `${server.url}/chat/?channel=${channelId}`;
    await visitor.goto(`${chatUrl}&locale=zh-CN`);
    const question = '你好，我的订单还没到：https://example.com/orders/1234';
    await visitor.getByRole('textbox').fill(question);
    await visitor.getByTestId('send').click();
    await expect.poll(() => visitor.getByTestId('chat-title').textContent()).toBe('王美');

    // The agent sees the conversation with its unread count, opens it, and reads the link.
    const row = agent.locator('.row').first();
    const listed = await rest(server, 'GET', '/api/v1/conversations?state=active', adminToken);
    expect(listed.conversations).toHaveLength(1);
    await expect
      .poll(() => row.getByTestId('unread').textContent())
      .toBe(String(listed.conversations[0].unread));
    await row.click();
    await agent.locator('.scroller').getByText('你好，我的订单还没到', { exact: false }).waitFor();
    const link = agent.locator('.scroller a[href="https://example.com/orders/1234"]');
    expect(await link.textContent()).toBe('https://example.com/orders/1234');

    const answer = '您好！我来帮您查一下，请稍等。';
    const composer = agent.getByTestId('composer');
    await composer.fill(answer);
    await composer.press('Enter');
    await visitor.getByText(answer).waitFor();
    // The list's preview is the newest message: the agent's answer.
    await expect.poll(() => row.locator('.preview').textContent()).toBe(answer);

    await checkScreen(agent, 'screens-console-zh-1280x720');
    await checkScreen(visitor, 'screens-widget-zh-390x844');

    // English: the console switches in place; the visitor page reopens with the same history.
    await consoleIn(agent, 'en');
    await expect.poll(() => agent.getByTestId('status').textContent()).toContain('Online');
    await checkScreen(agent, 'screens-console-en-1280x720');
    await visitor.goto(`${chatUrl}&locale=en`);
    await visitor.getByText(answer).waitFor();
    await visitor.getByText(question).waitFor();
    await checkScreen(visitor, 'screens-widget-en-390x844');

    // The console on a phone: the chat fills the screen, and the list is one tap back.
    await agent.setViewportSize(phone);
    await agent.locator('.scroller').getByText(answer).waitFor();
    expect(await agent.locator('.list').isVisible()).toBe(false);
    await checkScreen(agent, 'screens-console-en-390x844');
    await consoleIn(agent, 'zh');
    await checkScreen(agent, 'screens-console-zh-390x844-chat');
    await agent.getByRole('button', { name: '会话列表' }).click();
    await row.waitFor();
    expect(await agent.locator('.pane').count()).toBe(0);
    await checkScreen(agent, 'screens-console-zh-390x844');
    await row.click();
    await agent.locator('.scroller').getByText(answer).waitFor();
    expect(await agent.getByRole('button', { name: '会话列表' }).isVisible()).toBe(true);
    await agent.setViewportSize(desk);
    // On a desk there is no back button: the list stays beside the chat.
    expect(await agent.getByRole('button', { name: '会话列表' }).isVisible()).toBe(false);
    expect(await agent.locator('.list').isVisible()).toBe(true);
    // The visitor page on a desk.
    await visitor.setViewportSize(desk);
    await checkScreen(visitor, 'screens-widget-en-1280x720');
    await visitor.goto(`${chatUrl}&locale=zh-CN`);
    await visitor.getByText(answer).waitFor();
    await checkScreen(visitor, 'screens-widget-zh-1280x720');

    await agentContext.close();
    await visitorContext.close();
  });
});
