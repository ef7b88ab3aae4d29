import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { checkScreen, launchBrowser, signIn, openSettingsPage } from './support/browser.js';
import { startHostSite } from './support/hostSite.js';
import { rest, startE2eServer, type E2eServer } from './support/server.js';

/**
 * The satisfaction rating as people meet it: the visitor's page asks once when the agent ends
 * the conversation (five faces, by mouse or keyboard, an optional comment), thanks them, and
 * remembers after a reload; the agent's console shows the rating live, the comment as text; a
 * website embedding the chat hears a `rating` event. With SCREENSHOTS=1 every screen is saved.
 */
const desk = { width: 1280, height: 720 };
const phone = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true };

describe('satisfaction rating', () => {
  let server: E2eServer;
  let browser: Browser;
  let channelId: string;
  let agentToken: string;
  const contexts: BrowserContext[] = [];
  const context = async (options: Parameters<Browser['newContext']>[0]) => {
    const made = await browser.newContext(options);
    contexts.push(made);
    return made;
  };

  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer(), launchBrowser()]);
    channelId = await server.channelId();
    const admin = await server.adminToken();
    await rest(server, 'POST', '/api/v1/agents', admin, {
      username: 'rita',
      displayName: 'Rita',
      password: 'rita-password-1',
    });
    agentToken = await server.login('rita', 'rita-password-1');
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
  });

  /** A visitor page that has written `text`; answers its conversation's id. */
  async function visitorWrites(page: Page, text: string): Promise<string> {
    await page.goto(`${server.url}/chat/?channel=${channelId}`);
    await page.getByRole('textbox').fill(text);
    await page.getByRole('textbox').press('Enter');
    await page.locator('[data-testid=system-message][data-kind=assigned]').waitFor();
    const conversations = await rest(
      server,
      'GET',
      `/api/v1/conversations?state=active&limit=100`,
      agentToken,
    );
    const mine = conversations.conversations.find((c: any) => c.lastMessage?.body === text) as {
      id: string;
    };
    return mine.id;
  }

  it('the visitor rates by mouse on a phone; the agent sees it live; a reload does not ask again', async () => {
    const console = await (await context({ viewport: desk, locale: 'en-US' })).newPage();
    await signIn(console, server.url, 'rita', 'rita-password-1');
    await console.getByTestId('status').waitFor();

    const visitor = await (await context({ ...phone, locale: 'en-US' })).newPage();
    const id = await visitorWrites(visitor, 'Where is my parcel?');
    await console.locator(`[data-conversation="${id}"]`).click();
    await rest(server, 'POST', `/api/v1/conversations/${id}/end`, agentToken);

    const card = visitor.getByTestId('rating-card');
    await card.waitFor();
    expect(await card.getAttribute('data-state')).toBe('asking');
    // Five choices, named for screen readers; nothing to send before one is chosen.
    const faces = visitor.getByRole('radio');
    expect(await faces.count()).toBe(5);
    expect(await visitor.getByRole('radio', { name: '5 out of 5: Very happy' }).count()).toBe(1);
    expect(await visitor.getByTestId('rating-send').count()).toBe(0);
    await visitor.getByTestId('rating-card').scrollIntoViewIfNeeded();
    await checkScreen(visitor, 'rating-visitor-ask-390x844');

    await visitor.locator('[data-score="4"]').click();
    expect(await visitor.getByRole('radio', { name: '4 out of 5: Happy' }).isChecked()).toBe(true);
    const comment = 'Quick answer <img src=x onerror="document.title=1">, thanks!';
    await visitor.getByTestId('rating-comment').fill(comment);
    await checkScreen(visitor, 'rating-visitor-chosen-390x844');
    await visitor.getByTestId('rating-send').click();
    await expect.poll(() => card.getAttribute('data-state')).toBe('rated');
    expect(await card.textContent()).toContain('Thanks for your feedback!');
    expect(await card.textContent()).toContain('Your rating: Happy');
    await checkScreen(visitor, 'rating-visitor-thanks-390x844');

    // The agent's open conversation shows it at once: the score, and the comment as text.
    const full = console.getByTestId('rating-full');
    await full.waitFor();
    expect(await full.getAttribute('data-score')).toBe('4');
    expect(await console.getByTestId('rating-comment').textContent()).toBe(comment);
    expect(await full.locator('img').count()).toBe(0);
    expect(await console.title()).not.toBe('1');
    expect(await full.getByRole('img').getAttribute('aria-label')).toBe(
      'Visitor rated 4 out of 5: Happy',
    );
    await checkScreen(console, 'rating-console-1280x720');

    // Ended conversations carry it in the list too, after a reload of the console.
    await console.reload();
    await console.getByRole('tab', { name: /Ended/ }).click();
    await console.locator(`[data-conversation="${id}"]`).getByTestId('rating-chip').waitFor();

    // The visitor reloads: thanked again, not asked again.
    await visitor.reload();
    await card.waitFor();
    expect(await card.getAttribute('data-state')).toBe('rated');
    expect(await visitor.getByRole('radio').count()).toBe(0);

    // The agent on a phone sees the same.
    const agentPhone = await (await context({ ...phone, locale: 'en-US' })).newPage();
    await signIn(agentPhone, server.url, 'rita', 'rita-password-1');
    await agentPhone.getByTestId('status').waitFor();
    await agentPhone.getByRole('tab', { name: /Ended/ }).click();
    await agentPhone.locator(`[data-conversation="${id}"]`).click();
    await agentPhone.getByTestId('rating-full').waitFor();
    await checkScreen(agentPhone, 'rating-console-390x844');
    await agentPhone.close();
  });

  it('the keyboard alone rates on a desktop page inside a website, which hears a rating event', async () => {
    const site = await startHostSite(server.url, channelId);
    try {
      const admin = await server.adminToken();
      await rest(server, 'PATCH', `/api/v1/channels/${channelId}`, admin, {
        allowedOrigins: [site.origin],
      });
      const page = await (await context({ viewport: desk, locale: 'en-US' })).newPage();
      await page.goto(`${site.origin}/`);
      await page.waitForFunction(() => 'ServiceSystem' in globalThis);
      await page.evaluate(() => {
        const w = globalThis as any;
        w.ratings = [];
        w.ServiceSystem.on('rating', (value: unknown) => w.ratings.push(value));
        w.ServiceSystem.open();
      });
      const chat = page.frameLocator('iframe[title="Shop support"]');
      await chat.getByRole('textbox').fill('Do you ship abroad?');
      await chat.getByRole('textbox').press('Enter');
      await chat.locator('[data-testid=system-message][data-kind=assigned]').waitFor();
      const listed = await rest(server, 'GET', '/api/v1/conversations?state=active', agentToken);
      const id = listed.conversations.find(
        (c: any) => c.lastMessage?.body === 'Do you ship abroad?',
      ).id as string;
      await rest(server, 'POST', `/api/v1/conversations/${id}/end`, agentToken);
      await chat.getByTestId('rating-card').waitFor();
      await checkScreen(page, 'rating-visitor-ask-embedded-1280x720');

      // Focus reaches the first face; arrow keys choose; Tab goes on to the comment and Send.
      await chat.getByRole('radio').first().focus();
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('ArrowRight');
      expect(await chat.getByRole('radio', { name: '5 out of 5: Very happy' }).isChecked()).toBe(
        true,
      );
      await page.keyboard.press('Tab');
      await page.keyboard.type('Great service');
      await page.keyboard.press('Tab');
      await page.keyboard.press('Enter');
      await expect
        .poll(() => chat.getByTestId('rating-card').getAttribute('data-state'))
        .toBe('rated');
      await expect
        .poll(() => page.evaluate(() => (globalThis as any).ratings))
        .toEqual([{ conversationId: id, score: 5 }]);
      const stored = await rest(server, 'GET', `/api/v1/conversations/${id}`, agentToken);
      expect(stored.conversation.rating).toMatchObject({ score: 5, comment: 'Great service' });
      await checkScreen(page, 'rating-visitor-thanks-embedded-1280x720');
    } finally {
      await site.close();
    }
  });

  it('a channel that does not ask shows no card', async () => {
    const admin = await server.adminToken();
    await rest(server, 'PATCH', `/api/v1/channels/${channelId}`, admin, { ratingEnabled: false });
    try {
      const visitor = await (await context({ ...phone, locale: 'zh-CN' })).newPage();
      const id = await visitorWrites(visitor, '还在吗？');
      await rest(server, 'POST', `/api/v1/conversations/${id}/end`, agentToken);
      await visitor.locator('[data-testid=system-message][data-kind=ended]').waitFor();
      expect(await visitor.getByTestId('rating-card').count()).toBe(0);
    } finally {
      await rest(server, 'PATCH', `/api/v1/channels/${channelId}`, admin, { ratingEnabled: true });
    }
  });

  it('an administrator turns on the idle end and the hand-back on the Channels page', async () => {
    const page = await (await context({ viewport: desk, locale: 'en-US' })).newPage();
    await signIn(page, server.url, 'admin', 'e2e-admin-password');
    await openSettingsPage(page, 'Channels');
    const idle = page.locator('[data-test=idle-end]');
    await idle.waitFor();
    // Off by default, with the suggested minutes said beside each switch.
    expect(await page.locator('[data-test=idle-end-minutes]').count()).toBe(0);
    expect(await page.getByText('Suggested: 30 minutes.').count()).toBe(1);
    expect(await page.getByText('Suggested: 10 minutes.').count()).toBe(1);
    await idle.click();
    await page.locator('[data-test=absent-hand-back]').click();
    const minutes = page.locator('[data-test=absent-minutes] input');
    await minutes.fill('15');
    await minutes.press('Tab');
    // Turning one on offers the suggested minutes.
    expect(await page.locator('[data-test=idle-end-minutes] input').inputValue()).toBe('30');
    await page.locator('[data-test=idle-end-minutes]').scrollIntoViewIfNeeded();
    await checkScreen(page, 'rating-channel-settings-1280x720');
    await page.locator('.save-bar button[type=submit]').click();
    await expect
      .poll(async () => {
        const answer = await rest(server, 'GET', `/api/v1/channels/${channelId}`, agentToken);
        const c = answer.channel;
        return [c.idleEndMinutes, c.absentAgentMinutes, c.ratingEnabled];
      })
      .toEqual([30, 15, true]);

    // On a phone, after a reload: the saved values, the labels above their fields.
    await page.setViewportSize(phone.viewport);
    await page.reload();
    await page.locator('[data-test=absent-minutes]').waitFor();
    expect(await page.locator('[data-test=absent-minutes] input').inputValue()).toBe('15');
    await page.locator('[data-test=idle-end-minutes]').scrollIntoViewIfNeeded();
    await checkScreen(page, 'rating-channel-settings-390x844');

    // Back to off for whatever runs next.
    const admin = await server.adminToken();
    await rest(server, 'PATCH', `/api/v1/channels/${channelId}`, admin, {
      idleEndMinutes: null,
      absentAgentMinutes: null,
    });
  });
});
