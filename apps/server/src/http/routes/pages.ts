import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Id } from '@servicesystem/protocol';
import { AppError } from '../../domain/errors.js';
import { frameAncestorsOfChannel } from '../../domain/channels/frameAncestors.js';
import type { RouteDeps } from './deps.js';

/** The repository root, from apps/server/{src,dist}/http/routes/. */
const repoRoot = fileURLToPath(new URL('../../../../../', import.meta.url));

export const pageRoots = {
  console: path.join(repoRoot, 'apps/console/dist'),
  widget: path.join(repoRoot, 'apps/widget/dist'),
};

/**
 * Sends `relative` from `root` when it is a file inside it; else the app's index.html (the
 * browser app routes by itself). Built assets have hashed names and are cached for a year;
 * index.html is revalidated every time so a new release shows at once.
 */
function sendPage(reply: FastifyReply, root: string, relative: string) {
  const index = path.join(root, 'index.html');
  if (!fs.existsSync(index)) {
    throw new AppError(
      'NOT_FOUND',
      'This page has not been built: run `npm run build` (npm start does it for you)',
    );
  }
  // Whichever copy is sent, caches keep one per encoding.
  void reply.header('Vary', 'Accept-Encoding');
  const target = path.resolve(root, relative);
  const inside = target.startsWith(root + path.sep);
  if (inside && relative !== '' && fs.existsSync(target) && fs.statSync(target).isFile()) {
    const immutable = relative.startsWith('assets/');
    return reply
      .header('Cache-Control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .sendFile(relative, root, { cacheControl: false });
  }
  return reply.header('Cache-Control', 'no-cache').sendFile('index.html', root, {
    cacheControl: false,
  });
}

/** The console at /console/, the visitor page at /chat/, the embed loader at /embed.js. */
export async function pageRoutes(app: FastifyInstance, deps?: RouteDeps): Promise<void> {
  // The build writes brotli and gzip copies beside each file (scripts/build.mjs): each answer
  // is the smallest one the browser accepts, with `Vary: Accept-Encoding`.
  await app.register(fastifyStatic, { root: pageRoots.console, serve: false, preCompressed: true });

  app.get('/console', (_request, reply) => reply.redirect('/console/'));
  app.get('/console/*', (request, reply) =>
    sendPage(reply, pageRoots.console, (request.params as { '*': string })['*']),
  );

  app.get('/chat', (request, reply) => {
    const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
    return reply.redirect(`/chat/${query}`);
  });
  // The visitor page may be framed only by the channel's allowed origins (and our own origin):
  // the browser enforces `frame-ancestors`, so a site not in the list shows nothing.
  app.get('/chat/*', async (request, reply) => {
    let relative = (request.params as { '*': string })['*'];
    // The demo's host page is built beside the visitor page but served at /demo/ in demo mode only.
    if (relative === 'demo.html') relative = '';
    if (!relative.startsWith('assets/')) {
      // Not a valid id (a NUL, say): no channel, so only our own origin may frame the page.
      const channel = Id.safeParse((request.query as Record<string, unknown>).channel);
      const origins = deps
        ? await frameAncestorsOfChannel(deps.ctx.db, channel.success ? channel.data : undefined)
        : [];
      const csp = String(reply.getHeader('content-security-policy') ?? '')
        .split(';')
        .map((d) => d.trim())
        .filter((d) => d !== '' && !d.startsWith('frame-ancestors'));
      csp.push(`frame-ancestors ${["'self'", ...origins].join(' ')}`);
      reply.header('Content-Security-Policy', csp.join(';'));
      reply.removeHeader('X-Frame-Options');
    }
    return sendPage(reply, pageRoots.widget, relative);
  });

  app.get('/embed.js', (_request, reply) => {
    const file = path.join(pageRoots.widget, 'embed.js');
    if (!fs.existsSync(file)) {
      throw new AppError('NOT_FOUND', 'embed.js has not been built: run `npm run build`');
    }
    return reply
      .header('Cache-Control', 'public, max-age=300')
      .header('Vary', 'Accept-Encoding')
      .header('Access-Control-Allow-Origin', '*')
      .header('Cross-Origin-Resource-Policy', 'cross-origin')
      .sendFile('embed.js', pageRoots.widget, { cacheControl: false });
  });
}
