import fs from 'node:fs/promises';
import { strFromU8, unzipSync } from 'fflate';
import sharp from 'sharp';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import {
  launchBrowser,
  signIn,
  openSettingsPage,
  checkBothSizes,
  desk,
} from './support/browser.js';
import { e2eAdmin, rest, startE2eServer, type E2eServer } from './support/server.js';

/**
 * Privacy at the console, in a real browser: an administrator finds a visitor on the Privacy
 * page, downloads everything held about them, erases them after typing the confirmation word,
 * and the agent's workspace then shows the conversation with its messages removed. The channel's
 * retention is set on the Channels page and summed up on the Privacy page. Each screen is
 * audited at 1280 × 720 and 390 × 844.
 */

/** Both sizes of one screen; the page is left at the desk size. */
/** Away from the last button clicked (a hovered button is not what a reader sees), then both
 * sizes. */
async function checkPrivacyScreen(page: Page, name: string, settle?: () => Promise<void>) {
  await page.mouse.move(1, 700);
  await checkBothSizes(page, name, settle);
}

describe('privacy at the console', () => {
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

  it('an admin finds a visitor, downloads their data and erases them; the workspace shows it removed', async () => {
    await rest(server, 'POST', '/api/v1/accounts', adminToken, {
      username: 'lin',
      displayName: 'Lin Xiao',
      password: 'lin-password-1',
    });
    // The agent signs in and goes online.
    const agentContext = await browser.newContext({ viewport: desk, locale: 'en-US' });
    const agent = await agentContext.newPage();
    await signIn(agent, server.url, 'lin', 'lin-password-1');
    await agent.getByTestId('status').click();
    await agent.locator('.el-dropdown-menu__item', { hasText: 'Online' }).click();
    await expect.poll(() => agent.getByTestId('status').textContent()).toContain('Online');

    // A visitor writes a text and sends a picture.
    const session = await rest(server, 'POST', '/api/v1/visitor/session', undefined, {
      channelId,
    });
    const visitorId = session.visitor.id as string;
    const socket: Socket = io(server.url, {
      auth: { token: session.visitorToken },
      transports: ['websocket'],
      reconnection: false,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    const sent: any = await socket.emitWithAck('message.send', {
      clientMsgId: 'privacy-1',
      type: 'text',
      body: 'My card ends in 4242',
    });
    expect(sent.ok).toBe(true);
    const png = await sharp({
      create: { width: 40, height: 30, channels: 3, background: '#0e7490' },
    })
      .png()
      .toBuffer();
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(png)]), 'receipt.png');
    const uploaded = await fetch(`${server.url}/api/v1/uploads`, {
      method: 'POST',
      body: form,
      headers: { authorization: `Bearer ${session.visitorToken}` },
    });
    expect(uploaded.status).toBe(201);
    const fileId = ((await uploaded.json()) as { file: { id: string } }).file.id;
    const image: any = await socket.emitWithAck('message.send', {
      clientMsgId: 'privacy-2',
      type: 'image',
      fileId,
      body: '',
    });
    expect(image.ok).toBe(true);

    // The agent has it.
    const row = agent.locator('.row', { hasText: session.visitor.name });
    await row.click();
    await agent.getByText('My card ends in 4242').waitFor();

    // The admin opens Privacy from the menu and finds the visitor by id.
    const adminContext = await browser.newContext({
      viewport: desk,
      locale: 'en-US',
      acceptDownloads: true,
    });
    const admin = await adminContext.newPage();
    await signIn(admin, server.url, e2eAdmin.username, e2eAdmin.password);
    await openSettingsPage(admin, 'Privacy');
    await admin.getByRole('heading', { name: 'Privacy' }).waitFor();
    await admin.locator('[data-test=privacy-query]').fill('nobody-at-all');
    await admin.locator('[data-test=privacy-find]').click();
    await admin.locator('[data-test=privacy-none]').waitFor();
    await admin.locator('[data-test=privacy-query]').fill(visitorId);
    await admin.locator('[data-test=privacy-find]').click();
    const card = admin.locator(`[data-visitor="${visitorId}"]`);
    await card.waitFor();
    expect(await card.locator('[data-test=privacy-conversations]').textContent()).toBe('1');
    expect(await card.locator('[data-test=privacy-files]').textContent()).toBe('1');
    await checkPrivacyScreen(admin, 'privacy-visitor');

    // Download: a zip with visitor.json and the picture as stored.
    const [download] = await Promise.all([
      admin.waitForEvent('download'),
      card.locator('[data-test=privacy-export]').click(),
    ]);
    expect(download.suggestedFilename()).toBe(`visitor-${visitorId}.zip`);
    const zip = unzipSync(new Uint8Array(await fs.readFile((await download.path())!)));
    const document = JSON.parse(strFromU8(zip['visitor.json']!));
    expect(document.visitor.id).toBe(visitorId);
    const bodies = document.conversations[0].messages.map((m: { body: string }) => m.body);
    expect(bodies).toContain('My card ends in 4242');
    expect(document.files).toHaveLength(1);
    const stored = await fetch(`${server.url}/api/v1/files/${fileId}`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    const storedBytes = Buffer.from(await stored.arrayBuffer());
    expect(Buffer.from(zip[`files/${fileId}-receipt.png`]!).equals(storedBytes)).toBe(true);

    // Erase: only after typing the word.
    await card.locator('[data-test=privacy-erase]').click();
    const dialog = admin.locator('.el-dialog', { hasText: 'Erase this visitor?' });
    await dialog.waitFor();
    const confirm = dialog.locator('[data-test=privacy-erase-confirm]');
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.locator('[data-test=privacy-erase-typed]').fill('erase');
    expect(await confirm.isDisabled()).toBe(false);
    await checkPrivacyScreen(admin, 'privacy-erase-dialog');
    const disconnected = new Promise<void>((resolve) => socket.once('disconnect', () => resolve()));
    await confirm.click();
    await admin.getByText('Erased: 2 messages removed, 1 files deleted.').waitFor();
    await card.getByText('Erased', { exact: true }).waitFor();
    expect(await card.locator('[data-test=privacy-erase]').count()).toBe(0);
    await disconnected;
    const refused = await fetch(`${server.url}/api/v1/visitor/conversations`, {
      headers: { authorization: `Bearer ${session.visitorToken}` },
    });
    expect(refused.status).toBe(401);

    // The agent's workspace: the ended conversation, its messages removed.
    await agent.reload();
    await agent.getByRole('tab', { name: /Ended/ }).click();
    await agent.locator('.row', { hasText: 'Erased visitor' }).click();
    await expect.poll(() => agent.locator('[data-test=message-removed]').count()).toBe(2);
    expect(await agent.getByText('My card ends in 4242').count()).toBe(0);
    await checkPrivacyScreen(agent, 'privacy-workspace-removed');

    socket.close();
    await agentContext.close();
    await adminContext.close();
  });

  it('an admin sets a channel to delete old conversations; the Privacy page sums it up', async () => {
    const context = await browser.newContext({ viewport: desk, locale: 'en-US' });
    const page = await context.newPage();
    await signIn(page, server.url, e2eAdmin.username, e2eAdmin.password);
    await openSettingsPage(page, 'Channels');
    const retention = page.locator('[data-test=retention]');
    await retention.waitFor();
    await page
      .getByText('Off: ended conversations and their files are kept until you delete them.')
      .waitFor();
    await retention.click();
    const days = page.locator('[data-test=retention-days] input');
    expect(await days.inputValue()).toBe('365');
    await days.fill('90');
    await days.press('Tab');
    await page
      .getByText('Ended conversations and their files are deleted 90 days after they end.', {
        exact: false,
      })
      .waitFor();
    const field = page.locator('[data-test=retention-days]');
    await field.scrollIntoViewIfNeeded();
    await checkPrivacyScreen(page, 'privacy-channel-retention', () =>
      field.scrollIntoViewIfNeeded(),
    );
    await page.locator('.save-bar button[type=submit]').click();
    await expect
      .poll(
        async () =>
          (await rest(server, 'GET', `/api/v1/channels/${channelId}`, adminToken)).channel
            .retentionDays,
      )
      .toBe(90);

    await openSettingsPage(page, 'Privacy');
    const summary = page.locator('[data-test=privacy-retention]');
    await summary.getByText('Deleted 90 days after they end').waitFor();
    await checkPrivacyScreen(page, 'privacy-page');
    await context.close();
  });
});
