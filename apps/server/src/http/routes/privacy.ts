import {
  EraseVisitorRequest,
  IdParams,
  VisitorSearchQuery,
  type VisitorSearchResponse,
} from '@servicesystem/protocol';
import type { FastifyInstance } from 'fastify';
import { authorizeCaller, callers } from '../../domain/policies.js';
import { eraseVisitor } from '../../domain/privacy/eraseVisitor.js';
import { exportVisitor } from '../../domain/privacy/exportVisitor.js';
import { findVisitors } from '../../domain/privacy/findVisitors.js';
import { parseWith } from '../validate.js';
import type { RouteDeps } from './deps.js';

/** Privacy (administrators only): find a visitor, export what is held about them, erase them. */
export function privacyRoutes(app: FastifyInstance, { ctx, run }: RouteDeps): void {
  app.get('/api/v1/visitors', async (request): Promise<VisitorSearchResponse> => {
    const actor = authorizeCaller(request.actor, callers.admins);
    const { query } = parseWith(VisitorSearchQuery, request.query);
    return { visitors: await findVisitors(ctx, actor, query) };
  });

  app.get('/api/v1/visitors/:id/export', async (request, reply) => {
    const actor = authorizeCaller(request.actor, callers.admins);
    const { id } = parseWith(IdParams, request.params);
    const download = await exportVisitor(ctx, actor, id);
    return reply
      .header('content-type', 'application/zip')
      .header('content-disposition', `attachment; filename="${download.fileName}"`)
      .header('cache-control', 'no-store')
      .send(download.body);
  });

  app.post('/api/v1/visitors/:id/erase', async (request) => {
    const actor = authorizeCaller(request.actor, callers.admins);
    const { id } = parseWith(IdParams, request.params);
    const { confirm } = parseWith(EraseVisitorRequest, request.body);
    return run(eraseVisitor(ctx, actor, id, confirm));
  });
}
