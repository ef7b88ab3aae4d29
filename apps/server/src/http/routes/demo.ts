import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { demoAvatar, demoIdentity, demoVisitors, type DemoInfo } from '../../demo/demoData.js';
import { AppError } from '../../domain/errors.js';
import { parseWith } from '../validate.js';
import type { RouteDeps } from './deps.js';
import { pageRoots } from './pages.js';

const AvatarParams = z.object({ n: z.string().regex(/^[1-9]\.svg$/, 'must be 1.svg to 9.svg') });

/**
 * Demo mode only (`npm run demo`): the host page at /demo/ that signs in as any of nine sample
 * users, the users' signed identity tokens, and their avatars. Never registered otherwise, so
 * outside demo mode every /demo/ URL answers 404.
 */
export function demoRoutes(app: FastifyInstance, { ctx, publicUrl }: RouteDeps, demo: DemoInfo) {
  app.get('/demo', (_request, reply) => reply.redirect('/demo/'));
  app.get('/demo/', (_request, reply) => {
    const file = path.join(pageRoots.widget, 'demo.html');
    if (!fs.existsSync(file)) {
      throw new AppError('NOT_FOUND', 'The demo page has not been built: run `npm run build`');
    }
    return reply
      .header('Cache-Control', 'no-cache')
      .sendFile('demo.html', pageRoots.widget, { cacheControl: false });
  });

  app.get('/demo/api/users', async () => {
    const channel = await ctx.db
      .selectFrom('channels')
      .select('identity_secret')
      .where('id', '=', demo.channelId)
      .executeTakeFirstOrThrow();
    const now = ctx.now();
    const users = await Promise.all(
      demoVisitors.map(async (name, index) => {
        const avatarUrl = `${publicUrl}/demo/avatars/${index + 1}.svg`;
        return {
          key: `demo-user-${index + 1}`,
          name,
          avatarUrl,
          identity: await demoIdentity(channel.identity_secret, index, avatarUrl, now),
        };
      }),
    );
    return { channelId: demo.channelId, users };
  });

  app.get('/demo/avatars/:n', (request, reply) => {
    const { n } = parseWith(AvatarParams, request.params);
    return reply
      .header('Content-Type', 'image/svg+xml; charset=utf-8')
      .header('Cache-Control', 'public, max-age=86400')
      .send(demoAvatar(Number(n[0]) - 1));
  });
}
