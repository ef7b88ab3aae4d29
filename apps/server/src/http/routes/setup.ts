import { EmbedCheckQuery } from '@servicesystem/protocol';
import type { FastifyInstance } from 'fastify';
import type { EmbedSightings } from '../../domain/channels/embedSightings.js';
import { AppError } from '../../domain/errors.js';
import { authorizeCaller, callers } from '../../domain/policies.js';
import { setupStatus } from '../../domain/setup/setupStatus.js';
import { MessageRateLimit } from '../../auth/messageRateLimit.js';
import { parseWith } from '../validate.js';
import type { RouteDeps } from './deps.js';

/** The admin's first-run checklist, and the check embed.js makes before drawing its bubble. */
export function setupRoutes(
  app: FastifyInstance,
  { ctx, publicUrl }: RouteDeps,
  sightings: EmbedSightings,
): void {
  app.get('/api/v1/setup', async (request) => {
    const actor = authorizeCaller(request.actor, callers.admins);
    return setupStatus(ctx, actor);
  });

  // Anyone's page calls this once per view, so it is cheap (one indexed read, sightings added up
  // in memory) and limited per address.
  const perAddress = new MessageRateLimit(30, 120, ctx.now);
  const ownOrigin = new URL(publicUrl).origin;
  app.get(
    '/api/v1/embed/check',
    {
      // Every answer, errors too, is readable by the page that asked.
      onSend: (_request, reply, payload, done) => {
        void reply.header('Access-Control-Allow-Origin', '*');
        done(null, payload);
      },
    },
    async (request) => {
      const wait = perAddress.take(request.ip);
      if (wait > 0) {
        const retryAfterSeconds = Math.ceil(wait / 1000);
        throw new AppError('RATE_LIMITED', 'Too many embed checks from this address', {
          retryAfterSeconds,
        });
      }
      const { channel } = parseWith(EmbedCheckQuery, request.query);
      const origin = request.headers.origin;
      return sightings.check(channel, typeof origin === 'string' ? origin : undefined, ownOrigin);
    },
  );
}
