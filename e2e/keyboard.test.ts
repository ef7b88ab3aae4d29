import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { checkScreen, launchBrowser } from './support/browser.js';
import { rest, startE2eServer, type E2eServer } from './support/server.js';

/**
 * The workspace's keyboard shortcuts, in the browser: an agent with three conversations moves
 * between them, writes a reply and a note, inserts a saved reply, opens the help sheet with `?`
 * in Chinese and in English (audited and, with SCREENSHOTS=1, saved at 1280 × 720 and
 * 390 × 844), searches and ends a conversation, all from the keyboard; the keys that belong to
 * the text (a `?` or a `j` typed in the composer) and to dialogs stay theirs.
 */

const desk = { width: 1280, height: 720 };
const phone = { width: 390, height: 844 };

interface Heard {
  type: string;
  body: string;
  meta?: { kind?: string } | null;
}

let sent = 0;

/** A visitor over the socket who has written once; keeps every message it hears. */
async function visitor(server: E2eServer, channelId: string, first: string) {
  const session = await rest(server, 'POST', '/api/v1/visitor/session', undefined, { channelId });
  const socket: Socket = io(server.url, {
    auth: { token: session.visitorToken },
    transports: ['websocket'],
  });
  const heard: Heard[] = [];
  const events: string[] = [];
  socket.onAny((event: string, payload: unknown) => events.push(event + JSON.stringify(payload)));
  socket.on('message.created', (p: { message: Heard }) => heard.push(p.message));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  const ack = await socket.emitWithAck('message.send', {
    clientMsgId: `k${Date.now()}${(sent += 1)}`,
    type: 'text',
    body: first,
  });
  expect(ack.ok).toBe(true);
  return { socket, heard, events, name: session.visitor.name as string };
}

/** No animation running (a dialog fading in is judged in the colours it keeps). */
async function settled(page: Page) {
  await page.waitForFunction(() =>
    (globalThis as any).document
      .getAnimations()
      .every((a: { playState: string }) => a.playState !== 'running'),
  );
}

/** What has the focus: its test id, role, conversation row, and whether a text field. */
function focused(page: Page) {
  return page.evaluate(() => {
    const el = (globalThis as any).document.activeElement;
    if (!el || el === (globalThis as any).document.body) return null;
    return {
      testid: el.getAttribute('data-testid') as string | null,
      role: el.getAttribute('role') as string | null,
      conversation: el.getAttribute('data-conversation') as string | null,
      shortcutTarget: el.getAttribute('data-shortcut-target') as string | null,
      inDialog: !!el.closest('[role=dialog]'),
      text: (el.textContent ?? '').trim() as string,
      tag: el.tagName.toLowerCase() as string,
    };
  });
}

describe('keyboard shortcuts in the workspace', () => {
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

  it('an agent serves three visitors and reads the help, all from the keyboard', async () => {
    const admin = await server.adminToken();
    await rest(server, 'POST', '/api/v1/agents', admin, {
      username: 'mei',
      displayName: 'Mei Chen',
      password: 'mei-password-1',
    });
    const mei = await server.login('mei', 'mei-password-1');
    await rest(server, 'PUT', '/api/v1/me/status', mei, { status: 'online' });
    await rest(server, 'POST', '/api/v1/saved-replies', mei, {
      shortcut: 'thanks',
      title: '致谢',
      text: '谢谢 {visitor.name}，祝您愉快！',
    });
    // Three visitors, one after another: the list shows the latest first.
    const first = await visitor(server, channelId, '第一位：订单在哪里？');
    const second = await visitor(server, channelId, '第二位：可以退款吗？');
    const third = await visitor(server, channelId, '第三位：怎么改地址？');

    const context = await browser.newContext({ viewport: desk, locale: 'zh-CN' });
    const page = await context.newPage();
    try {
      await page.goto(`${server.url}/console/`);
      await page.locator('input[name=username]').fill('mei');
      await page.locator('input[name=password]').fill('mei-password-1');
      await page.keyboard.press('Enter');
      const rows = page.locator('[role=listbox] [role=option]');
      await expect.poll(() => rows.count()).toBe(3);
      const heading = page.locator('.pane h2');
      const selected = () => page.locator('[role=option][aria-selected=true] .name').textContent();
      /** `who`'s conversation is open and selected in the list, and its composer has the focus. */
      const at = async (who: { name: string }) => {
        await expect.poll(selected).toBe(who.name);
        await expect.poll(() => heading.textContent()).toBe(who.name);
        await expect.poll(async () => (await focused(page))?.testid).toBe('composer');
      };
      // Latest activity first.
      expect(await rows.locator('.name').allTextContents()).toEqual([
        third.name,
        second.name,
        first.name,
      ]);

      // The workspace offers its shortcuts before anything is open.
      await page.getByTestId('shortcuts-open').waitFor();
      // J outside a text field opens the first conversation; the composer takes the focus.
      await page.locator('body').focus();
      await page.keyboard.press('j');
      await at(third);
      await page.locator('.scroller').getByText('第三位：怎么改地址？').waitFor();

      // The message log speaks new messages only once a conversation's history is in: moving on
      // does not read the next conversation's history out as if it had just arrived.
      await page.evaluate(() => {
        const w = globalThis as any;
        w.liveWhileFilled = [];
        const log = w.document.querySelector('.scroller');
        new w.MutationObserver(() => w.liveWhileFilled.push(log.getAttribute('aria-live'))).observe(
          log,
          { childList: true, subtree: true, characterData: true },
        );
      });
      // Alt+↓ in the composer: the next one, the focus in its composer again.
      await page.keyboard.press('Alt+ArrowDown');
      await at(second);
      await page.locator('.scroller').getByText('第二位：可以退款吗？').waitFor();
      // The focus stayed in the composer, so a status says once where it now writes.
      expect(await page.getByTestId('pane-news').textContent()).toBe(`${second.name} 的会话`);
      expect(await page.evaluate(() => (globalThis as any).liveWhileFilled[0])).toBe('off');
      await expect.poll(() => page.locator('.scroller').getAttribute('aria-live')).toBe('polite');
      await page.keyboard.press('Alt+ArrowDown');
      await at(first);
      // The last one: Alt+↓ stays.
      await page.keyboard.press('Alt+ArrowDown');
      await at(first);
      await page.keyboard.press('Alt+ArrowUp');
      await at(second);

      // Letters typed in the composer are text, never shortcuts: j, k, ? and / stay in the draft.
      const composer = page.getByTestId('composer');
      await page.keyboard.type('jk?');
      await at(second);
      expect(await composer.inputValue()).toBe('jk?');
      expect(await page.getByRole('dialog').count()).toBe(0);
      await page.keyboard.press('Control+a');
      await page.keyboard.press('Backspace');

      // A reply, sent with Enter.
      await page.keyboard.type('您好，退款三天内到账。');
      await page.keyboard.press('Enter');
      await expect
        .poll(() => second.heard.some((m) => m.body === '您好，退款三天内到账。'))
        .toBe(true);

      // Alt+N: note mode, said once (the composer already had the focus); Enter adds the note.
      await page.keyboard.press('Alt+n');
      await expect
        .poll(() => page.getByTestId('mode-note').getAttribute('aria-pressed'))
        .toBe('true');
      expect(await page.getByTestId('pane-news').textContent()).toBe('备注模式：仅团队可见');
      expect((await focused(page))?.testid).toBe('composer');
      await page.keyboard.type('客户很着急，优先处理');
      await page.keyboard.press('Enter');
      await page.locator('[data-test=note]', { hasText: '客户很着急' }).waitFor();
      // Alt+N again: back to replying.
      await page.keyboard.press('Alt+n');
      await expect
        .poll(() => page.getByTestId('mode-reply').getAttribute('aria-pressed'))
        .toBe('true');

      // Alt+/: the saved replies; Enter inserts the first, filled in; Enter sends it.
      await page.keyboard.press('Alt+/');
      const picker = page.getByTestId('saved-picker');
      await picker.getByTestId('saved-option').first().waitFor();
      expect(await picker.getByTestId('saved-option').first().textContent()).toContain('/thanks');
      await page.keyboard.press('Enter');
      await expect.poll(() => composer.inputValue()).toBe(`谢谢 ${second.name}，祝您愉快！`);
      await page.keyboard.press('Enter');
      await expect
        .poll(() => second.heard.some((m) => m.body === `谢谢 ${second.name}，祝您愉快！`))
        .toBe(true);

      // The reply moved the second visitor to the top of the list. Out of the text (Shift+Tab to
      // the mode buttons), J and K move through the list too.
      await expect.poll(() => rows.locator('.name').first().textContent()).toBe(second.name);
      await page.keyboard.press('Shift+Tab');
      expect((await focused(page))?.testid).toBe('mode-note');
      await page.keyboard.press('j');
      await at(third);
      await page.keyboard.press('Shift+Tab');
      await page.keyboard.press('k');
      await at(second);
      await page.keyboard.press('Shift+Tab');

      // ? opens the help sheet: a dialog named for it, with every shortcut in Chinese.
      await page.keyboard.press('?');
      const help = page.getByRole('dialog', { name: '键盘快捷键' });
      await help.waitFor();
      await settled(page);
      expect((await focused(page))?.inDialog).toBe(true);
      expect(await help.locator('tr[data-shortcut]').count()).toBe(13);
      expect(await help.locator('tr[data-shortcut=nextConversation]').innerText()).toMatch(
        /下一个会话\s+Alt\s*↓\s*或\s*J/u,
      );
      expect(await help.locator('tr[data-shortcut=endConversation]').innerText()).toMatch(
        /Alt\s*Shift\s*X/u,
      );
      // Inside the dialog no shortcut reaches the page.
      await page.keyboard.press('j');
      await page.keyboard.press('Alt+ArrowDown');
      await page.keyboard.press('Alt+Shift+x');
      expect(await selected()).toBe(second.name);
      expect(await page.locator('.el-message-box').count()).toBe(0);
      await checkScreen(page, 'keyboard-help-zh-1280x720');
      await page.setViewportSize(phone);
      await settled(page);
      await checkScreen(page, 'keyboard-help-zh-390x844');
      await page.setViewportSize(desk);
      // Esc closes it.
      await page.keyboard.press('Escape');
      await help.waitFor({ state: 'hidden' });

      // In English, from the account menu, then with Ctrl+/ from inside the composer.
      await page.getByRole('button', { name: 'English', exact: true }).click();
      await expect.poll(() => page.locator('html').getAttribute('lang')).toBe('en');
      await page.locator('.me').click();
      await page.getByTestId('menu-shortcuts').click();
      const helpEn = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
      await helpEn.waitFor();
      await settled(page);
      expect(await helpEn.locator('tr[data-shortcut=search]').innerText()).toMatch(
        /Search messages, notes and visitors\s+Ctrl\s*K\s*or\s*\//u,
      );
      await checkScreen(page, 'keyboard-help-en-1280x720');
      await page.setViewportSize(phone);
      await settled(page);
      await checkScreen(page, 'keyboard-help-en-390x844');
      await page.setViewportSize(desk);
      await page.keyboard.press('Escape');
      await helpEn.waitFor({ state: 'hidden' });
      await page.keyboard.press('Alt+c');
      expect((await focused(page))?.testid).toBe('composer');
      await page.keyboard.press('Control+/');
      await helpEn.waitFor();
      await page.keyboard.press('Escape');
      await helpEn.waitFor({ state: 'hidden' });

      // Alt+Shift+X ends the open conversation after the same question as the End button.
      expect(await heading.textContent()).toBe(second.name);
      await page.keyboard.press('Alt+Shift+x');
      const ask = page.getByRole('dialog', { name: 'End' });
      await ask.waitFor();
      // The question has the keys: Alt+↓ does not move on beneath it.
      await page.keyboard.press('Alt+ArrowDown');
      expect(await selected()).toBe(second.name);
      // Tab to its End button (the focus stays in the question), and Enter.
      for (let i = 0; i < 5 && (await focused(page))?.text !== 'End'; i++) {
        await page.keyboard.press('Tab');
        expect((await focused(page))?.inDialog).toBe(true);
      }
      await page.keyboard.press('Enter');
      await expect.poll(() => second.heard.some((m) => m.meta?.kind === 'ended')).toBe(true);
      await page.locator('.pane .title .el-tag', { hasText: 'Ended' }).waitFor();
      // (While the question fades out it still holds the keys.)
      await ask.waitFor({ state: 'hidden' });

      // Ctrl+K: the full-text search above the list; the visitor's name finds the conversation.
      await page.keyboard.press('Control+k');
      await expect.poll(async () => (await focused(page))?.shortcutTarget).toBe('search');
      await page.keyboard.type(second.name);
      await page.getByTestId('search-result').filter({ hasText: second.name }).waitFor();
      await page.keyboard.press('Escape');

      // Nothing of the note reached any visitor.
      for (const v of [first, second, third]) {
        expect(v.events.some((e) => e.includes('客户很着急'))).toBe(false);
      }
    } finally {
      await context.close();
      for (const v of [first, second, third]) v.socket.disconnect();
    }
  });
});
