import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import {
  launchBrowser,
  openSettingsPage,
  signIn,
  checkBothSizes,
  desk,
} from './support/browser.js';
import { e2eAdmin, rest, startE2eServer, type E2eServer } from './support/server.js';

/**
 * Webhooks at the console, in a real browser, against a real local receiver: an admin registers
 * an endpoint, events reach the receiver signed, the deliveries view shows them, a test event
 * and a failure show up, and "send again" delivers. Audited at 1280 × 720 and 390 × 844.
 */

interface Hit {
  type: string;
  id: string;
  signature: string;
  body: string;
}

async function startReceiver() {
  const hits: Hit[] = [];
  let status = 200;
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      const json = JSON.parse(body) as { type: string; id: string };
      hits.push({
        type: json.type,
        id: json.id,
        signature: String(request.headers['servicesystem-signature']),
        body,
      });
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    hits,
    answer: (code: number) => (status = code),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function until(check: () => boolean, what: string) {
  const deadline = Date.now() + 20_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('webhooks at the console', () => {
  let server: E2eServer;
  let browser: Browser;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    receiver = await startReceiver();
    [server, browser] = await Promise.all([
      startE2eServer({ WEBHOOK_ALLOW_PRIVATE: '1' }),
      launchBrowser(),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await receiver?.close();
  });

  it('an admin registers an endpoint, watches its deliveries, tests it and sends a failure again', async () => {
    const context = await browser.newContext({ viewport: desk, locale: 'en' });
    const page = await context.newPage();
    await signIn(page, server.url, e2eAdmin.username, e2eAdmin.password);
    await openSettingsPage(page, 'Webhooks');
    await page.getByRole('heading', { name: 'Webhooks' }).waitFor();
    await page.getByText('No webhooks yet.').waitFor();

    // Create: URL, events (two are ticked already), a description.
    await page.getByTestId('webhook-new').click();
    const dialog = page.getByRole('dialog', { name: 'New webhook' });
    await dialog.getByTestId('webhook-url').fill(receiver.url);
    await dialog.getByPlaceholder('What it feeds').fill('CRM');
    await dialog.getByText('A conversation ends').click();
    await checkBothSizes(page, 'webhooks-create');
    await dialog.getByTestId('webhook-save').click();
    const row = page.getByTestId('webhook-rows').locator('li').first();
    await row.getByText(receiver.url).waitFor();
    await row.getByText('conversation.ended').waitFor();

    const adminToken = await server.adminToken();
    const [hook] = (await rest(server, 'GET', '/api/v1/webhooks', adminToken)).webhooks;
    expect(hook.events.sort()).toEqual(
      ['conversation.created', 'conversation.ended', 'message.created'].sort(),
    );

    // A visitor writes: conversation.created and message.created reach the receiver, signed.
    const session = await rest(server, 'POST', '/api/v1/visitor/session', undefined, {
      channelId: await server.channelId(),
    });
    await rest(server, 'POST', '/api/v1/visitor/messages', session.visitorToken, {
      clientMsgId: 'hook-1',
      type: 'text',
      body: 'Is my parcel on its way?',
    });
    await until(
      () => receiver.hits.some((h) => h.type === 'conversation.created'),
      'conversation.created',
    );
    for (const hit of receiver.hits) {
      const [t, v1] = hit.signature.split(',').map((part) => part.split('=')[1]);
      const expected = createHmac('sha256', hook.secret).update(`${t}.${hit.body}`).digest('hex');
      expect(v1).toBe(expected);
    }

    // The deliveries view shows them; a test event fails once (500), then is sent again.
    await page.reload();
    await page.getByTestId('webhook-rows').getByText('Delivered').first().waitFor();
    await row.getByTestId('webhook-deliveries').click();
    const log = page.getByRole('dialog', { name: /Deliveries/ });
    await log.getByText('conversation.created').waitFor();
    receiver.answer(500);
    await log.getByTestId('webhook-test').click();
    await until(() => receiver.hits.some((h) => h.type === 'ping'), 'the ping');
    await page.waitForTimeout(300);
    await log.getByRole('radio', { name: 'Pending' }).click({ force: true });
    await log.getByText('HTTP 500').waitFor();
    await log.getByRole('radio', { name: 'All' }).click({ force: true });
    await log.getByText('HTTP 500').waitFor();
    await checkBothSizes(page, 'webhooks-deliveries');

    receiver.answer(204);
    const pings = () => receiver.hits.filter((h) => h.type === 'ping');
    await log
      .locator('li[data-state="pending"]')
      .getByRole('button', { name: 'Send again' })
      .click();
    await until(() => pings().length >= 2, 'the ping sent again');
    expect(new Set(pings().map((h) => h.id)).size).toBe(1);
    await log.getByRole('radio', { name: 'Delivered' }).click({ force: true });
    await until(() => true, '');
    await log.locator('li[data-state="delivered"]').getByText('ping').waitFor();
    await page.keyboard.press('Escape');

    // Edit: the secret is shown with copy and rotate; rotating changes it.
    await row.getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit webhook' });
    await edit.getByTestId('webhook-secret').getByText(hook.secret).waitFor();
    await checkBothSizes(page, 'webhooks-edit');
    await edit.getByRole('button', { name: 'Rotate' }).click();
    await page
      .getByRole('dialog', { name: 'Rotate' })
      .getByRole('button', { name: 'Rotate' })
      .click();
    await page.getByText('A new secret was made').waitFor();
    const [rotated] = (await rest(server, 'GET', '/api/v1/webhooks', adminToken)).webhooks;
    expect(rotated.secret).not.toBe(hook.secret);
    await edit.getByTestId('webhook-secret').getByText(rotated.secret).waitFor();
    await edit.getByRole('button', { name: 'Cancel' }).click();

    // The list, both sizes; then switched off from the list.
    await checkBothSizes(page, 'webhooks-list');
    await row.getByTestId('webhook-enabled').click();
    await until(() => true, '');
    await page.waitForTimeout(300);
    const [off] = (await rest(server, 'GET', '/api/v1/webhooks', adminToken)).webhooks;
    expect(off.enabled).toBe(false);
    await context.close();
  });
});
