import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Server } from 'socket.io';
import type { Database } from '../db/schema.js';
import type { Actor } from '../domain/context.js';
import type { ActionRunner } from '../domain/runner.js';
import { liveCounts } from '../domain/stats/liveCounts.js';
import type { MediaSlots } from '../media/mediaSlots.js';
import type { ServerMetrics } from './serverMetrics.js';

/**
 * Connects the metrics to the transports (the composition root calls it once): committed
 * messages from the runner, every HTTP answer from Fastify, and what the gauges read when
 * scraped. The database, the group commit and the socket handlers get their hooks where they are
 * made (app.ts).
 */
export function instrumentServer(
  metrics: ServerMetrics,
  parts: {
    http: FastifyInstance;
    io: Server;
    runner: ActionRunner;
    slots: MediaSlots;
    db: Kysely<Database>;
  },
): void {
  parts.runner.listen(metrics.committedListener);
  metrics.watch({
    *connections() {
      // This node's own connections.
      for (const socket of parts.io.of('/').sockets.values()) {
        const actor = socket.data.actor as Actor | undefined;
        if (actor) yield actor.kind === 'visitor' ? 'visitor' : actor.role;
      }
    },
    mediaJobs: () => parts.slots.load,
    liveCounts: () => liveCounts(parts.db),
  });
  // Every answer, by the route's pattern (never the raw URL); `elapsedTime` is Fastify's own.
  parts.http.addHook('onResponse', (request, reply, done) => {
    metrics.httpRequest(
      request.method,
      request.routeOptions.url,
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    done();
  });
}
