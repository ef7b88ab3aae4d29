import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchBrowser } from './support/browser.js';
import { startE2eServer, type E2eServer } from './support/server.js';

describe('browser test harness', () => {
  let server: E2eServer;
  let browser: Browser;
  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer(), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('drives Chromium against the built server, which sends a strict CSP on pages', async () => {
    const page = await browser.newPage();
    const response = await page.goto(`${server.url}/healthz`);
    expect(response?.status()).toBe(200);
    expect(await page.textContent('body')).toContain('"status":"ok"');
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-eval');
    await page.close();
  });
});
