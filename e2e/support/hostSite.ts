import http from 'node:http';
import type net from 'node:net';

/**
 * A tiny website on another origin (127.0.0.2, a new port each time) whose page carries the
 * documented one-line embed snippet.
 */
export async function startHostSite(
  serverUrl: string,
  channelId: string,
  options: { title?: string; shop?: string } = {},
) {
  const title = options.title ?? 'Shop support';
  const shop = options.shop ?? 'Example Shop';
  const site = http.createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(`<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${shop}</title></head>
<body style="margin:0;font-family:sans-serif;background:#fafafa">
<header style="padding:18px 32px;background:#222;color:#fff;font-size:20px">${shop}</header>
<main style="padding:32px"><h1>Spring collection</h1><p>Everything you need, delivered tomorrow.</p></main>
<script src="${serverUrl}/embed.js" data-channel="${channelId}" data-title="${title}" async></script>
</body></html>`);
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.2', resolve));
  const { port } = site.address() as net.AddressInfo;
  return {
    origin: `http://127.0.0.2:${port}`,
    close: () => new Promise<void>((resolve) => site.close(() => resolve())),
  };
}
