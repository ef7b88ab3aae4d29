import { SignJWT } from 'jose';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { checkScreen, launchBrowser, openSettingsPage } from './support/browser.js';
import { e2eAdmin, rest as restCall, startE2eServer, type E2eServer } from './support/server.js';

/**
 * Stored XSS, in the real browser under the real Content-Security-Policy: markup written by one
 * side (messages, names, attributes, channel texts) must reach the other side as text. Each
 * payload would run script if it became markup; the DOM checks prove it did not become markup
 * (whatever the CSP would then have blocked), the dialog and CSP-violation checks prove nothing
 * even tried, while the pages did their work.
 */
const payloads = [
  '<img src=x onerror=alert(1)>',
  '<script>alert(2)</script>',
  '<a href="javascript:alert(3)">click me</a>',
  'javascript:alert(4)',
  '[click](javascript:alert(5))',
  '<svg onload=alert(6)>',
  '<iframe src="javascript:alert(7)"></iframe>',
  'https://example.com/"><img src=x onerror=alert(8)>',
  '{{ constructor.constructor("alert(9)")() }}',
  'data:text/html,<script>alert(10)</script>',
];

const agentName = 'Alice <img src=x onerror=alert(11)>';
const channelName = 'Shop <script>alert(12)</script>';
const welcome = 'Welcome! <img src=x onerror=alert(13)>';
const visitorName = '<img src=x onerror=alert(14)>';
const visitorSub = '<script>alert(15)</script>';
const visitorAttributes = {
  plan: '<b onmouseover=alert(16)>gold</b>',
  note: 'javascript:alert(17)',
};

/** Records dialogs and CSP violations on every page of the context. */
async function watch(context: BrowserContext) {
  const dialogs: string[] = [];
  const cspReports: string[] = [];
  const requested: string[] = [];
  // Runs in the page (no DOM types here: the e2e files compile against Node's library).
  await context.addInitScript(() => {
    const page = globalThis as any;
    const seen: string[] = [];
    page.__csp = seen;
    page.document.addEventListener('securitypolicyviolation', (e: any) =>
      seen.push(`${e.violatedDirective} ${e.blockedURI}`),
    );
  });
  context.on('request', (request) => requested.push(request.url()));
  context.on('page', (page) => {
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) {
        cspReports.push(message.text());
      }
    });
  });
  return {
    dialogs,
    requested,
    async violations(page: Page) {
      const inPage = await page.evaluate(() => (globalThis as any).__csp as string[]);
      return [...inPage, ...cspReports];
    },
  };
}

/** Everything in the page that markup from a message would have made. */
function injected(page: Page) {
  return page.evaluate(() => {
    const document = (globalThis as any).document;
    const all: any[] = [...document.querySelectorAll('*')];
    const short = (el: any) => String(el.outerHTML).slice(0, 120);
    return {
      handlerAttributes: all
        .filter((el) => [...el.attributes].some((a: any) => /^on/i.test(a.name)))
        .map(short),
      scriptUrls: all
        .filter((el) =>
          ['href', 'src', 'action', 'formaction', 'xlink:href'].some((name) =>
            /^\s*(javascript|vbscript):/i.test(el.getAttribute(name) ?? ''),
          ),
        )
        .map(short),
      dataLinks: [...document.querySelectorAll('a[href^="data:" i]')].map(short),
      imagesFromMessages: document.querySelectorAll('img[src="x"]').length as number,
      frames: document.querySelectorAll('iframe, object, embed').length as number,
      inlineScripts: [...document.scripts].filter((s: any) => !s.src).length,
      boldFromAttributes: document.querySelectorAll('b[onmouseover]').length as number,
    };
  });
}

const nothingInjected = {
  handlerAttributes: [],
  scriptUrls: [],
  dataLinks: [],
  imagesFromMessages: 0,
  frames: 0,
  inlineScripts: 0,
  boldFromAttributes: 0,
};

/** Nothing injected ran: no trace in the page, no dialog, no violation of the policy. */
async function expectNothingRan(page: Page, guard: Awaited<ReturnType<typeof watch>>) {
  expect(await injected(page)).toEqual(nothingInjected);
  expect(guard.dialogs).toEqual([]);
  expect(await guard.violations(page)).toEqual([]);
}

/** Where the links inside `scope` lead. */
const hrefsIn = (scope: Locator) =>
  scope
    .locator('a')
    .evaluateAll((links) => links.map((a: any) => a.getAttribute('href') as string));

describe('stored XSS, in Chromium under the CSP', () => {
  let server: E2eServer;
  let browser: Browser;
  let adminToken: string;
  let channel: { id: string; identitySecret: string };
  let alice: { id: string; token: string };

  const api = (method: string, route: string, token?: string, body?: unknown) =>
    restCall(server, method, route, token, body);

  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer(), launchBrowser()]);
    adminToken = await server.adminToken();
    channel = (
      await api('POST', '/api/v1/channels', adminToken, {
        name: channelName,
        welcomeMessage: welcome,
      })
    ).channel;
    const created = await api('POST', '/api/v1/agents', adminToken, {
      username: 'alice',
      displayName: agentName,
      password: 'alice-password-1',
    });
    const login = await api('POST', '/api/v1/auth/login', undefined, {
      username: 'alice',
      password: 'alice-password-1',
    });
    alice = { id: created.agent.id, token: login.token };
    await api('PUT', '/api/v1/me/status', alice.token, { status: 'online' });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('a visitor’s markup (messages, name, id, attributes, avatar) shows as text in the agent console', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const guard = await watch(context);
    const page = await context.newPage();
    const response = await page.goto(`${server.url}/console/`);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.locator('input[name=username]').fill('alice');
    await page.locator('input[name=password]').fill('alice-password-1');
    await page.locator('button[type=submit]').click();
    await page.getByTestId('status').waitFor();

    // An identified visitor whose host app put markup everywhere it could.
    const identity = await new SignJWT({
      name: visitorName,
      avatar: 'https://example.invalid/a.png"onerror="alert(18)',
      attributes: visitorAttributes,
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(visitorSub)
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(channel.identitySecret));
    const session = await api('POST', '/api/v1/visitor/session', undefined, {
      channelId: channel.id,
      identity,
    });
    const visitor: Socket = io(server.url, {
      auth: { token: session.visitorToken },
      transports: ['websocket'],
    });
    await new Promise<void>((resolve, reject) => {
      visitor.once('connect', resolve);
      visitor.once('connect_error', reject);
    });
    let n = 0;
    for (const body of payloads) {
      const ack = await visitor.emitWithAck('message.send', {
        clientMsgId: `x${n++}`,
        type: 'text',
        body,
      });
      expect(ack.ok, JSON.stringify(ack)).toBe(true);
    }

    const row = page.locator('.row', { hasText: visitorName });
    await row.click();
    const scroller = page.locator('.scroller');
    await scroller.getByText(payloads.at(-1)!, { exact: true }).waitFor();
    const log = await scroller.innerText();
    for (const body of payloads) expect(log).toContain(body);
    const panel = await page.locator('aside.panel').innerText();
    for (const text of [visitorName, visitorSub, ...Object.values(visitorAttributes)]) {
      expect(panel).toContain(text);
    }
    expect(await page.locator('.head').innerText()).toContain(visitorName);
    // Only http(s) text became links, and those are plain ones.
    expect(await hrefsIn(scroller)).toEqual(['https://example.com/']);

    await expectNothingRan(page, guard);
    await checkScreen(page, 'security-console-xss-as-text');
    visitor.close();
    await context.close();
  });

  it('an agent’s markup (replies, name, channel texts) shows as text on the visitor page', async () => {
    const context = await browser.newContext({
      viewport: { width: 360, height: 640 },
      isMobile: true,
      hasTouch: true,
    });
    const guard = await watch(context);
    const page = await context.newPage();
    const response = await page.goto(`${server.url}/chat/?channel=${channel.id}`);
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("script-src-attr 'none'");
    await page.getByRole('textbox').fill('hello from the visitor page');
    await page.getByTestId('send').click();
    await expect.poll(() => page.getByTestId('chat-title').textContent()).toBe(agentName);

    const listed = await api('GET', `/api/v1/conversations?agentId=${alice.id}`, adminToken);
    // The visitor page's conversation: the one whose messages hold what the page sent.
    const candidates: { id: string; messages: { body: string }[] }[] = await Promise.all(
      listed.conversations.map(async (c: { id: string }) => ({
        id: c.id,
        messages: (await api('GET', `/api/v1/conversations/${c.id}/messages`, alice.token))
          .messages as { body: string }[],
      })),
    );
    const ours = candidates.find((c) =>
      c.messages.some((m) => m.body === 'hello from the visitor page'),
    );
    expect(ours).toBeDefined();
    let n = 0;
    for (const body of payloads) {
      await api('POST', `/api/v1/conversations/${ours!.id}/messages`, alice.token, {
        clientMsgId: `a${n++}`,
        type: 'text',
        body,
      });
    }
    await page.getByText(payloads.at(-1)!, { exact: true }).waitFor();
    const text = await page.locator('body').innerText();
    for (const body of [...payloads, welcome, channelName, agentName]) {
      expect(text).toContain(body);
    }
    expect(await hrefsIn(page.locator('body'))).toEqual(['https://example.com/']);

    await expectNothingRan(page, guard);
    // The page works under the policy: no font it declares comes from a third party.
    const fontSources = await page.evaluate(() => {
      const sources: string[] = [];
      for (const sheet of (globalThis as any).document.styleSheets) {
        for (const rule of sheet.cssRules) {
          if (rule.constructor.name === 'CSSFontFaceRule') sources.push(rule.style.src as string);
        }
      }
      return sources;
    });
    for (const src of fontSources) {
      for (const [, url] of src.matchAll(/url\("?([^")]*)"?\)/g)) {
        expect(
          url!.startsWith('data:') || url!.startsWith(server.url) || url!.startsWith('/'),
        ).toBe(true);
      }
    }
    expect(guard.requested.filter((url) => !url.startsWith(server.url))).toEqual([]);
    await checkScreen(page, 'security-widget-xss-as-text');
    await context.close();
  });

  it('the admin’s audit log page lists who did what, names as text', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const guard = await watch(context);
    const page = await context.newPage();
    await page.goto(`${server.url}/console/`);
    // An English browser: the console is in English.
    await page.locator('input[name=username]').fill(e2eAdmin.username);
    await page.locator('input[name=password]').fill(e2eAdmin.password);
    await page.locator('button[type=submit]').click();
    await openSettingsPage(page, 'Audit log');
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    const table = page.getByTestId('audit-table');
    const channelRow = table.locator('.el-table__row', { hasText: 'Created channel' }).filter({
      hasText: channelName,
    });
    await channelRow.waitFor();
    expect(await channelRow.innerText()).toContain(e2eAdmin.username);
    const agentRow = table
      .locator('.el-table__row', { hasText: 'Created account' })
      .filter({ hasText: 'alice' });
    expect(await agentRow.innerText()).toContain(`Display name: ${agentName}`);
    expect(await agentRow.innerText()).toContain('Password (not logged)');
    // The first-run setup, by the first start (not the command line).
    await table.locator('.el-table__row', { hasText: 'First start' }).first().waitFor();

    // Filter by action.
    await page.getByTestId('audit-action').click();
    await page.locator('.el-select-dropdown__item', { hasText: 'Created account' }).click();
    await expect
      .poll(async () => (await table.locator('.el-table__row').allInnerTexts()).length)
      .toBe(2);
    for (const line of await table.locator('.el-table__row').allInnerTexts()) {
      expect(line).toContain('Created account');
    }
    await checkScreen(page, 'console-audit-log');

    await expectNothingRan(page, guard);
    await context.close();
  });
});
