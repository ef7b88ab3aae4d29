import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { checkScreen, launchBrowser, signIn, openSettingsPage } from './support/browser.js';
import { rest, startE2eServer, type E2eServer } from './support/server.js';

/**
 * Saved replies from end to end: an agent makes a personal one on the Saved replies page (and
 * meets its validation), an admin a shared one, and the agent, in a conversation, types `/`,
 * filters (a Chinese title by a part of it), picks with the keyboard and sends; the visitor gets
 * the text with the names filled in. With SCREENSHOTS=1 the page and the open list are saved at
 * 1280 × 720 and 390 × 844.
 */

const desk = { width: 1280, height: 720 };
const phone = { width: 390, height: 844 };

/** The console's language, switched as a person does: its button names the other language. */
async function chooseLanguage(page: Page, language: 'zh-CN' | 'en') {
  await page.locator('input[name=username]').waitFor();
  if ((await page.locator('html').getAttribute('lang')) === language) return;
  await page.getByRole('button', { name: language === 'en' ? 'English' : '中文' }).click();
  await expect.poll(() => page.locator('html').getAttribute('lang')).toBe(language);
}

/** No animation running (dialogs and lists that fade in are done). */
async function settled(page: Page) {
  await page.waitForFunction(() =>
    (globalThis as any).document
      .getAnimations()
      .every((a: { playState: string }) => a.playState !== 'running'),
  );
}

/** The page at both sizes, audited and (SCREENSHOTS=1) saved. */
async function bothSizes(page: Page, name: string, ready: () => Promise<void>) {
  for (const size of [desk, phone]) {
    await page.setViewportSize(size);
    await ready();
    await settled(page);
    await checkScreen(page, `${name}-${size.width}x${size.height}`);
  }
  await page.setViewportSize(desk);
}

describe('saved replies', () => {
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

  it('an agent and an admin save replies; the agent finds one with / and sends it filled in', async () => {
    await rest(server, 'POST', '/api/v1/agents', adminToken, {
      username: 'lin',
      displayName: '林小雨',
      password: 'lin-password-1',
    });

    // The agent, in Chinese, opens Saved replies from the navigation.
    const agentContext = await browser.newContext({ viewport: desk });
    const agent = await agentContext.newPage();
    await agent.goto(`${server.url}/console/`);
    await chooseLanguage(agent, 'zh-CN');
    await signIn(agent, server.url, 'lin', 'lin-password-1');
    await expect.poll(() => agent.getByTestId('status').getAttribute('data-status')).toBe('online');
    await agent.getByRole('navigation').getByRole('link', { name: '快捷回复' }).click();
    await agent.getByRole('heading', { name: '快捷回复', level: 1 }).waitFor();
    await agent.getByText('还没有快捷回复').waitFor();

    // An empty form is refused field by field, before anything is sent.
    await agent.getByTestId('saved-create').click();
    const form = agent.getByRole('dialog', { name: '新建快捷回复' });
    await form.waitFor();
    // Agents make personal replies only: no scope to choose.
    expect(await form.getByText('共享', { exact: true }).count()).toBe(0);
    await form.getByTestId('saved-save').click();
    await expect.poll(() => form.locator('.el-form-item__error').count()).toBe(3);
    // (The pointer leaves the Save button: the audit judges the page, not a hover colour.)
    await agent.mouse.move(0, 0);
    await settled(agent);
    await checkScreen(agent, 'saved-replies-form-errors-zh-1280x720');
    await form.locator('input[name=shortcut]').fill('two words');
    await form.getByTestId('saved-save').click();
    await form.getByText('不能包含空格或 /').waitFor();

    await form.locator('input[name=shortcut]').fill('tracking');
    await form.locator('input[name=title]').fill('物流查询');
    await form
      .locator('textarea[name=text]')
      .fill('{visitor.name} 您好，我是 {agent.name}。您的包裹已经发出，单号 {order.id}。');
    await form.getByTestId('saved-save').click();
    await form.waitFor({ state: 'hidden' });
    const personal = agent.getByTestId('saved-personal');
    await personal.getByText('/tracking').waitFor();

    // The same shortcut again (in capitals): the server says it is taken, under the field.
    await agent.getByTestId('saved-create').click();
    await form.waitFor();
    await form.locator('input[name=shortcut]').fill('Tracking');
    await form.locator('input[name=title]').fill('又一个');
    await form.locator('textarea[name=text]').fill('重复');
    await form.getByTestId('saved-save').click();
    await form.getByText('这个快捷词已经用过了').waitFor();
    await form.getByRole('button', { name: '取消' }).click();
    await form.waitFor({ state: 'hidden' });
    expect(await personal.getByTestId('saved-row').count()).toBe(1);

    // The admin, in English, adds shared replies.
    const adminContext = await browser.newContext({ viewport: desk });
    const admin = await adminContext.newPage();
    await admin.goto(`${server.url}/console/`);
    await chooseLanguage(admin, 'en');
    await signIn(admin, server.url, 'admin', 'e2e-admin-password');
    await openSettingsPage(admin, 'Saved replies');
    await admin.getByRole('heading', { name: 'Saved replies', level: 1 }).waitFor();
    const shared = [
      {
        shortcut: 'refund',
        title: '退款说明',
        text: 'Hi {visitor.name}, refunds reach your card within 3 working days. — {agent.name}',
      },
      { shortcut: 'hello', title: 'Greeting', text: 'Hello {visitor.name}, how can I help?' },
    ];
    const adminForm = admin.getByRole('dialog', { name: 'New saved reply' });
    for (const reply of shared) {
      await admin.getByTestId('saved-create').click();
      await adminForm.waitFor();
      await adminForm.getByText('Shared', { exact: true }).click();
      await adminForm.locator('input[name=shortcut]').fill(reply.shortcut);
      await adminForm.locator('input[name=title]').fill(reply.title);
      await adminForm.locator('textarea[name=text]').fill(reply.text);
      await adminForm.getByTestId('saved-save').click();
      await adminForm.waitFor({ state: 'hidden' });
      await admin.getByTestId('saved-shared').getByText(`/${reply.shortcut}`).waitFor();
    }
    const audit = await rest(server, 'GET', '/api/v1/audit?action=savedReply.create', adminToken);
    expect(audit.entries.map((e: any) => e.target.label).sort()).toEqual(['hello', 'refund']);
    // The "Saved" notices fade out first: they would cover the page in the screenshots.
    await expect.poll(() => admin.locator('.el-message').count(), { timeout: 10_000 }).toBe(0);
    await bothSizes(admin, 'saved-replies-admin-en', () =>
      admin.getByTestId('saved-shared').getByText('/refund').waitFor(),
    );

    // The agent sees them (shared: read-only for agents), beside their own.
    await agent.reload();
    const sharedSection = agent.getByTestId('saved-shared');
    await sharedSection.getByText('/refund').waitFor();
    expect(await sharedSection.getByRole('button', { name: '编辑' }).count()).toBe(0);
    expect(await personal.getByRole('button', { name: '编辑' }).count()).toBe(1);
    await bothSizes(agent, 'saved-replies-agent-zh', () =>
      sharedSection.getByText('/refund').waitFor(),
    );

    // A visitor writes; the agent opens the conversation.
    const session = await rest(server, 'POST', '/api/v1/visitor/session', undefined, { channelId });
    const visitorName = session.visitor.name as string;
    const said = await rest(server, 'POST', '/api/v1/visitor/messages', session.visitorToken, {
      clientMsgId: 'saved-e2e-1',
      type: 'text',
      body: '我想退款',
    });
    const conversationId = said.conversation.id as string;
    await agent.getByRole('navigation').getByRole('link', { name: '工作台' }).click();
    await agent.locator('.row', { hasText: visitorName }).click();
    const composer = agent.getByTestId('composer');
    await composer.waitFor();
    await composer.focus();

    // "/" opens the list: the agent's own first, then the shared ones.
    const picker = agent.getByTestId('saved-picker');
    const options = picker.getByTestId('saved-option');
    await composer.pressSequentially('/');
    await picker.waitFor();
    await expect.poll(() => options.count()).toBe(3);
    expect(await options.locator('.shortcut').allTextContents()).toEqual([
      '/tracking',
      '/hello',
      '/refund',
    ]);
    const listbox = picker.getByRole('listbox', { name: '快捷回复' });
    expect(await composer.getAttribute('aria-controls')).toBe(await listbox.getAttribute('id'));
    const activeOption = async () =>
      agent.evaluate(() => {
        const d = (globalThis as any).document;
        const id = d.activeElement.getAttribute('aria-activedescendant');
        return {
          focus: d.activeElement.dataset.testid as string,
          active: id ? (d.getElementById(id).querySelector('.shortcut').textContent as string) : '',
          selected: d.querySelector('[role=option][aria-selected=true] .shortcut')
            ?.textContent as string,
        };
      });
    expect(await activeOption()).toEqual({
      focus: 'composer',
      active: '/tracking',
      selected: '/tracking',
    });
    // ↓ ↓ ↑ moves through it; the focus stays in the composer.
    await composer.press('ArrowDown');
    await composer.press('ArrowDown');
    await composer.press('ArrowUp');
    expect(await activeOption()).toEqual({
      focus: 'composer',
      active: '/hello',
      selected: '/hello',
    });
    await bothSizes(agent, 'saved-replies-picker-zh', async () => {
      await picker.waitFor();
      await composer.focus();
    });

    // Esc closes it and leaves the text as typed; typing on, it stays closed for that word.
    await composer.press('Escape');
    await picker.waitFor({ state: 'hidden' });
    expect(await composer.inputValue()).toBe('/');
    await composer.pressSequentially('x');
    expect(await picker.isVisible()).toBe(false);
    await composer.fill('');

    // Part of a Chinese title finds it ("退款" in "退款说明"), and only it; Tab inserts it.
    await composer.pressSequentially('好的。 /退');
    await picker.waitFor();
    await composer.pressSequentially('款');
    await expect.poll(() => options.count()).toBe(1);
    await options.getByText('退款说明').waitFor();
    await composer.press('Tab');
    await picker.waitFor({ state: 'hidden' });
    const filled = `好的。 Hi ${visitorName}, refunds reach your card within 3 working days. — 林小雨`;
    expect(await composer.inputValue()).toBe(filled);
    expect(await activeOption()).toMatchObject({ focus: 'composer' });

    // Enter now sends it.
    await composer.press('Enter');
    await agent.locator('.msg.mine', { hasText: 'refunds reach your card' }).waitFor();
    expect(await composer.inputValue()).toBe('');
    const thread = await rest(
      server,
      'GET',
      `/api/v1/conversations/${conversationId}/messages`,
      session.visitorToken,
    );
    expect(thread.messages.at(-1)).toMatchObject({ body: filled, sender: { type: 'agent' } });

    // The button opens the same list; a click inserts. Unknown placeholders stay as typed.
    await agent.getByTestId('saved-open').click();
    await picker.waitFor();
    expect(await activeOption()).toMatchObject({ focus: 'composer' });
    await composer.pressSequentially('TRACK');
    await expect.poll(() => options.count()).toBe(1);
    await options.first().click();
    expect(await composer.inputValue()).toBe(
      `${visitorName} 您好，我是 林小雨。您的包裹已经发出，单号 {order.id}。`,
    );
    // Esc on a list the button opened, with nothing typed, takes its "/" back.
    await composer.fill('谢谢');
    await agent.getByTestId('saved-open').click();
    await picker.waitFor();
    expect(await composer.inputValue()).toBe('谢谢 /');
    await composer.press('Escape');
    await picker.waitFor({ state: 'hidden' });
    expect(await composer.inputValue()).toBe('谢谢');

    await agentContext.close();
    await adminContext.close();
  });
});
