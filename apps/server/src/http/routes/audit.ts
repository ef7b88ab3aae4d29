import { AuditListQuery } from '@servicesystem/protocol';
import type { FastifyInstance } from 'fastify';
import { listAuditLog } from '../../domain/audit/listAuditLog.js';
import { parseWith } from '../validate.js';
import type { RouteDeps } from './deps.js';
import { authorizeCaller, callers } from '../../domain/policies.js';

/** The audit log of administrators' actions: admins only. */
export function auditRoutes(app: FastifyInstance, { ctx }: RouteDeps): void {
  app.get('/api/v1/audit', async (request) => {
    const actor = authorizeCaller(request.actor, callers.admins);
    const query = parseWith(AuditListQuery, request.query);
    return listAuditLog(ctx, actor, query);
  });
}
