import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expectAccessible } from './accessibility.js';

/** Debian's Chromium, headless, with nothing that reaches for the network by itself. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

/**
 * Saves a screenshot under e2e/screenshots/ when SCREENSHOTS=1 (for a person to look at; the
 * folder is ignored by git).
 */
export async function screenshot(
  page: { screenshot(options: { path: string; fullPage?: boolean }): Promise<unknown> },
  name: string,
): Promise<void> {
  if (process.env.SCREENSHOTS !== '1') return;
  const dir = path.join(process.cwd(), 'e2e', 'screenshots');
  await fs.mkdir(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`) });
}

export const tmpDir = () => fs.mkdtemp(path.join(os.tmpdir(), 'ss-e2e-files-'));

/**
 * A screen a test stops to look at: audited for accessibility (WCAG 2 A and AA, in every run, so
 * every state the browser tests show is checked) and saved as a screenshot when SCREENSHOTS=1.
 */
export async function checkScreen(page: Page, name: string): Promise<void> {
  await expectAccessible(page, name);
  await screenshot(page, name);
}

/** Signs in to the console at `serverUrl` as a person does: the login form, then submit. */
export async function signIn(
  page: Page,
  serverUrl: string,
  username: string,
  password: string,
): Promise<void> {
  await page.goto(`${serverUrl}/console/`);
  await page.locator('input[name=username]').fill(username);
  await page.locator('input[name=password]').fill(password);
  await page.locator('button[type=submit]').click();
}

/**
 * An administrator's settings page, reached as a person does: the header's settings entry, then
 * the page's link in the settings row (`name` as the link reads, in the page's language).
 */
export async function openSettingsPage(page: Page, name: string): Promise<void> {
  const row = page.locator('[data-test=settings-nav]');
  if (!(await row.isVisible())) await page.locator('[data-test=nav-settings]').click();
  await row.getByRole('link', { name, exact: true }).click();
}

/** The two sizes every changed screen is looked at in: a laptop and a phone. */
export const desk = { width: 1280, height: 720 };
export const phone = { width: 390, height: 844 };

/**
 * A screen checked (and, with SCREENSHOTS=1, saved) at both sizes: the laptop first, then the
 * phone, then back to the laptop. `settle` runs after each resize, for the layout to follow
 * (by default a short wait).
 */
export async function checkBothSizes(
  page: Page,
  name: string,
  settle: () => Promise<void> = () => page.waitForTimeout(300),
): Promise<void> {
  await checkScreen(page, `${name}-${desk.width}x${desk.height}`);
  await page.setViewportSize(phone);
  await settle();
  await checkScreen(page, `${name}-${phone.width}x${phone.height}`);
  await page.setViewportSize(desk);
  await settle();
}
