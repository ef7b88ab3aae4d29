import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import {
  launchBrowser,
  signIn,
  openSettingsPage,
  checkBothSizes,
  desk,
} from './support/browser.js';
import { e2eAdmin, rest, startE2eServer, type E2eServer } from './support/server.js';

/**
 * An agent's daily tools at the console, in a real browser: the views (mine, queue, hidden,
 * ended) with counts that move as visitors write, labels an admin defines and an agent puts on
 * and takes off a conversation and filters by, and hiding a conversation until a time or until the
 * visitor writes again. Each screen is audited at 1280 × 720 and 390 × 844.
 */

/** A visitor who writes over a socket. */
async function visitorSocket(server: E2eServer, channelId: string) {
  const session = await rest(server, 'POST', '/api/v1/visitor/session', undefined, { channelId });
  const socket: Socket = io(server.url, {
    auth: { token: session.visitorToken },
    transports: ['websocket'],
  });
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
  };
  return { socket, send, name: session.visitor.name as string };
}

/** Both sizes of one screen; the page is left at the desk size. */

describe('labels, views and hiding at the console', () => {
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

  it('an admin defines labels; an agent sees counts move, labels, filters, hides and gets conversations back', async () => {
    await rest(server, 'POST', '/api/v1/accounts', adminToken, {
      username: 'lin',
      displayName: '林晓',
      password: 'lin-password-1',
    });

    // The admin (Chinese) opens the labels page from the menu and creates two labels.
    const adminContext = await browser.newContext({ viewport: desk, locale: 'zh-CN' });
    const admin = await adminContext.newPage();
    await signIn(admin, server.url, e2eAdmin.username, e2eAdmin.password);
    await openSettingsPage(admin, '标签管理');
    await admin.getByRole('heading', { name: '标签管理' }).waitFor();
    await admin.getByText('还没有标签').waitFor();
    const name = admin.getByTestId('label-name');
    await name.fill('VIP 客户');
    await admin.getByRole('button', { name: '新建标签' }).click();
    const rows = admin.getByTestId('label-rows').locator('[data-label]');
    await expect.poll(() => rows.count()).toBe(1);
    await expect.poll(() => name.inputValue()).toBe('');
    // The second one in red, from the picker's palette.
    await name.fill('退款');
    await admin.locator('.new .el-color-picker').click();
    await admin.locator('.el-color-predefine__color-selector:visible').nth(5).click();
    await admin.locator('button:visible', { hasText: /^\s*(确定|OK)\s*$/ }).click();
    await name.press('Enter');
    await expect.poll(() => rows.count()).toBe(2);
    // A name taken in another case is refused, and said so.
    await name.fill('vip 客户');
    await name.press('Enter');
    await admin.locator('.el-message--error').waitFor();
    expect(await rows.count()).toBe(2);
    await name.fill('');
    await admin.locator('.el-message').first().waitFor({ state: 'detached', timeout: 10_000 });
    const labels = (await rest(server, 'GET', '/api/v1/labels', adminToken)).labels as {
      id: string;
      name: string;
      color: string;
    }[];
    expect(labels.map((l) => [l.name, l.color]).sort()).toEqual(
      [
        ['VIP 客户', '#2563eb'],
        ['退款', '#dc2626'],
      ].sort(),
    );
    const vip = labels.find((l) => l.name === 'VIP 客户')!;
    await checkBothSizes(admin, 'labels-admin');

    // The agent (Chinese) signs in and goes online: every view is empty.
    const agentContext = await browser.newContext({ viewport: desk, locale: 'zh-CN' });
    const agent = await agentContext.newPage();
    await signIn(agent, server.url, 'lin', 'lin-password-1');
    await agent.getByTestId('status').click();
    await agent.locator('.el-dropdown-menu__item', { hasText: '在线' }).click();
    await expect.poll(() => agent.getByTestId('status').textContent()).toContain('在线');
    const count = (view: string) =>
      agent.locator(`[data-view=${view}] [data-testid=view-count]`).textContent();
    const tab = (name: string) => agent.getByRole('tab', { name });
    await expect.poll(() => count('active')).toBe('0');
    expect(await count('unassigned')).toBe('0');
    expect(await count('snoozed')).toBe('0');

    // Two visitors write: both come to the agent, and the count follows.
    const first = await visitorSocket(server, channelId);
    await first.send('我想查一下订单');
    await expect.poll(() => count('active')).toBe('1');
    const second = await visitorSocket(server, channelId);
    await second.send('请问怎么退款？');
    await expect.poll(() => count('active')).toBe('2');
    const firstRow = agent.locator('.row', { hasText: first.name });
    const secondRow = agent.locator('.row', { hasText: second.name });
    await secondRow.waitFor();

    // Away, a third visitor waits in the queue: its count moves, and the queue tab lists it.
    await rest(server, 'PUT', '/api/v1/me/status', await server.login('lin', 'lin-password-1'), {
      status: 'away',
    });
    const third = await visitorSocket(server, channelId);
    await third.send('有人吗？');
    await expect.poll(() => count('unassigned')).toBe('1');
    await tab('排队').click();
    await agent.locator('.row', { hasText: third.name }).waitFor();
    await tab('进行中').click();
    await firstRow.waitFor();
    await checkBothSizes(agent, 'labels-list-views');
    // In English the tabs' words are longer: they still fit.
    await agent.getByRole('button', { name: 'English' }).click();
    await tab('Queue').waitFor();
    await checkBothSizes(agent, 'labels-list-views-en');
    await agent.getByRole('button', { name: '中文' }).click();
    await tab('排队').waitFor();

    // The agent opens the first conversation and puts both labels on it from its header.
    await firstRow.click();
    await agent.locator('.scroller').getByText('我想查一下订单').waitFor();
    const head = agent.locator('.head');
    const tools = agent.getByTestId('conversation-tools');
    for (const label of ['VIP 客户', '退款']) {
      await tools.getByTestId('add-label').click();
      await agent.locator('.el-dropdown-menu__item:visible', { hasText: label }).click();
      await tools.getByTestId('label-chips').getByText(label).waitFor();
    }
    // Every label is on it: nothing more to add.
    await tools.getByTestId('add-label').waitFor({ state: 'detached' });
    // The list's row shows them too.
    await firstRow.getByTestId('label-chips').getByText('退款').waitFor();
    await agent.locator('.el-dropdown-menu:visible').waitFor({ state: 'detached' });
    await checkBothSizes(agent, 'labels-conversation-header', async () => {
      if (!(await head.isVisible())) await firstRow.click();
      await head.waitFor();
    });
    const stored = await rest(
      server,
      'GET',
      `/api/v1/conversations/${await firstRow.getAttribute('data-conversation')}`,
      adminToken,
    );
    expect(stored.conversation.labels.map((l: any) => l.name).sort()).toEqual(
      ['VIP 客户', '退款'].sort(),
    );

    // It takes one off again.
    await tools.getByRole('button', { name: '移除标签 退款' }).click();
    await expect.poll(() => tools.getByTestId('label-chips').getByText('退款').count()).toBe(0);
    await expect.poll(() => firstRow.getByTestId('label-chips').getByText('退款').count()).toBe(0);
    await tools.getByTestId('add-label').waitFor();

    // The list filtered by a label: only the labelled conversation; the other view is empty.
    const filter = agent.getByTestId('label-filter');
    await filter.click();
    await agent.locator('.el-select-dropdown__item:visible', { hasText: 'VIP 客户' }).waitFor();
    await checkBothSizes(agent, 'labels-filter-open', async () => {
      await agent.keyboard.press('Escape');
      await agent.locator('.el-select-dropdown:visible').waitFor({ state: 'detached' });
      if (!(await filter.isVisible())) {
        await agent.getByRole('button', { name: '会话列表' }).click();
      }
      await filter.click();
      await agent.locator('.el-select-dropdown__item:visible', { hasText: '退款' }).waitFor();
      await agent.waitForTimeout(300);
    });
    await agent.locator('.el-select-dropdown__item:visible', { hasText: 'VIP 客户' }).click();
    await secondRow.waitFor({ state: 'detached' });
    await firstRow.waitFor();
    await checkBothSizes(agent, 'labels-filtered-list', async () => {
      if (!(await filter.isVisible())) {
        await agent.getByRole('button', { name: '会话列表' }).click();
      }
    });
    await tab('已隐藏').click();
    await agent.getByText('这里没有带此标签的会话').waitFor();
    await tab('进行中').click();
    await filter.locator('.el-select__clear, .el-icon').first().hover();
    await filter.locator('.el-select__clear').click();
    await secondRow.waitFor();

    // Hide the second conversation until its visitor writes: the menu offers the presets.
    await secondRow.click();
    await agent.locator('.scroller').getByText('请问怎么退款').waitFor();
    await tools.getByTestId('snooze').click();
    const menu = agent.getByTestId('snooze-menu');
    await menu.waitFor();
    for (const preset of ['1 小时', '明天 09:00', '下周一 09:00', '直到访客回复']) {
      await menu.getByText(preset).waitFor();
    }
    await checkBothSizes(agent, 'labels-snooze-menu', async () => {
      if (!(await head.isVisible())) await secondRow.click();
      if (!(await menu.isVisible())) await tools.getByTestId('snooze').click();
      await menu.waitFor();
    });
    await menu.getByText('直到访客回复').click();
    // It leaves the active view for the hidden one; the counts follow.
    await secondRow.waitFor({ state: 'detached' });
    await expect.poll(() => count('snoozed')).toBe('1');
    await expect.poll(() => count('active')).toBe('1');
    const hidden = await rest(server, 'GET', '/api/v1/conversations?view=all', adminToken);
    const hiddenOne = hidden.conversations.find((c: any) => c.visitor.name === second.name);
    expect(hiddenOne.snooze).toMatchObject({ until: null });
    await tab('已隐藏').click();
    await secondRow.waitFor();

    // The visitor writes: it comes back to the active view, with a notice.
    await second.send('还在吗？');
    await agent.locator('.el-message', { hasText: `${second.name} 的会话已恢复显示` }).waitFor();
    await expect.poll(() => count('snoozed')).toBe('0');
    await expect.poll(() => count('active')).toBe('2');
    await secondRow.waitFor({ state: 'detached' });
    await tab('进行中').click();
    await secondRow.waitFor();

    // Snoozed for an hour, then shown again from its header before the time comes.
    await secondRow.click();
    await tools.getByTestId('snooze').click();
    const before = Date.now();
    await menu.getByText('1 小时').click();
    await expect.poll(() => count('snoozed')).toBe('1');
    const snoozed = await rest(server, 'GET', `/api/v1/conversations/${hiddenOne.id}`, adminToken);
    expect(snoozed.conversation.snooze.until).toBeGreaterThanOrEqual(before + 3_590_000);
    expect(snoozed.conversation.snooze.until).toBeLessThanOrEqual(Date.now() + 3_600_000);
    await tab('已隐藏').click();
    await secondRow.click();
    await agent
      .locator('.el-message', { hasText: '已恢复显示' })
      .waitFor({ state: 'detached', timeout: 10_000 });
    await tools.getByTestId('hidden-until').getByText('隐藏至').waitFor();
    await tools.getByTestId('unsnooze').click();
    await expect.poll(() => count('snoozed')).toBe('0');
    await expect.poll(() => count('active')).toBe('2');
    await tab('进行中').click();
    await secondRow.waitFor();
    // Shown again by the agent's own hand: no notice for that (the first one has gone by now).
    await agent.waitForTimeout(300);
    expect(await agent.locator('.el-message', { hasText: '已恢复显示' }).count()).toBe(0);

    // The admin renames a label: the agent's chip follows at once.
    const vipRow = admin.locator(`[data-label="${vip.id}"]`);
    await vipRow.getByRole('textbox', { name: '名称' }).fill('重要客户');
    await vipRow.getByRole('button', { name: '保存' }).click();
    await firstRow.getByTestId('label-chips').getByText('重要客户').waitFor();

    // The admin's monitor counts the open conversations and the queue.
    await admin.getByRole('link', { name: '全部会话' }).click();
    await expect
      .poll(() => admin.getByTestId('monitor-counts').textContent())
      .toMatch(/未结束\s*3\s*排队中\s*1/);

    for (const v of [first, second, third]) v.socket.close();
    await agentContext.close();
    await adminContext.close();
  });
});
