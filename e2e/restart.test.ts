import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { checkScreen, launchBrowser } from './support/browser.js';
import { rest, startE2eServer, type E2eServer } from './support/server.js';

/**
 * A server restarted (SIGTERM, then started again) under open pages, as in a rolling restart:
 * the visitor page and an agent's socket come back by themselves and nothing is lost.
 */
describe('a restart under open pages', () => {
  let server: E2eServer;
  let browser: Browser;
  let agent: Socket;
  const heard: string[] = [];

  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer(), launchBrowser()]);
    const adminToken = await server.adminToken();
    await rest(server, 'POST', '/api/v1/accounts', adminToken, {
      username: 'rhea',
      displayName: 'Rhea',
      password: 'rhea-password-1',
    });
    const token = await server.login('rhea', 'rhea-password-1');
    agent = io(server.url, { auth: { token }, transports: ['websocket'] });
    agent.on('message.created', (p: { message: { body: string } }) => heard.push(p.message.body));
    await new Promise<void>((resolve) => agent.once('connect', () => resolve()));
  });
  afterAll(async () => {
    agent?.disconnect();
    await browser?.close();
    await server?.stop();
  });

  it('the visitor page reconnects by itself, without a lasting banner, and what it sends arrives once', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    try {
      const page = await context.newPage();
      await page.goto(`${server.url}/chat/?channel=${await server.channelId()}`);
      const send = async (text: string) => {
        await page.getByRole('textbox').fill(text);
        await page.getByTestId('send').click();
      };
      await send('before the restart');
      await expect.poll(() => heard.includes('before the restart')).toBe(true);

      const stoppedAt = Date.now();
      await server.restart();
      // Back within seconds: the banner goes by itself, and the agent's socket is back too.
      await page.getByTestId('connection-banner').waitFor({ state: 'detached', timeout: 15_000 });
      expect(Date.now() - stoppedAt).toBeLessThan(20_000);
      await expect.poll(() => agent.connected, { timeout: 15_000 }).toBe(true);

      await send('after the restart');
      await expect.poll(() => heard.filter((b) => b === 'after the restart').length).toBe(1);
      await expect
        .poll(() => page.locator('[data-testid=my-message][data-state=sent]').count())
        .toBe(2);
      expect(heard.filter((b) => b === 'before the restart')).toHaveLength(1);
      await checkScreen(page, 'restart-visitor-390x844');
    } finally {
      await context.close();
    }
  });
});
