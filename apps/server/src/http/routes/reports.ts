import { ReportQuery } from '@servicesystem/protocol';
import type { FastifyInstance } from 'fastify';
import { presentReportCsv } from '../../domain/presenters/reportCsv.js';
import { readReport } from '../../domain/reports/readReport.js';
import { authorizeCaller, callers } from '../../domain/policies.js';
import { parseWith } from '../validate.js';
import type { RouteDeps } from './deps.js';

/** Reports per agent per day (admins), as JSON for the console and as CSV for spreadsheets. */
export function reportRoutes(app: FastifyInstance, { ctx }: RouteDeps): void {
  app.get('/api/v1/reports', async (request) => {
    const actor = authorizeCaller(request.actor, callers.admins);
    return readReport(ctx, actor, parseWith(ReportQuery, request.query));
  });

  app.get('/api/v1/reports.csv', async (request, reply) => {
    const actor = authorizeCaller(request.actor, callers.admins);
    const query = parseWith(ReportQuery, request.query);
    const report = await readReport(ctx, actor, { ...query, rows: 'all' });
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="report-${query.from}-${query.to}.csv"`)
      .header('cache-control', 'no-store')
      .send(presentReportCsv(report));
  });
}
