import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pageRoots } from '../../src/http/routes/pages.js';
import { startTestApp, type TestApp } from '../support/testApp.js';

/** The built app's main script, by its hashed name. */
function mainScript(root: string): string {
  const name = fs.readdirSync(path.join(root, 'assets')).find((f) => /^index-.*\.js$/.test(f));
  if (!name) throw new Error(`no main script in ${root}`);
  return name;
}

describe('static files, compressed at build time', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it.each([
    ['the visitor page', '/chat/assets/', pageRoots.widget],
    ['the console', '/console/assets/', pageRoots.console],
  ])(
    '%s: brotli, gzip or plain as the browser accepts, the same bytes',
    async (_name, prefix, root) => {
      const file = mainScript(root);
      const raw = fs.readFileSync(path.join(root, 'assets', file));
      const get = (acceptEncoding: string) =>
        t.app.http.inject({
          method: 'GET',
          url: `${prefix}${file}`,
          headers: { 'accept-encoding': acceptEncoding },
        });

      const br = await get('gzip, deflate, br');
      expect(br.statusCode).toBe(200);
      expect(br.headers['content-encoding']).toBe('br');
      expect(br.headers.vary).toMatch(/accept-encoding/i);
      expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(br.rawPayload.length).toBeLessThan(raw.length / 2);
      expect(zlib.brotliDecompressSync(br.rawPayload).equals(raw)).toBe(true);

      const gz = await get('gzip');
      expect(gz.headers['content-encoding']).toBe('gzip');
      expect(zlib.gunzipSync(gz.rawPayload).equals(raw)).toBe(true);

      const plain = await get('identity');
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.headers.vary).toMatch(/accept-encoding/i);
      expect(plain.rawPayload.equals(raw)).toBe(true);
    },
  );

  it('embed.js is compressed too, and the pages themselves are revalidated', async () => {
    const embed = await t.app.http.inject({
      method: 'GET',
      url: '/embed.js',
      headers: { 'accept-encoding': 'br' },
    });
    expect(embed.headers['content-encoding']).toBe('br');
    expect(embed.headers['access-control-allow-origin']).toBe('*');
    expect(embed.headers.vary).toMatch(/accept-encoding/i);
    const page = await t.app.http.inject({
      method: 'GET',
      url: '/console/',
      headers: { 'accept-encoding': 'br' },
    });
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers['content-type']).toMatch(/text\/html/);
  });
});
