import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expectAccessible } from './support/accessibility.js';
import { launchBrowser, screenshot, openSettingsPage } from './support/browser.js';
import { e2eAdmin, rest, startE2eServer, type E2eServer } from './support/server.js';

/**
 * The agent console read and used by everyone: an axe-core audit (WCAG 2 A and AA) of the sign-in
 * page, the admin's landing page with its setup checklist, every admin page, and the agent
 * workspace with a live conversation open, in Chinese and in English, on a desk (1280 × 720) and a
 * phone (390 × 844); and an agent serving visitors with the keyboard alone. With SCREENSHOTS=1
 * each audited screen is saved as e2e/screenshots/a11y-console-*.png.
 */

const desk = { width: 1280, height: 720 };
const phone = { width: 390, height: 844 };
const sizes = [desk, phone];
type Language = 'zh-CN' | 'en';

interface Received {
  type: string;
  body: string;
  meta?: { kind?: string; toName?: string } | null;
}

/** A visitor over the socket, as the visitor page talks; keeps every message it receives. */
async function visitorSocket(server: E2eServer, channelId: string) {
  const session = await rest(server, 'POST', '/api/v1/visitor/session', undefined, { channelId });
  const socket: Socket = io(server.url, {
    auth: { token: session.visitorToken },
    transports: ['websocket'],
  });
  const received: Received[] = [];
  socket.on('message.created', (p: { message: Received }) => received.push(p.message));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  let n = 0;
  const send = async (body: string) => {
    const ack = await socket.emitWithAck('message.send', {
      clientMsgId: `v${Date.now()}${n++}`,
      type: 'text',
      body,
    });
    expect(ack.ok).toBe(true);
  };
  return { socket, received, send, name: session.visitor.name as string };
}

async function until(check: () => boolean, what: string, ms = 15_000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits until nothing moves: a dialog half faded in or out is audited in colours it never keeps. */
async function settled(page: Page) {
  await page.waitForFunction(() =>
    (globalThis as any).document
      .getAnimations()
      .every((a: { playState: string }) => a.playState !== 'running'),
  );
}

/** The console's language, switched as a person does: its button names the other language. */
async function chooseLanguage(page: Page, language: Language) {
  if ((await page.locator('html').getAttribute('lang')) === language) return;
  await page
    .getByRole('button', { name: language === 'en' ? 'English' : '中文', exact: true })
    .click();
  await expect.poll(() => page.locator('html').getAttribute('lang')).toBe(language);
}

/**
 * The page as it is, audited at both sizes in both languages (each screen saved when
 * SCREENSHOTS=1); left on the desk in Chinese. `ready` waits for what the size shows.
 */
async function auditEverywhere(page: Page, state: string, ready?: (page: Page) => Promise<void>) {
  for (const size of sizes) {
    await page.setViewportSize(size);
    for (const language of ['zh-CN', 'en'] as const) {
      await chooseLanguage(page, language);
      await ready?.(page);
      await settled(page);
      const where = `a11y-console-${state}-${language === 'en' ? 'en' : 'zh'}-${size.width}x${size.height}`;
      await expectAccessible(page, where);
      await screenshot(page, where);
    }
  }
  await page.setViewportSize(desk);
  await chooseLanguage(page, 'zh-CN');
}

async function signIn(page: Page, server: E2eServer, username: string, password: string) {
  await page.goto(`${server.url}/console/`);
  await page.locator('input[name=username]').fill(username);
  await page.locator('input[name=password]').fill(password);
  await page.locator('button[type=submit]').click();
}

/** Goes online from the header's status menu, as an agent does. */
async function goOnline(page: Page) {
  await page.getByTestId('status').click();
  await page.locator('[data-test=status-online]').click();
  await expect.poll(() => page.getByTestId('status').getAttribute('data-status')).toBe('online');
}

describe('the console, for everyone', () => {
  let server: E2eServer;
  let browser: Browser;
  let channelId: string;
  let adminToken: string;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer(), launchBrowser()]);
    channelId = await server.channelId();
    adminToken = await server.adminToken();
    for (const [username, displayName] of [
      ['lin', '林晓 Lin'],
      ['bo', 'Bo Wang'],
      ['kim', 'Kim Lee'],
    ]) {
      await rest(server, 'POST', '/api/v1/agents', adminToken, {
        username,
        displayName,
        password: `${username}-password-1`,
      });
    }
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function newPage(locale = 'zh-CN'): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: desk, locale });
    return { context, page: await context.newPage() };
  }

  it('passes the audit on the sign-in page, also when the password is wrong', async () => {
    const { context, page } = await newPage();
    try {
      await page.goto(`${server.url}/console/`);
      await page.locator('input[name=username]').waitFor();
      expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
      await auditEverywhere(page, 'login');

      await page.locator('input[name=username]').fill('lin');
      await page.locator('input[name=password]').fill('not-the-password');
      await page.locator('button[type=submit]').click();
      await page.getByRole('alert').waitFor();
      await auditEverywhere(page, 'login-failed');
    } finally {
      await context.close();
    }
  });

  it("passes the audit on the admin's landing page with the setup checklist and on every admin page", async () => {
    // A visitor writes while no agent is online: the monitor has a queue to show.
    const waiting = await visitorSocket(server, channelId);
    await waiting.send('Is anyone there?');
    const { context, page } = await newPage();
    try {
      await signIn(page, server, e2eAdmin.username, e2eAdmin.password);
      const checklist = page.locator('[data-test=setup-checklist]');
      await checklist.waitFor();
      expect(await checklist.getAttribute('data-complete')).toBe('false');
      await page.locator('canvas').first().waitFor();
      await page.waitForTimeout(400); // the charts' animation
      await auditEverywhere(page, 'dashboard');

      /** An admin page, reached from the header's navigation (it scrolls sideways on a phone). */
      const nav = async (name: string) => {
        await page.locator('nav').getByRole('link', { name, exact: true }).click();
      };
      /** A settings page: the header's settings entry, then the settings row. */
      const settings = (name: string) => openSettingsPage(page, name);

      await nav('全部会话');
      const queued = page.locator('.qrow', { hasText: waiting.name });
      await queued.waitFor();
      await auditEverywhere(page, 'monitor');
      // The conversation, watched read-only in the drawer.
      await queued.getByRole('button', { name: '查看' }).click();
      await page.locator('.el-drawer').getByText('Is anyone there?').waitFor();
      await settled(page);
      await expectAccessible(page, 'the monitor with a conversation open');
      await screenshot(page, 'a11y-console-monitor-drawer-zh-1280x720');
      await page.keyboard.press('Escape');
      await page.locator('.el-drawer').waitFor({ state: 'hidden' });

      await settings('客服管理');
      await page.locator('.el-table__row', { hasText: 'Bo Wang' }).waitFor();
      await auditEverywhere(page, 'agents');
      await page.getByRole('button', { name: '新建客服' }).click();
      const form = page.getByRole('dialog', { name: '新建客服' });
      await form.locator('input[name=username]').waitFor();
      await settled(page);
      await expectAccessible(page, 'the new agent form');
      await screenshot(page, 'a11y-console-agents-new-zh-1280x720');
      await page.keyboard.press('Escape');
      await form.waitFor({ state: 'hidden' });

      await settings('渠道管理');
      await page.getByTestId('embed-snippet').waitFor();
      await auditEverywhere(page, 'channels');
      // Business hours on: a switch, a time zone and two time pickers a day, each named.
      await page.locator('.hours .el-switch').click();
      await page.locator('.day').first().waitFor();
      await page.locator('.day').first().scrollIntoViewIfNeeded();
      await settled(page);
      await expectAccessible(page, 'a channel with business hours');
      await screenshot(page, 'a11y-console-channels-hours-zh-1280x720');

      await settings('机器人');
      await page.locator('[data-test=faq-empty]').waitFor();
      await auditEverywhere(page, 'robot');

      await settings('API 密钥');
      await page.getByTestId('new-api-key').waitFor();
      await auditEverywhere(page, 'api-keys');

      await settings('操作日志');
      await page.getByTestId('audit-table').locator('.el-table__row').first().waitFor();
      await auditEverywhere(page, 'audit');
    } finally {
      waiting.socket.close();
      await context.close();
    }
  });

  it('passes the audit on the agent workspace with a live conversation, its dialogs and menus', async () => {
    // Kim chose Away: her list is empty, and says why.
    const kim = await server.login('kim', 'kim-password-1');
    await rest(server, 'PUT', '/api/v1/me/status', kim, { status: 'away' });
    const away = await newPage();
    try {
      await signIn(away.page, server, 'kim', 'kim-password-1');
      await expect
        .poll(() => away.page.getByTestId('status').getAttribute('data-status'))
        .toBe('away');
      await away.page.locator('[data-test=list-empty]').waitFor();
      await auditEverywhere(away.page, 'workspace-empty');
    } finally {
      await away.context.close();
    }

    const { context, page } = await newPage();
    const visitor = await visitorSocket(server, channelId);
    try {
      await signIn(page, server, 'lin', 'lin-password-1');
      await goOnline(page);
      // Nothing open yet: the list beside a hint.
      await page.locator('.pick').waitFor();
      await auditEverywhere(page, 'workspace-unselected', async (p) => {
        if ((p.viewportSize()?.width ?? 0) > 760) await p.locator('.pick').waitFor();
      });

      await visitor.send('你好，我的订单还没到：https://example.com/orders/1234');
      const row = page.locator('.row', { hasText: visitor.name });
      await row.getByTestId('unread').waitFor();
      await row.click();
      const composer = page.getByTestId('composer');
      await composer.fill('您好！我来帮您查一下，请稍等。');
      await composer.press('Enter');
      await page.locator('.msg.mine', { hasText: '我来帮您查一下' }).waitFor();
      await visitor.send('好的，谢谢');
      await page.locator('.scroller').getByText('好的，谢谢').waitFor();
      // On a desk the visitor's details are beside the chat.
      await page.locator('.panel').getByText('匿名访客').waitFor();
      await auditEverywhere(page, 'workspace', async (p) => {
        await p.locator('.scroller').getByText('好的，谢谢').waitFor();
      });

      // On a phone, the list is one tap back from the chat.
      await page.setViewportSize(phone);
      await page.getByRole('button', { name: '会话列表' }).click();
      await row.waitFor();
      await expectAccessible(page, 'the conversation list on a phone');
      await screenshot(page, 'a11y-console-workspace-list-zh-390x844');
      await row.click();
      await page.setViewportSize(desk);

      // The status menu, the transfer dialog and the end question.
      await page.getByTestId('status').click();
      await page.locator('[data-test=status-away]').waitFor();
      await settled(page);
      await expectAccessible(page, 'the status menu');
      await screenshot(page, 'a11y-console-status-menu-zh-1280x720');
      await page.keyboard.press('Escape');
      await page.locator('[data-test=status-away]').waitFor({ state: 'hidden' });

      await page.locator('.actions').getByRole('button', { name: '转接' }).click();
      const transfer = page.getByRole('dialog', { name: '转接给其他客服' });
      await transfer.getByText('Bo Wang').waitFor();
      await settled(page);
      await expectAccessible(page, 'the transfer dialog');
      await screenshot(page, 'a11y-console-transfer-zh-1280x720');
      await page.keyboard.press('Escape');
      await transfer.waitFor({ state: 'hidden' });

      await page.locator('.actions').getByRole('button', { name: '结束会话' }).click();
      const question = page.locator('.el-message-box');
      await question.waitFor();
      await settled(page);
      await expectAccessible(page, 'the question before ending');
      await screenshot(page, 'a11y-console-end-zh-1280x720');
      await question.getByRole('button', { name: '结束会话' }).click();
      await question.waitFor({ state: 'hidden' });
      await page.locator('.composer.noting .hint', { hasText: '会话已结束' }).waitFor();
      await auditEverywhere(page, 'workspace-ended');

      // The ended tab, searched.
      await page.getByRole('tab', { name: '已结束' }).click();
      await page.getByRole('textbox', { name: '搜索访客名称' }).fill(visitor.name.slice(-4));
      await page.locator('.row', { hasText: visitor.name }).waitFor();
      await expectAccessible(page, 'the ended conversations, searched');
      await screenshot(page, 'a11y-console-ended-zh-1280x720');
    } finally {
      visitor.socket.close();
      await context.close();
    }
  });

  it('an agent serves visitors with the keyboard alone, the focus always visible', async () => {
    // Bo is away, so both visitors come to Lin; he goes online to take a transfer.
    const bo = await server.login('bo', 'bo-password-1');
    await rest(server, 'PUT', '/api/v1/me/status', bo, { status: 'away' });
    const { context, page } = await newPage('en-US');
    const first = await visitorSocket(server, channelId);
    const second = await visitorSocket(server, channelId);
    try {
      /**
       * What has the focus: its accessible name (or text), what it is, and whether the focus is
       * drawn while it matches :focus-visible: an outline or a box-shadow ring on it, or, for an
       * Element Plus field (whose input draws nothing), its frame turned the brand colour.
       */
      const focused = () =>
        page.evaluate(async () => {
          const { document, getComputedStyle } = globalThis as any;
          const el = document.activeElement;
          if (!el || el === document.body) return null;
          const frame = el.closest('.el-input__wrapper, .el-select__wrapper');
          // Judged once the focus ring's transition has run (a spinner never ends: half a second).
          const moving = [el, frame].filter(Boolean).flatMap((node: any) => node.getAnimations());
          await Promise.race([
            Promise.all(moving.map((a: { finished: Promise<unknown> }) => a.finished)),
            new Promise((resolve) => setTimeout(resolve, 500)),
          ]);
          const style = getComputedStyle(el);
          const box = el.getBoundingClientRect();
          const brand = 'rgb(47, 99, 232)';
          const ring =
            (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) ||
            style.boxShadow !== 'none' ||
            (!!frame && getComputedStyle(frame).boxShadow.includes(brand));
          return {
            name: ((el.getAttribute('aria-label') ?? el.textContent ?? '') as string).trim(),
            tag: el.tagName.toLowerCase() as string,
            role: el.getAttribute('role') as string | null,
            testid: el.getAttribute('data-testid') as string | null,
            conversation: el.getAttribute('data-conversation') as string | null,
            inDialog: !!el.closest('[role=dialog]'),
            visible: el.matches(':focus-visible') && ring && box.width > 2 && box.height > 2,
          };
        });
      type Focus = NonNullable<Awaited<ReturnType<typeof focused>>>;
      const press = async (key: string) => {
        await page.keyboard.press(key);
        const now = await focused();
        expect(now, `something has the focus after ${key}`).not.toBeNull();
        expect(now!.visible, `the focus on ${JSON.stringify(now)} is visible`).toBe(true);
        return now!;
      };
      /** Presses `key` until the focus is on what `wanted` picks, every stop drawn as focused. */
      const reach = async (key: string, wanted: (f: Focus) => boolean, what: string) => {
        for (let stops = 0; stops < 25; stops++) {
          const now = await press(key);
          if (wanted(now)) return now;
        }
        throw new Error(`${key} never reached ${what}`);
      };

      // Sign in: the username field has the focus when the page opens.
      await page.goto(`${server.url}/console/`);
      await page.getByRole('heading', { name: 'Sign in to the console' }).waitFor();
      await expect.poll(async () => (await focused())?.tag).toBe('input');
      await page.keyboard.type('lin');
      await press('Tab');
      await page.keyboard.type('lin-password-1');
      await page.keyboard.press('Enter');

      // Online (set over REST: the status menu's own keyboard use is Element Plus's, and its
      // fade-out made this test flaky on a busy machine; what is tested here is the chat).
      await page.getByTestId('status').waitFor();
      await rest(server, 'PUT', '/api/v1/me/status', await server.login('lin', 'lin-password-1'), {
        status: 'online',
      });
      await expect
        .poll(() => page.getByTestId('status').getAttribute('data-status'))
        .toBe('online');

      // Two visitors write. Tab reaches the list as one stop; the arrows move between its rows.
      await first.send('First question');
      await page.locator('.row', { hasText: first.name }).waitFor();
      await second.send('Second question');
      await page.locator('.row', { hasText: second.name }).waitFor();
      const top = await reach('Tab', (f) => f.role === 'option', 'the conversation list');
      // The newest activity is first: the second visitor.
      expect(top.name).toContain(second.name);
      const below = await press('ArrowDown');
      expect(below.name).toContain(first.name);
      expect(await press('ArrowUp')).toMatchObject({ conversation: top.conversation });

      // Enter opens it and puts the focus in the composer; Enter sends.
      await page.keyboard.press('Enter');
      await page.locator('.scroller').getByText('Second question').waitFor();
      await expect
        .poll(async () => (await focused())?.testid, { timeout: 10_000 })
        .toBe('composer');
      expect((await focused())?.visible).toBe(true);
      expect(
        await page
          .locator(`[data-conversation="${top.conversation}"]`)
          .getAttribute('aria-selected'),
      ).toBe('true');
      await page.keyboard.type('Hello from the keyboard');
      await page.keyboard.press('Enter');
      await until(
        () => second.received.some((m) => m.body === 'Hello from the keyboard'),
        'the reply at the visitor',
      );
      expect(await page.getByTestId('composer').inputValue()).toBe('');

      await rest(server, 'PUT', '/api/v1/me/status', bo, { status: 'online' });
      // Back to Transfer: Enter opens the dialog with the focus in it; Escape closes it and the
      // focus returns to the button.
      await reach('Shift+Tab', (f) => f.name === 'Transfer', 'Transfer');
      await page.keyboard.press('Enter');
      const dialog = page.getByRole('dialog', { name: 'Transfer to another agent' });
      await dialog.getByText('Bo Wang').waitFor();
      await expect.poll(async () => (await focused())?.inDialog).toBe(true);
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
      await expect.poll(async () => (await focused())?.name).toBe('Transfer');
      // Again, and this time to Bo, with Tab and Enter.
      await page.keyboard.press('Enter');
      await dialog.getByText('Bo Wang').waitFor();
      await reach(
        'Tab',
        (f) => f.inDialog && f.name === 'Transfer',
        "the transfer button in Bo Wang's row",
      );
      await page.keyboard.press('Enter');
      await until(
        () =>
          second.received.some(
            (m) => m.meta?.kind === 'transferred' && m.meta.toName === 'Bo Wang',
          ),
        'the transfer at the visitor',
      );
      await page.locator('.row', { hasText: second.name }).waitFor({ state: 'detached' });
      // The keyboard stays in the conversation, not at the top of the page.
      await expect.poll(async () => (await focused())?.role).toBe('log');

      // The other conversation, from the list; then End, confirmed with the keyboard.
      const other = await reach('Shift+Tab', (f) => f.role === 'option', 'the conversation list');
      expect(other.name).toContain(first.name);
      await page.keyboard.press('Enter');
      await expect.poll(async () => (await focused())?.testid).toBe('composer');
      await reach('Shift+Tab', (f) => f.name === 'End', 'End');
      await page.keyboard.press('Enter');
      const question = page.locator('.el-message-box');
      await question.waitFor();
      await expect
        .poll(() =>
          page.evaluate(
            () => !!(globalThis as any).document.activeElement?.closest('.el-message-box'),
          ),
        )
        .toBe(true);
      await reach('Tab', (f) => f.inDialog && f.name === 'End', 'the confirm button');
      await page.keyboard.press('Enter');
      await until(
        () => first.received.some((m) => m.type === 'system' && m.meta?.kind === 'ended'),
        'the end at the visitor',
      );
      await page
        .locator('.composer.noting .hint', { hasText: 'The conversation has ended' })
        .waitFor();
      await expect.poll(async () => (await focused())?.role).toBe('log');
      await question.waitFor({ state: 'hidden' });
      await settled(page);
      await screenshot(page, 'a11y-console-keyboard-en-1280x720');
    } finally {
      first.socket.close();
      second.socket.close();
      await context.close();
    }
  });
});
