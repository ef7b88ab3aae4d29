import type { HealthResponse } from '@servicesystem/protocol';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../../db/connect.js';

/** `GET /healthz`: 200 when the database answers, 503 otherwise. */
export function healthRoutes(app: FastifyInstance, db: Db): void {
  app.get('/healthz', async (_request, reply) => {
    const ok = await db.ping();
    const body: HealthResponse = { status: ok ? 'ok' : 'unavailable' };
    return reply
      .status(ok ? 200 : 503)
      .header('Cache-Control', 'no-store')
      .send(body);
  });
}
