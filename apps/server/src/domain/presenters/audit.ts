import type { AuditAction, AuditChange, AuditEntry } from '@servicesystem/protocol';
import type { AuditLogTable } from '../../db/schema.js';

/** An audit entry, for administrators. */
export function presentAuditEntry(row: AuditLogTable): AuditEntry {
  return {
    id: row.id,
    at: Number(row.created_at),
    actor: { kind: row.actor_kind, id: row.actor_id, username: row.actor_username },
    action: row.action as AuditAction,
    target: { type: row.target_type, id: row.target_id, label: row.target_label },
    changes: JSON.parse(row.changes) as AuditChange[],
  };
}
