import type { AuditListQuery, AuditListResponse } from '@servicesystem/protocol';
import type { z } from 'zod';
import type { Actor, DomainContext } from '../context.js';
import { AppError } from '../errors.js';
import { auditPolicy, authorize } from '../policies.js';
import { presentAuditEntry } from '../presenters/audit.js';

type Query = z.output<typeof AuditListQuery>;

/** The audit log, newest first, a page at a time (`before`: the last entry of the previous page). */
export async function listAuditLog(
  ctx: DomainContext,
  actor: Actor,
  query: Query,
): Promise<AuditListResponse> {
  authorize(auditPolicy.read(actor), 'Only administrators can read the audit log');
  let select = ctx.db.selectFrom('audit_log').selectAll();
  if (query.before !== undefined) {
    const cursor = await ctx.db
      .selectFrom('audit_log')
      .select(['created_at', 'id'])
      .where('id', '=', query.before)
      .executeTakeFirst();
    if (!cursor) {
      throw new AppError('VALIDATION_FAILED', '"before": no audit entry has this id', {
        issues: [{ path: 'before', message: 'no audit entry has this id' }],
      });
    }
    select = select.where((eb) =>
      eb.or([
        eb('created_at', '<', cursor.created_at),
        eb.and([eb('created_at', '=', cursor.created_at), eb('id', '<', cursor.id)]),
      ]),
    );
  }
  if (query.action !== undefined) select = select.where('action', '=', query.action);
  if (query.actorId !== undefined) select = select.where('actor_id', '=', query.actorId);
  if (query.targetId !== undefined) select = select.where('target_id', '=', query.targetId);
  const rows = await select
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(query.limit + 1)
    .execute();
  return {
    entries: rows.slice(0, query.limit).map(presentAuditEntry),
    hasMore: rows.length > query.limit,
  };
}
