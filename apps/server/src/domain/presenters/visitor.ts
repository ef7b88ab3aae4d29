import type { Visitor } from '@servicesystem/protocol';
import type { VisitorsTable } from '../../db/schema.js';

/** A visitor as they see themself. */
export function presentVisitor(row: VisitorsTable): Visitor {
  return {
    id: row.id,
    channelId: row.channel_id,
    name: row.name,
    avatarUrl: row.avatar_url,
    identified: row.external_id !== null,
    createdAt: row.created_at,
  };
}
