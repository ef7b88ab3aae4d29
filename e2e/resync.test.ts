import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTcpProxy } from '../apps/server/test/support/tcpProxy.js';
import { checkScreen, launchBrowser } from './support/browser.js';
import { rest as restCall, startE2eServer, type E2eServer } from './support/server.js';

/**
 * The resync after a reconnect must fetch everything stored while the client was away, even when
 * a live `message.created` arrives before the catch-up starts (docs/PROTOCOL.md, "Reconnecting
 * without losing anything"), and page on from each page's last seq while live messages keep
 * coming. Each test holds what the client awaits on reconnect (the conversation list; in the
 * console also the second catch-up page) until one more live message has been shown, then checks
 * that every message is shown once, in seq order.
 */

/**
 * Holds one request once armed: `reached` resolves when the request comes, `release` lets it go.
 */
function gate() {
  let armed = false;
  let arrive!: () => void;
  let release!: () => void;
  const reached = new Promise<void>((resolve) => (arrive = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  return {
    reached,
    release,
    arm: () => void (armed = true),
    /** Awaited by the route before it lets a matching request through. */
    async pass(): Promise<void> {
      if (!armed) return;
      armed = false;
      arrive();
      await released;
    },
  };
}

async function waitFor<T>(probe: () => T | undefined | false, what: string, ms = 15_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('resync after a reconnect, with a live message racing the catch-up', () => {
  let server: E2eServer;
  let browser: Browser;
  let channelId: string;
  let adminToken: string;

  const rest = (method: string, route: string, token?: string, body?: unknown) =>
    restCall(server, method, route, token, body);

  /** A socket.io client (agent or visitor) that sends text messages and records what it gets. */
  async function client(auth: { token: string }) {
    const socket: Socket = io(server.url, { auth, transports: ['websocket'] });
    const received: any[] = [];
    socket.on('message.created', (p: any) => received.push(p.message));
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    const send = async (body: string, conversationId?: string) => {
      const ack: any = await socket.emitWithAck('message.send', {
        ...(conversationId ? { conversationId } : {}),
        clientMsgId: `m${Math.random().toString(36).slice(2)}`,
        type: 'text',
        body,
      });
      expect(ack.ok).toBe(true);
      return ack.message as { conversationId: string; seq: number };
    };
    return { socket, received, send };
  }

  async function agent(username: string) {
    const password = `${username}-password-1`;
    await rest('POST', '/api/v1/agents', adminToken, { username, displayName: username, password });
    const { token } = await rest('POST', '/api/v1/auth/login', undefined, { username, password });
    return { token, password };
  }

  beforeAll(async () => {
    // A long grace, so the console's agent stays online (and keeps the conversation) while away;
    // a big burst, so a visitor can write more than one catch-up page (100) at once.
    [server, browser] = await Promise.all([
      startE2eServer({
        AGENT_OFFLINE_GRACE_SECONDS: '120',
        VISITOR_MESSAGE_BURST: '1000',
        SOCKET_EVENTS_BURST: '1000',
      }),
      launchBrowser(),
    ]);
    adminToken = await server.adminToken();
    channelId = await server.channelId();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('the agent console shows every message sent while it was away, once, in seq order', async () => {
    const alice = await agent('alice');
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    const page: Page = await context.newPage();
    // On a reconnect the console awaits `conversations.list` on the socket before it catches
    // up, then asks `messages.list` `after` a seq, page by page: hold the list, and the second
    // page (once armed), while the rest of the socket traffic flows.
    const listed = gate();
    const secondPage = gate();
    let pagesAsked = 0;
    await page.routeWebSocket(/\/socket\.io\//, (ws) => {
      const upstream = ws.connectToServer();
      ws.onMessage(async (frame) => {
        if (typeof frame === 'string' && frame.includes('"conversations.list"'))
          await listed.pass();
        if (typeof frame === 'string' && /"messages\.list",\{[^}]*"after"/.test(frame))
          if (++pagesAsked === 2) await secondPage.pass();
        upstream.send(frame);
      });
    });
    try {
      await page.goto(`${server.url}/console/`);
      await page.locator('input[name=username]').fill('alice');
      await page.locator('input[name=password]').fill(alice.password);
      await page.locator('button[type=submit]').click();
      await page.getByTestId('status').waitFor();
      await rest('PUT', '/api/v1/me/status', alice.token, { status: 'online' });

      const visitorSession = await rest('POST', '/api/v1/visitor/session', undefined, {
        channelId,
      });
      const visitor = await client({ token: visitorSession.visitorToken });
      const first = await visitor.send('hello before the drop');
      await page.locator('.row', { hasText: visitorSession.visitor.name }).click();
      const log = page.locator('.scroller');
      await log.getByText('hello before the drop').waitFor();

      // Away: the browser goes offline (the console drops its socket); the visitor writes more
      // than one catch-up page (100), so a live message can also come between two pages.
      await context.setOffline(true);
      await page.locator('.banner[role=alert]').waitFor();
      const away = Array.from({ length: 105 }, (_, i) => `away ${i + 1}`);
      for (const body of away) await visitor.send(body);

      // Back: the reconnect's conversation list is held until a live message has been shown,
      // then the second catch-up page until another one has.
      listed.arm();
      secondPage.arm();
      pagesAsked = 0;
      await context.setOffline(false);
      await listed.reached;
      await page.locator('.banner[role=alert]').waitFor({ state: 'detached' });
      await visitor.send('live before the catch-up');
      await log.getByText('live before the catch-up').waitFor();
      listed.release();
      await secondPage.reached;
      await visitor.send('live between two pages');
      await log.getByText('live between two pages').waitFor();
      secondPage.release();

      const expected = [
        'hello before the drop',
        ...away,
        'live before the catch-up',
        'live between two pages',
      ];
      const shown = () =>
        page
          .locator('.scroller .msg[data-seq]')
          .evaluateAll((els) =>
            els.map(
              (e) =>
                [
                  Number(e.getAttribute('data-seq')),
                  e.querySelector('.bubble')!.textContent!.trim(),
                ] as const,
            ),
          );
      await expect
        .poll(async () => (await shown()).map(([, text]) => text), { timeout: 10_000 })
        .toEqual(expected);
      // Settled: nothing more arrives, nothing twice, seqs ascending.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const rows = await shown();
      expect(rows.map(([, text]) => text)).toEqual(expected);
      const seqs = rows.map(([seq]) => seq);
      expect(seqs[0]).toBe(first.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).toBe(seqs.length);
      await checkScreen(page, 'resync-console');
      visitor.socket.close();
    } finally {
      listed.release();
      secondPage.release();
      await context.close();
    }
  });

  it('the visitor page shows every message sent while it was away, once, in seq order', async () => {
    const bob = await agent('bob');
    const agentSocket = await client({ token: bob.token });
    const online = await agentSocket.socket.emitWithAck('agent.status.set', { status: 'online' });
    expect(online.ok).toBe(true);
    // The visitor page through a TCP proxy that really cuts its socket.
    const proxy = await startTcpProxy('127.0.0.1', Number(new URL(server.url).port));
    const context = await browser.newContext({ viewport: { width: 360, height: 640 } });
    const page = await context.newPage();
    // On a reconnect the widget awaits the REST conversation list before it catches up: hold
    // that request (once armed).
    const listed = gate();
    await page.route('**/api/v1/visitor/conversations', async (route) => {
      await listed.pass();
      await route.continue();
    });
    try {
      await page.goto(`http://127.0.0.1:${proxy.port}/chat/?channel=${channelId}`);
      await page.getByRole('textbox').fill('hello before the drop');
      await page.getByTestId('send').click();
      const hello = await waitFor(
        () => agentSocket.received.find((m) => m.body === 'hello before the drop'),
        'the visitor’s first message',
      );
      const conversationId = hello.conversationId as string;
      await page.locator('[data-testid=my-message][data-state=sent]').waitFor();

      // Away: the line is cut (reconnects are refused until it is restored); the agent writes.
      proxy.cut();
      await page.getByTestId('connection-banner').waitFor();
      const away = ['away 1', 'away 2', 'away 3'];
      for (const body of away) await agentSocket.send(body, conversationId);

      // Back: the reconnect's conversation list is held until a live message has been shown.
      listed.arm();
      proxy.restore();
      await listed.reached;
      await page.getByTestId('connection-banner').waitFor({ state: 'detached' });
      const live = await agentSocket.send('live during the resync', conversationId);
      const theirs = page.locator('[data-testid=their-message] .bubble');
      await theirs.filter({ hasText: 'live during the resync' }).waitFor();
      listed.release();

      const expected = [...away, 'live during the resync'];
      await expect
        .poll(async () => (await theirs.allTextContents()).map((t) => t.trim()), {
          timeout: 10_000,
        })
        .toEqual(expected);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect((await theirs.allTextContents()).map((t) => t.trim())).toEqual(expected);
      // Everything stored is what the page shows (the server's seq order, nothing twice).
      const stored = await rest(
        'GET',
        `/api/v1/conversations/${conversationId}/messages?limit=100`,
        bob.token,
      );
      const agentTexts = stored.messages
        .filter((m: any) => m.sender.type === 'agent')
        .map((m: any) => m.body);
      expect(agentTexts).toEqual(expected);
      expect(stored.messages.at(-1).seq).toBe(live.seq);
      await checkScreen(page, 'resync-visitor');
    } finally {
      listed.release();
      await context.close();
      await proxy.close();
      agentSocket.socket.close();
    }
  });
});
