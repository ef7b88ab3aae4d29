import type { BrowserContext, CDPSession, Page } from 'playwright-core';

/** A network to emulate: download speed in bits a second and a round-trip time. */
export interface NetworkProfile {
  name: string;
  bitsPerSecond: number;
  latencyMs: number;
}

export const slowMobile: NetworkProfile = {
  name: '1.6 Mbps / 150 ms',
  bitsPerSecond: 1.6e6,
  latencyMs: 150,
};
export const fastMobile: NetworkProfile = {
  name: '9 Mbps / 60 ms',
  bitsPerSecond: 9e6,
  latencyMs: 60,
};

export interface Transfer {
  url: string;
  /** The resource's type as DevTools names it: Document, Script, Stylesheet, Font, XHR, ... */
  type: string;
  /** Bytes on the wire, headers included (what DevTools calls "transferred"). */
  bytes: number;
  /** Served from the browser's cache without downloading it again. */
  fromCache: boolean;
  startMs: number;
  endMs: number;
}

/**
 * Watches one page's network through the DevTools protocol: every request that finishes, with the
 * bytes it moved, and the WebSocket frames' payloads. Times are milliseconds since `start()`.
 */
export class NetworkLog {
  readonly transfers: Transfer[] = [];
  webSocketBytes = 0;
  private readonly pending = new Map<
    string,
    { url: string; type: string; startMs: number; fromCache: boolean }
  >();
  private origin = 0;

  private constructor(readonly session: CDPSession) {}

  static async attach(context: BrowserContext, page: Page): Promise<NetworkLog> {
    const session = await context.newCDPSession(page);
    const log = new NetworkLog(session);
    await session.send('Network.enable');
    session.on('Network.requestWillBeSent', (e) => {
      log.pending.set(e.requestId, {
        url: e.request.url,
        type: e.type ?? 'Other',
        startMs: log.now(),
        fromCache: false,
      });
    });
    session.on('Network.requestServedFromCache', (e) => {
      const request = log.pending.get(e.requestId);
      if (request) request.fromCache = true;
    });
    session.on('Network.responseReceived', (e) => {
      const request = log.pending.get(e.requestId);
      if (!request) return;
      request.type = e.type;
      if (e.response.fromDiskCache || e.response.fromPrefetchCache) request.fromCache = true;
    });
    session.on('Network.loadingFinished', (e) => {
      const request = log.pending.get(e.requestId);
      if (!request) return;
      log.pending.delete(e.requestId);
      log.transfers.push({
        ...request,
        bytes: request.fromCache ? 0 : e.encodedDataLength,
        endMs: log.now(),
      });
    });
    // A WebSocket's opening handshake is a round trip on the way to a live page; its frames'
    // payloads count as bytes.
    session.on('Network.webSocketCreated', (e) => {
      log.pending.set(e.requestId, {
        url: e.url,
        type: 'WebSocket',
        startMs: log.now(),
        fromCache: false,
      });
    });
    session.on('Network.webSocketHandshakeResponseReceived', (e) => {
      const request = log.pending.get(e.requestId);
      if (!request) return;
      log.pending.delete(e.requestId);
      log.transfers.push({ ...request, bytes: 0, endMs: log.now() });
    });
    session.on('Network.webSocketFrameReceived', (e) => {
      log.webSocketBytes += e.response.payloadData.length;
    });
    session.on('Network.webSocketFrameSent', (e) => {
      log.webSocketBytes += e.response.payloadData.length;
    });
    log.start();
    return log;
  }

  /** Emulates a network (throttled download and upload, added latency), or none. */
  async emulate(profile: NetworkProfile | null): Promise<void> {
    await this.session.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: profile?.latencyMs ?? 0,
      downloadThroughput: profile ? profile.bitsPerSecond / 8 : -1,
      // Phones send slower than they receive; a visitor page sends little before it is usable.
      uploadThroughput: profile ? profile.bitsPerSecond / 16 : -1,
    });
  }

  start(): void {
    this.origin = performance.now();
  }

  now(): number {
    return performance.now() - this.origin;
  }

  /** Everything moved so far: finished requests and WebSocket payloads. */
  bytes(): number {
    return this.transfers.reduce((sum, t) => sum + t.bytes, 0) + this.webSocketBytes;
  }

  /**
   * The waves of requests that had to wait for an earlier answer: a request that starts after the
   * first answer of the current wave arrived begins a new one. The page's critical path in round
   * trips, as this network saw it.
   */
  waves(until = Infinity): number {
    const sorted = this.transfers
      .filter((t) => !t.fromCache && t.startMs <= until)
      .sort((a, b) => a.startMs - b.startMs);
    let waves = 0;
    let firstAnswer = -Infinity;
    for (const t of sorted) {
      if (t.startMs >= firstAnswer) {
        waves += 1;
        firstAnswer = t.endMs;
      } else {
        firstAnswer = Math.min(firstAnswer, t.endMs);
      }
    }
    return waves;
  }
}

export interface LoadFigures {
  /** Bytes transferred before the page was usable. */
  bytes: number;
  /** From navigation to usable. */
  ms: number;
  /** Round trips on the critical path (see NetworkLog.waves). */
  waves: number;
  /** The least time this profile allows for these bytes and round trips. */
  floorMs: number;
  transfers: Transfer[];
}

/**
 * Watches, from the page's first moment, for `selector` to match an element that is laid out and
 * not disabled, and notes when (performance.now(): milliseconds since the navigation began). Timed
 * inside the page, on every DOM change, so the figure does not wait for the test's polling. Plain
 * source text: a compiled function could refer to helpers the page does not have.
 */
function watchUsable(selector: string): string {
  return `(() => {
    const selector = ${JSON.stringify(selector)};
    const observer = new MutationObserver(() => {
      const element = document.querySelector(selector);
      if (!element || element.disabled || element.getClientRects().length === 0) return;
      window.__usableAt = performance.now();
      observer.disconnect();
    });
    observer.observe(document, { childList: true, subtree: true, attributes: true });
  })();`;
}

/**
 * Opens `url` in `page` and waits until an element matching `usableSelector` is shown and enabled;
 * answers what moved until then and how long it took.
 */
export async function measureLoad(
  log: NetworkLog,
  page: Page,
  url: string,
  usableSelector: string,
  profile: NetworkProfile | null,
): Promise<LoadFigures> {
  await log.emulate(profile);
  await page.addInitScript({ content: watchUsable(usableSelector) });
  log.start();
  log.transfers.length = 0;
  log.webSocketBytes = 0;
  await page.goto(url, { waitUntil: 'commit' });
  await page.waitForFunction(() => (globalThis as { __usableAt?: number }).__usableAt, null, {
    timeout: 60_000,
  });
  const ms = await page.evaluate(
    () => (globalThis as unknown as { __usableAt: number }).__usableAt,
  );
  const transfers = log.transfers.filter((t) => t.endMs <= ms);
  const bytes = transfers.reduce((sum, t) => sum + t.bytes, 0) + log.webSocketBytes;
  const waves = log.waves(ms);
  const floorMs = profile
    ? (bytes * 8 * 1000) / profile.bitsPerSecond + waves * profile.latencyMs
    : 0;
  return { bytes, ms, waves, floorMs, transfers };
}

/** The visitor page is usable when its composer is shown, ready for typing, the history loaded
 * (what is sent before the socket is up waits in the outbox and goes out by itself). */
export const visitorPageUsable = 'textarea:not([disabled])';

/** The console's login page is usable when its form can be sent. */
export const loginPageUsable = 'form button[type=submit]';

/** A line per transfer, largest first: what a budget failure prints. */
export function describeTransfers(transfers: Transfer[]): string {
  return [...transfers]
    .sort((a, b) => b.bytes - a.bytes)
    .map(
      (t) =>
        `${String(t.bytes).padStart(8)}  ${t.type.padEnd(10)} ${t.url.replace(/^https?:\/\/[^/]+/, '')}`,
    )
    .join('\n');
}
