import type { FastifyInstance } from 'fastify';
import { answerMetrics } from '../../metrics/metricsServer.js';
import type { ServerMetrics } from '../../metrics/serverMetrics.js';

/**
 * `GET /metrics` on the main port, registered only when METRICS_TOKEN is set and METRICS_PORT is
 * not: Prometheus text for `Authorization: Bearer <METRICS_TOKEN>`, 401 for anyone else.
 */
export function metricsRoutes(app: FastifyInstance, metrics: ServerMetrics, token: string): void {
  app.get('/metrics', async (request, reply) => {
    const answer = await answerMetrics(metrics, token, request.headers.authorization);
    if (answer.status === 401) void reply.header('WWW-Authenticate', 'Bearer');
    return reply
      .status(answer.status)
      .header('Cache-Control', 'no-store')
      .type(answer.type)
      .send(answer.body);
  });
}
