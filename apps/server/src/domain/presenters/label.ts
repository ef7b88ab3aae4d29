import type { Label } from '@servicesystem/protocol';
import type { LabelsTable } from '../../db/schema.js';

export function presentLabel(row: LabelsTable): Label {
  return {
    id: row.id,
    name: row.name,
    color: row.color,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}
