import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { checkScreen, launchBrowser, openSettingsPage } from './support/browser.js';
import { e2eAdmin, rest, startE2eServer, type E2eServer } from './support/server.js';

const viewport = { width: 1280, height: 720 };

/** A visitor's socket that records every message it receives. */
async function visitorSocket(server: E2eServer, channelId: string, name?: string) {
  const session = await rest(server, 'POST', '/api/v1/visitor/session', undefined, { channelId });
  const socket: Socket = io(server.url, {
    auth: { token: session.visitorToken },
    transports: ['websocket'],
  });
  const received: any[] = [];
  socket.on('message.created', (p: any) => received.push(p.message));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  let n = 0;
  const send = async (body: string) => {
    const ack: any = await socket.emitWithAck('message.send', {
      clientMsgId: `v${Date.now()}${n++}`,
      type: 'text',
      body,
    });
    expect(ack.ok).toBe(true);
    return ack;
  };
  return { socket, received, send, visitor: session.visitor as { name: string }, name };
}

async function waitFor(check: () => boolean, what: string, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function login(page: Page, server: E2eServer, username: string, password: string) {
  await page.goto(`${server.url}/console/`);
  await page.locator('input[name=username]').fill(username);
  await page.locator('input[name=password]').fill(password);
  await page.locator('button[type=submit]').click();
}

describe('console', () => {
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

  it('an agent serves visitors: unread, reply, media, XSS as text, drafts, transfer, resync, end', async () => {
    await rest(server, 'POST', '/api/v1/agents', adminToken, {
      username: 'alice',
      displayName: 'Alice Chen',
      password: 'alice-password-1',
    });
    const context: BrowserContext = await browser.newContext({ viewport });
    const page = await context.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(`${server.url}/console/`);
    await page.locator('input[name=username]').waitFor();
    // This browser says English: the console follows it.
    await page.getByRole('heading', { name: 'Sign in to the console' }).waitFor();
    await checkScreen(page, 'console-login');
    await page.getByRole('button', { name: '中文' }).click();
    await page.getByRole('heading', { name: '登录客服台' }).waitFor();
    await login(page, server, 'alice', 'alice-password-1');

    // Go online from the header.
    await page.getByTestId('status').click();
    await page.locator('.el-dropdown-menu__item', { hasText: '在线' }).click();
    await expect.poll(() => page.getByTestId('status').textContent()).toContain('在线');

    const visitor = await visitorSocket(server, channelId);
    await visitor.send('Hello, I need help with my order');
    await visitor.send('Order #1234 https://example.com/orders/1234');

    const row = page.locator('.row', { hasText: visitor.visitor.name });
    // The badge counts the visitor's two messages, never the notices around them.
    const listed = await rest(server, 'GET', '/api/v1/conversations?state=active', adminToken);
    const unread = String(listed.conversations[0].unread);
    expect(unread).toBe('2');
    await expect.poll(() => row.getByTestId('unread').textContent()).toBe(unread);
    expect(await page.title()).toMatch(new RegExp(`^\\(${unread}\\) `));
    await row.click();
    await expect.poll(() => row.getByTestId('unread').count()).toBe(0);
    const link = page.locator('.scroller a[href="https://example.com/orders/1234"]');
    expect(await link.getAttribute('rel')).toBe('noopener noreferrer');

    // Markup from a visitor is text.
    const evil = '<img src=x onerror=alert(1)>';
    await visitor.send(evil);
    await page.locator('.scroller').getByText(evil, { exact: true }).waitFor();
    expect(await page.locator('img[src="x"]').count()).toBe(0);

    // Reply with Enter.
    const composer = page.getByTestId('composer');
    await composer.fill('Hi! Let me check that for you.');
    await composer.press('Shift+Enter');
    await composer.pressSequentially('One moment.');
    await composer.press('Enter');
    await waitFor(
      () => visitor.received.some((m) => m.body === 'Hi! Let me check that for you.\nOne moment.'),
      'the reply at the visitor',
    );
    expect(await composer.inputValue()).toBe('');
    await page.locator('.msg.mine', { hasText: 'Let me check' }).waitFor();

    // An image through the file input: uploaded, sent, shown from its preview URL.
    const png = await sharp({
      create: { width: 64, height: 48, channels: 3, background: '#3b6ff5' },
    })
      .png()
      .toBuffer();
    await page.getByTestId('file-input').setInputFiles({
      name: 'photo.png',
      mimeType: 'image/png',
      buffer: png,
    });
    await waitFor(
      () => visitor.received.some((m) => m.type === 'image'),
      'the image at the visitor',
    );
    const thumb = page.locator('.msg.mine .thumb img');
    await thumb.waitFor();
    await expect
      .poll(() => thumb.evaluate((img: any) => img.naturalWidth as number))
      .toBeGreaterThan(0);
    await thumb.click();
    await page.locator('.el-image-viewer__wrapper').waitFor();
    await page.keyboard.press('Escape');
    await page.locator('.el-image-viewer__wrapper').waitFor({ state: 'detached' });
    if (process.env.SCREENSHOTS === '1') {
      await page.getByRole('button', { name: 'English' }).click();
      await checkScreen(page, 'console-workspace');
      await page.getByRole('button', { name: '中文' }).click();
    }

    // A video: a cover with a play button, then a <video> that plays and seeks in place.
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ss-console-'));
    const clip = path.join(dir, 'clip.webm');
    execFileSync('ffmpeg', [
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=160x120:rate=10',
      '-t',
      '3',
      '-c:v',
      'libvpx',
      '-b:v',
      '200k',
      clip,
    ]);
    await page.getByTestId('file-input').setInputFiles(clip);
    await waitFor(
      () => visitor.received.some((m) => m.type === 'video'),
      'the video at the visitor',
    );
    await page.getByRole('button', { name: '[视频]' }).click();
    const video = page.locator('.msg.mine video');
    await video.waitFor();
    await expect.poll(() => video.evaluate((v: any) => v.readyState as number)).toBeGreaterThan(0);
    const seeked = await video.evaluate(
      (v: any) =>
        new Promise<number>((resolve) => {
          v.addEventListener('seeked', () => resolve(v.currentTime), { once: true });
          v.currentTime = 2;
        }),
    );
    expect(seeked).toBeGreaterThan(1.5);
    await fs.rm(dir, { recursive: true, force: true });

    // Offline: the visitor writes twice; back online, both appear exactly once.
    await context.setOffline(true);
    await page.getByRole('alert').filter({ hasText: '连接已断开' }).waitFor();
    await visitor.send('first while you were away');
    await visitor.send('second while you were away');
    // The agent writes while offline: marked as not sent, with a retry; sent on reconnect.
    await composer.fill('typed while offline');
    await composer.press('Enter');
    const failed = page.getByTestId('pending').filter({ hasText: 'typed while offline' });
    await failed.getByRole('button', { name: '重试' }).waitFor();
    await new Promise((r) => setTimeout(r, 300));
    await context.setOffline(false);
    await page
      .locator('.scroller')
      .getByText('second while you were away')
      .waitFor({ timeout: 15_000 });
    await new Promise((r) => setTimeout(r, 500));
    const log = page.locator('.scroller');
    expect(await log.getByText('first while you were away', { exact: true }).count()).toBe(1);
    expect(await log.getByText('second while you were away', { exact: true }).count()).toBe(1);
    const seqs = await page
      .locator('.scroller [data-seq]')
      .evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-seq'))));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(await page.getByRole('alert').filter({ hasText: '连接已断开' }).count()).toBe(0);
    await failed.waitFor({ state: 'detached' });
    await waitFor(
      () => visitor.received.some((m) => m.body === 'typed while offline'),
      'the message typed offline',
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(visitor.received.filter((m) => m.body === 'typed while offline')).toHaveLength(1);
    expect(await log.getByText('typed while offline', { exact: true }).count()).toBe(1);

    // A second visitor: drafts stay with their conversation; then a transfer to Carol.
    const carol = await rest(server, 'POST', '/api/v1/agents', adminToken, {
      username: 'carol',
      displayName: 'Carol Li',
      password: 'carol-password-1',
    });
    const carolSession = await rest(server, 'POST', '/api/v1/auth/login', undefined, {
      username: 'carol',
      password: 'carol-password-1',
    });
    // Away, so the new conversation comes to Alice; online for the transfer.
    await rest(server, 'PUT', '/api/v1/me/status', carolSession.token, { status: 'away' });
    const second = await visitorSocket(server, channelId);
    await second.send('Another question');
    const secondRow = page.locator('.row', { hasText: second.visitor.name });
    await secondRow.click();
    await page.locator('.scroller').getByText('Another question').waitFor();
    await composer.fill('a draft for the second visitor');
    await row.click();
    await expect.poll(() => composer.inputValue()).toBe('');
    await secondRow.click();
    await expect.poll(() => composer.inputValue()).toBe('a draft for the second visitor');
    await rest(server, 'PUT', '/api/v1/me/status', carolSession.token, { status: 'online' });
    await page.locator('.head').getByRole('button', { name: '转接' }).click();
    const carolRow = page.locator('.el-dialog .agents li', { hasText: 'Carol Li' });
    await carolRow.filter({ hasText: '在线' }).waitFor();
    await carolRow.getByRole('button', { name: '转接' }).click();
    await secondRow.waitFor({ state: 'detached' });
    await waitFor(
      () =>
        second.received.some(
          (m) => m.meta?.kind === 'transferred' && m.meta?.toName === 'Carol Li',
        ),
      'the transfer message',
    );
    expect(carol.agent.id).toBeTruthy();
    second.socket.close();
    await row.click();

    // End, with a confirm: the visitor gets the ended system message.
    await page.locator('.head').getByRole('button', { name: '结束会话' }).click();
    await page.locator('.el-message-box').getByRole('button', { name: '结束会话' }).click();
    await waitFor(
      () => visitor.received.some((m) => m.type === 'system' && m.meta?.kind === 'ended'),
      'the ended message',
    );
    // Ended: no more replies, but the agent may still leave a note for the team.
    await page.locator('.composer.noting .hint', { hasText: '会话已结束' }).waitFor();
    expect(await page.getByTestId('mode-reply').count()).toBe(0);
    await expect.poll(() => row.count()).toBe(0);
    // The ended tab finds it by part of the visitor's name.
    await page.getByRole('tab', { name: '已结束' }).click();
    await page.getByPlaceholder('搜索访客名称').fill(visitor.visitor.name.slice(-4));
    await page.locator('.row', { hasText: visitor.visitor.name }).waitFor();
    await page.getByPlaceholder('搜索访客名称').fill('no such visitor');
    await page.locator('.rows .empty').waitFor();
    expect(dialogs).toEqual([]);
    visitor.socket.close();
    await context.close();
  });

  it('an admin manages agents, watches the dashboard, channels and the live queue', async () => {
    const alice = await rest(server, 'POST', '/api/v1/auth/login', undefined, {
      username: 'alice',
      password: 'alice-password-1',
    });
    await rest(server, 'PUT', '/api/v1/me/status', alice.token, { status: 'away' });
    const carol = await rest(server, 'POST', '/api/v1/auth/login', undefined, {
      username: 'carol',
      password: 'carol-password-1',
    });
    await rest(server, 'PUT', '/api/v1/me/status', carol.token, { status: 'offline' });
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    await page.goto(`${server.url}/console/login`);
    // An English browser: the console is in English.
    await login(page, server, e2eAdmin.username, e2eAdmin.password);
    await page.locator('.stat').first().waitFor();
    await page.locator('canvas').first().waitFor();

    await openSettingsPage(page, 'Agents');
    await page.getByRole('button', { name: 'New agent' }).click();
    const dialog = page.locator('.el-dialog').filter({ hasText: 'New agent' });
    await dialog.locator('input[name=username]').fill('bob');
    await dialog.locator('input[name=displayName]').fill('Bob Wang');
    await dialog.getByRole('button', { name: 'Save' }).click();
    const once = page.locator('[data-testid=generated-password]');
    await once.waitFor();
    const firstPassword = (await once.textContent())!.trim();
    expect(firstPassword.length).toBeGreaterThanOrEqual(8);
    await page.keyboard.press('Escape');
    await once.waitFor({ state: 'hidden' });
    await page.locator('.el-table__row', { hasText: 'Bob Wang' }).waitFor();
    await page.waitForTimeout(300);
    await checkScreen(page, 'console-agents');

    // Edit: an avatar upload, then a password reset shown once.
    const bobRow = page.locator('.el-table__row', { hasText: 'Bob Wang' });
    await bobRow.getByRole('button', { name: 'Edit' }).click();
    const edit = page.locator('.el-dialog').filter({ hasText: 'Upload avatar' });
    const avatar = await sharp({
      create: { width: 80, height: 80, channels: 3, background: '#10b981' },
    })
      .png()
      .toBuffer();
    await edit
      .locator('input[type=file]')
      .setInputFiles({ name: 'bob.png', mimeType: 'image/png', buffer: avatar });
    await edit.getByRole('button', { name: 'Save' }).click();
    await expect
      .poll(() => bobRow.locator('.avatar img').getAttribute('src'))
      .toContain('/api/v1/files/');
    await bobRow.getByRole('button', { name: 'Reset password' }).click();
    await page.locator('.el-message-box').getByRole('button', { name: 'Reset password' }).click();
    await page.locator('.el-message-box').waitFor({ state: 'detached' });
    await once.waitFor({ state: 'visible' });
    await expect.poll(async () => (await once.textContent())?.trim()).not.toBe(firstPassword);
    expect((await once.textContent())!.trim().length).toBeGreaterThanOrEqual(8);
    await page.keyboard.press('Escape');
    await once.waitFor({ state: 'hidden' });
    // Disable, then enable again.
    await bobRow.getByRole('button', { name: 'Disable' }).click();
    await bobRow.locator('.el-tag', { hasText: 'Disabled' }).waitFor();
    await bobRow.getByRole('button', { name: 'Enable' }).click();
    await bobRow.locator('.el-tag', { hasText: 'Enabled' }).waitFor();

    await page.getByRole('link', { name: 'Dashboard' }).click();
    await page
      .locator('.agent-status', { hasText: 'Bob Wang' })
      .filter({ hasText: 'Offline' })
      .waitFor();
    const presence = await rest(server, 'GET', '/api/v1/presence', adminToken);
    const online = presence.agents.filter((a: any) => a.status === 'online').length;
    await expect
      .poll(() => page.locator('.stat').first().textContent())
      .toBe(`${online}Agents online`);
    await page.waitForTimeout(500); // chart animations
    await checkScreen(page, 'console-dashboard');

    await openSettingsPage(page, 'Channels');
    const snippet = page.getByTestId('embed-snippet');
    await snippet.waitFor();
    expect(await snippet.textContent()).toContain(
      `<script src="${server.url}/embed.js" data-channel="${channelId}" async></script>`,
    );
    await checkScreen(page, 'console-channels');
    // The identity secret: revealed, then rotated after a confirm.
    await page.getByRole('button', { name: 'Reveal' }).click();
    const secret = page.locator('code.secret');
    const oldSecret = (await secret.textContent())!.trim();
    expect(oldSecret).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await page.locator('.el-message-box').getByRole('button', { name: 'Rotate secret' }).click();
    await expect.poll(async () => (await secret.textContent())!.trim()).not.toBe(oldSecret);
    // Business hours: on, saved, shown in the list with their time zone.
    await page.locator('.hours .el-switch').click();
    await page.locator('.day').first().waitFor();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page
      .locator('.list li', { hasText: 'Default' })
      .filter({ hasNotText: 'Always open' })
      .waitFor();
    const saved = await rest(server, 'GET', `/api/v1/channels/${channelId}`, adminToken);
    expect(saved.channel.businessHours.weekly.mon).toEqual([{ open: '09:00', close: '18:00' }]);
    await rest(server, 'PATCH', `/api/v1/channels/${channelId}`, adminToken, {
      businessHours: null,
    });

    // The monitor: a visitor writes while no agent is online, so the conversation waits in the
    // queue; the admin watches it read-only, then assigns it to Alice (away: takes no new ones).
    await page.getByRole('link', { name: 'All conversations' }).click();
    const visitor = await visitorSocket(server, channelId);
    await visitor.send('Is anyone there?');
    const queued = page.locator('.qrow', { hasText: visitor.visitor.name });
    await queued.waitFor();
    await queued.getByRole('button', { name: 'Open' }).click();
    const drawer = page.locator('.el-drawer');
    await drawer.getByText('Is anyone there?').waitFor();
    // Admins do not reply: the composer writes internal notes only.
    expect(await drawer.getByTestId('mode-reply').count()).toBe(0);
    expect(await drawer.getByTestId('add-note').count()).toBe(1);
    await page.waitForTimeout(400); // the drawer's slide-in
    await checkScreen(page, 'console-monitor');
    await page.keyboard.press('Escape');
    await queued.getByRole('button', { name: 'Assign' }).click();
    await page
      .locator('.el-dialog .agents li', { hasText: 'Alice Chen' })
      .getByRole('button', { name: 'Assign' })
      .click();
    await queued.waitFor({ state: 'detached' });
    await page
      .locator('.el-table__row', { hasText: visitor.visitor.name })
      .filter({ hasText: 'Alice Chen' })
      .waitFor();
    visitor.socket.close();
    await context.close();
  });
});
