import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { checkScreen, launchBrowser, signIn } from './support/browser.js';
import { e2eAdmin, rest, startE2eServer, type E2eServer } from './support/server.js';

/**
 * Search in the console: an agent finds an old message by two Chinese characters and lands on it
 * in its conversation, older history loaded on the way; finds a note; an admin finds it from the
 * monitor. Matched words are marked in the results, which are text, never markup.
 */
describe('search in the console', () => {
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

  it('finds an old message and a note, and opens the conversation right there', async () => {
    await rest(server, 'POST', '/api/v1/agents', adminToken, {
      username: 'sara',
      displayName: 'Sara Wu',
      password: 'sara-password-1',
    });
    const sara = await server.login('sara', 'sara-password-1');
    await rest(server, 'PUT', '/api/v1/me/status', sara, { status: 'online' });
    const session = await rest(server, 'POST', '/api/v1/visitor/session', undefined, {
      channelId,
    });
    const first = await rest(server, 'POST', '/api/v1/visitor/messages', session.visitorToken, {
      clientMsgId: `s${Date.now()}`,
      type: 'text',
      body: '你好，我想申请退款，订单号 A12345 <b>急</b>',
    });
    const conversationId = first.conversation.id as string;
    // Sixty answers later, the question is far above the first page of history.
    for (let i = 1; i <= 60; i++) {
      await rest(server, 'POST', `/api/v1/conversations/${conversationId}/messages`, sara, {
        clientMsgId: `r${i}x${Date.now()}`,
        type: 'text',
        body: `Step ${i} of checking your order`,
      });
    }
    await rest(server, 'POST', `/api/v1/conversations/${conversationId}/notes`, sara, {
      clientNoteId: `n${Date.now()}`,
      body: '客户很着急，今天内回电',
    });

    const context = await browser.newContext({
      viewport: { width: 1280, height: 720 },
      locale: 'zh-CN',
    });
    const page = await context.newPage();
    await signIn(page, server.url, 'sara', 'sara-password-1');
    const box = page.getByTestId('search-input');
    await box.fill('退款');
    const result = page.getByTestId('search-result').first();
    await result.waitFor();
    expect(await page.getByTestId('search-result').count()).toBe(1);
    expect(await result.locator('mark').allTextContents()).toEqual(['退款']);
    // The visitor's markup is text in the snippet.
    expect(await result.locator('b').count()).toBe(0);
    expect(await result.textContent()).toContain('<b>急</b>');
    await checkScreen(page, 'search-results-zh-1280x720');

    await result.click();
    const found = page.locator('.scroller [data-seq="2"]');
    await found.waitFor();
    await expect.poll(() => found.evaluate((e) => e.classList.contains('found'))).toBe(true);
    const inView = await found.evaluate((e) => {
      const box = e.getBoundingClientRect();
      const pane = e.closest('.scroller')!.getBoundingClientRect();
      return box.top >= pane.top && box.bottom <= pane.bottom;
    });
    expect(inView).toBe(true);
    await checkScreen(page, 'search-opened-zh-1280x720');

    // A note, on a phone.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('button', { name: '会话列表' }).click();
    await box.fill('着急');
    const note = page.getByTestId('search-result').filter({ hasText: '客户很着急' });
    await note.waitFor();
    expect(await note.textContent()).toContain('备注');
    await checkScreen(page, 'search-results-zh-390x844');
    await note.click();
    await page.locator('.scroller [data-test=note]', { hasText: '客户很着急' }).waitFor();
    // Nothing for words that are not there together.
    await page.getByRole('button', { name: '会话列表' }).click();
    await box.fill('退款 nowhere');
    await page.getByText('没有找到').waitFor();
    await context.close();

    // The admin, from the monitor.
    const adminContext = await browser.newContext({
      viewport: { width: 1280, height: 720 },
      locale: 'en-US',
    });
    const admin = await adminContext.newPage();
    await signIn(admin, server.url, e2eAdmin.username, e2eAdmin.password);
    await admin
      .locator('nav')
      .getByRole('link', { name: 'All conversations', exact: true })
      .click();
    await admin.getByTestId('search-input').fill('a12345');
    const adminResult = admin.getByTestId('search-result').first();
    await adminResult.waitFor();
    await checkScreen(admin, 'search-monitor-en-1280x720');
    await adminResult.click();
    await admin.locator('.el-drawer [data-seq="2"]').waitFor();
    await adminContext.close();
  });
});
