import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { postWebhook } from '../../src/domain/webhooks/postWebhook.js';
import { isInternalAddress } from '../../src/domain/webhooks/addressGuard.js';
import { defaultWebhookSchedule, retryDelay } from '../../src/domain/webhooks/deliverWebhooks.js';
import { signWebhook } from '../../src/domain/webhooks/webhookSignature.js';
import { verifySignature } from '../support/webhookReceiver.js';

describe('webhook addresses', () => {
  it('refuses every internal form, IPv4, IPv6 and IPv4 inside IPv6', () => {
    const internal = [
      '127.0.0.1',
      '127.255.0.9',
      '10.0.0.1',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.0.1',
      '169.254.169.254',
      '100.64.0.1',
      '100.127.255.254',
      '0.0.0.0',
      '224.0.0.251',
      '255.255.255.255',
      '::',
      '::1',
      'fd12:3456::1',
      'fc00::1',
      'fe80::1',
      'ff02::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::ffff:10.0.0.1',
      '::ffff:a9fe:a9fe',
      '64:ff9b::10.0.0.1',
      'not an address',
    ];
    for (const address of internal) expect(isInternalAddress(address), address).toBe(true);
    const external = ['93.184.215.14', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700::1111'];
    for (const address of external) expect(isInternalAddress(address), address).toBe(false);
  });
});

describe('webhook retries and signatures', () => {
  it('doubles from the first wait up to the cap, within ±20 %', () => {
    const s = defaultWebhookSchedule;
    expect(retryDelay(s, 1, 0.5)).toBe(10_000);
    expect(retryDelay(s, 2, 0.5)).toBe(20_000);
    expect(retryDelay(s, 4, 0.5)).toBe(80_000);
    expect(retryDelay(s, 30, 0.5)).toBe(3_600_000);
    expect(retryDelay(s, 1, 0)).toBe(8_000);
    expect(retryDelay(s, 1, 1)).toBe(12_000);
  });

  it('signs t.body with HMAC-SHA256, as the documented check verifies', () => {
    const now = Date.now();
    const header = signWebhook('whsec_test', '{"a":1}', Math.floor(now / 1000));
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifySignature('whsec_test', header, '{"a":1}', now)).toBe(true);
    expect(verifySignature('whsec_test', header, '{"a":2}', now)).toBe(false);
    expect(verifySignature('whsec_other', header, '{"a":1}', now)).toBe(false);
    // Outside the 5-minute window: a replay.
    expect(verifySignature('whsec_test', header, '{"a":1}', now + 301_000)).toBe(false);
  });
});

describe('webhook connections', () => {
  it('refuses an internal address when connecting, by literal or by resolved name', async () => {
    let hits = 0;
    const server = http.createServer((_, response) => {
      hits += 1;
      response.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const options = { timeoutMs: 2000, allowPrivate: false };
      const literal = await postWebhook(`http://127.0.0.1:${port}/`, '{}', {}, options);
      expect(literal.error).toMatch(/^refused: /);
      // A name: the check is on the address the lookup answers, the one connected to.
      const named = await postWebhook(`http://localhost:${port}/`, '{}', {}, options);
      expect(named.error).toMatch(/^refused: /);
      expect(hits).toBe(0);
      const allowed = await postWebhook(
        `http://localhost:${port}/`,
        '{}',
        {},
        {
          ...options,
          allowPrivate: true,
        },
      );
      expect([allowed.status, allowed.error, hits]).toEqual([200, undefined, 1]);
    } finally {
      server.close();
    }
  });
});
