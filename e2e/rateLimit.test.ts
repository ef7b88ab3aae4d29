import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { checkScreen, launchBrowser } from './support/browser.js';
import { rest, startE2eServer, type E2eServer } from './support/server.js';

/**
 * The visitor page under the per-visitor rate limit (a burst of 2, then one a second): messages
 * typed faster wait in the outbox and go out by themselves, in order, once each; none is shown as
 * failed.
 */
describe('the visitor page under the message rate limit', () => {
  let server: E2eServer;
  let browser: Browser;
  let agent: Socket;
  const heard: { body: string; seq: number }[] = [];

  beforeAll(async () => {
    [server, browser] = await Promise.all([
      startE2eServer({ VISITOR_MESSAGE_BURST: '2', VISITOR_MESSAGES_PER_MINUTE: '60' }),
      launchBrowser(),
    ]);
    const adminToken = await server.adminToken();
    await rest(server, 'POST', '/api/v1/agents', adminToken, {
      username: 'ria',
      displayName: 'Ria',
      password: 'ria-password-1',
    });
    const { token } = await rest(server, 'POST', '/api/v1/auth/login', undefined, {
      username: 'ria',
      password: 'ria-password-1',
    });
    agent = io(server.url, { auth: { token }, transports: ['websocket'] });
    agent.on(
      'message.created',
      ({ message }: { message: { body: string; seq: number; sender: { type: string } } }) => {
        if (message.sender.type === 'visitor') heard.push(message);
      },
    );
    await new Promise<void>((resolve) => agent.once('connect', () => resolve()));
    expect((await agent.emitWithAck('agent.status.set', { status: 'online' })).ok).toBe(true);
  });

  afterAll(async () => {
    agent?.close();
    await browser?.close();
    await server?.stop();
  });

  it('holds what is typed too fast and sends it by itself, in order, once', async () => {
    const context = await browser.newContext({ viewport: { width: 360, height: 640 } });
    const page = await context.newPage();
    try {
      await page.goto(`${server.url}/chat/?channel=${await server.channelId()}`);
      const box = page.getByRole('textbox');
      await box.waitFor();
      const texts = ['one', 'two', 'three', 'four'];
      for (const text of texts) {
        await box.fill(text);
        await page.getByTestId('send').click();
      }
      const mine = page.locator('[data-testid=my-message]');
      // Two went out at once; the others wait their turn instead of failing.
      await expect
        .poll(() => page.locator('[data-testid=my-message][data-state=sent]').count())
        .toBe(2);
      expect(await page.locator('[data-testid=my-message][data-state=failed]').count()).toBe(0);
      expect(heard.map((m) => m.body)).toEqual(['one', 'two']);
      // Messages waiting their turn are shown as such, readably.
      await checkScreen(page, 'rate-limit-held-360x640');

      await expect
        .poll(() => page.locator('[data-testid=my-message][data-state=sent]').count(), {
          timeout: 15_000,
        })
        .toBe(4);
      expect(await mine.count()).toBe(4);
      expect(heard.map((m) => m.body)).toEqual(texts);
      expect(heard.map((m) => m.seq)).toEqual([...heard.map((m) => m.seq)].sort((a, b) => a - b));
    } finally {
      await context.close();
    }
  });
});
