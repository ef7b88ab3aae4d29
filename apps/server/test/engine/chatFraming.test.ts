import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frameAncestorsOfChannel } from '../../src/domain/channels/frameAncestors.js';
import { pageRoots } from '../../src/http/routes/pages.js';
import { startTestApp, type TestApp } from '../support/testApp.js';

/** The visitor page may be framed only by its channel's allowed origins (CSP frame-ancestors). */
describe('framing the visitor page', () => {
  let t: TestApp;
  let channelId: string;
  const built = fs.existsSync(path.join(pageRoots.widget, 'index.html'));
  beforeAll(async () => {
    t = await startTestApp();
    const created = await t.request('POST', '/api/v1/channels', {
      token: t.adminToken,
      body: { name: 'Shop', allowedOrigins: ['https://shop.example.com', 'http://127.0.0.2:8080'] },
    });
    channelId = created.body.channel.id;
  });
  afterAll(() => t.close());

  it("reads a channel's allowed origins, and none for unknown channels", async () => {
    expect(await frameAncestorsOfChannel(t.app.ctx.db, channelId)).toEqual([
      'https://shop.example.com',
      'http://127.0.0.2:8080',
    ]);
    expect(await frameAncestorsOfChannel(t.app.ctx.db, 'no-such-channel')).toEqual([]);
    expect(await frameAncestorsOfChannel(t.app.ctx.db, undefined)).toEqual([]);
  });

  it.runIf(built)(
    'sends frame-ancestors with the allowed origins and no X-Frame-Options',
    async () => {
      const page = await t.request('GET', `/chat/?channel=${channelId}`);
      expect(page.status).toBe(200);
      const csp = String(page.headers['content-security-policy']);
      expect(csp).toContain(
        "frame-ancestors 'self' https://shop.example.com http://127.0.0.2:8080",
      );
      expect(csp.match(/frame-ancestors/g)).toHaveLength(1);
      expect(csp).toContain("script-src 'self'");
      expect(page.headers['x-frame-options']).toBeUndefined();

      const unknown = await t.request('GET', '/chat/?channel=nope');
      expect(String(unknown.headers['content-security-policy'])).toMatch(
        /frame-ancestors 'self'(;|$)/,
      );

      await t.request('PATCH', `/api/v1/channels/${channelId}`, {
        token: t.adminToken,
        body: { allowedOrigins: [] },
      });
      const emptied = await t.request('GET', `/chat/?channel=${channelId}`);
      expect(String(emptied.headers['content-security-policy'])).toMatch(
        /frame-ancestors 'self'(;|$)/,
      );
      // Other pages keep the default: the console may not be framed by anyone else.
      const consolePage = await t.request('GET', '/console/');
      expect(String(consolePage.headers['content-security-policy'])).not.toContain('127.0.0.2');
    },
  );
});
