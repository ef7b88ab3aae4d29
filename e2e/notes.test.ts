import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { checkScreen, launchBrowser, signIn } from './support/browser.js';
import { e2eAdmin, rest, startE2eServer, type E2eServer } from './support/server.js';

/**
 * Internal notes in the console: an agent switches the composer to note mode and writes one, an
 * admin writes one from the monitor, each sees the other's live, styled apart from messages;
 * the visitor's socket receives none of it.
 */
describe('internal notes in the console', () => {
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

  it('an agent and an admin write notes the visitor never sees', async () => {
    await rest(server, 'POST', '/api/v1/agents', adminToken, {
      username: 'nora',
      displayName: 'Nora Lin',
      password: 'nora-password-1',
    });
    const noraToken = await server.login('nora', 'nora-password-1');
    await rest(server, 'PUT', '/api/v1/me/status', noraToken, { status: 'online' });

    // The visitor records everything its socket hears.
    const session = await rest(server, 'POST', '/api/v1/visitor/session', undefined, {
      channelId,
    });
    const visitor: Socket = io(server.url, {
      auth: { token: session.visitorToken },
      transports: ['websocket'],
    });
    const heard: string[] = [];
    visitor.onAny((event: string, payload: unknown) => heard.push(event + JSON.stringify(payload)));
    await new Promise<void>((resolve, reject) => {
      visitor.once('connect', resolve);
      visitor.once('connect_error', reject);
    });
    const sent: any = await visitor.emitWithAck('message.send', {
      clientMsgId: `v${Date.now()}`,
      type: 'text',
      body: 'My order #88 never arrived',
    });
    expect(sent.ok).toBe(true);
    const conversationId = sent.conversation.id as string;

    const agentContext = await browser.newContext({
      viewport: { width: 1280, height: 720 },
      locale: 'en-US',
    });
    const page = await agentContext.newPage();
    await signIn(page, server.url, 'nora', 'nora-password-1');
    await page.locator('.row', { hasText: session.visitor.name }).click();
    await page.locator('.scroller').getByText('My order #88 never arrived').waitFor();

    // Note mode: the composer changes colour and says who will read it.
    await page.getByTestId('mode-note').click();
    expect(await page.getByTestId('mode-note').getAttribute('aria-pressed')).toBe('true');
    const composer = page.getByTestId('composer');
    expect(await composer.getAttribute('placeholder')).toContain('only your team');
    const secret = 'Courier lost it <b>twice</b>: refund if asked again';
    await composer.fill(secret);
    await composer.press('Enter');
    const card = page.locator('[data-test=note]', { hasText: 'Courier lost it' });
    await card.waitFor();
    // Markup is text, and the note is not a message bubble.
    expect(await card.locator('b').count()).toBe(0);
    expect(await card.textContent()).toContain('<b>twice</b>');
    expect(await page.locator('.msg', { hasText: 'Courier lost it' }).count()).toBe(0);
    expect(await composer.inputValue()).toBe('');

    // An admin writes one from the monitor; Nora sees it live.
    const adminContext = await browser.newContext({
      viewport: { width: 390, height: 844 },
      locale: 'zh-CN',
    });
    const admin = await adminContext.newPage();
    await signIn(admin, server.url, e2eAdmin.username, e2eAdmin.password);
    await admin.locator('nav').getByRole('link', { name: '全部会话', exact: true }).click();
    const row = admin.locator('.el-table__row', { hasText: session.visitor.name });
    await row.waitFor();
    await row.click();
    const drawer = admin.locator('.el-drawer');
    await drawer.locator('[data-test=note]', { hasText: 'Courier lost it' }).waitFor();
    // Admins watch and write notes only: no reply mode.
    expect(await drawer.getByTestId('mode-reply').count()).toBe(0);
    await drawer.getByTestId('composer').fill('已升级处理，请今天内回电');
    await drawer.getByTestId('add-note').click();
    await drawer.locator('[data-test=note]', { hasText: '已升级处理' }).waitFor();
    await admin.waitForTimeout(400); // the drawer's slide-in
    await checkScreen(admin, 'notes-admin-drawer-zh-390x844');
    await page.locator('[data-test=note]', { hasText: '已升级处理' }).waitFor();

    // Replying again: back to reply mode, the message reaches the visitor.
    await page.getByTestId('mode-reply').click();
    await composer.fill('Sorry about that, a refund is on its way.');
    await composer.press('Enter');
    await expect.poll(() => heard.some((h) => h.includes('a refund is on its way'))).toBe(true);
    await page.getByTestId('mode-note').click();
    await checkScreen(page, 'notes-agent-en-1280x720');
    await page.setViewportSize({ width: 390, height: 844 });
    await checkScreen(page, 'notes-agent-en-390x844');

    // Nothing of either note reached the visitor, and its history numbers run without gaps.
    const everything = heard.join('\n');
    expect(everything).not.toContain('Courier lost it');
    expect(everything).not.toContain('已升级处理');
    const history: any = await visitor.emitWithAck('messages.list', { conversationId });
    const seqs = (history.messages as { seq: number }[]).map((m) => m.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(JSON.stringify(history)).not.toContain('Courier lost it');

    visitor.close();
    await agentContext.close();
    await adminContext.close();
  });
});
