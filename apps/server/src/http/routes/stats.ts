import { StatsQuery } from '@servicesystem/protocol';
import type { FastifyInstance } from 'fastify';
import { dashboardStats } from '../../domain/stats/dashboardStats.js';
import { parseWith } from '../validate.js';
import type { RouteDeps } from './deps.js';
import { authorizeCaller, callers } from '../../domain/policies.js';

/** The admin dashboard's numbers. */
export function statsRoutes(app: FastifyInstance, { ctx }: RouteDeps): void {
  app.get('/api/v1/stats', async (request) => {
    const actor = authorizeCaller(request.actor, callers.admins);
    // `tz` is still checked, but days are those of the reports (REPORT_TIME_ZONE).
    parseWith(StatsQuery, request.query);
    return dashboardStats(ctx, actor);
  });
}
