import type { SavedReply } from '@servicesystem/protocol';
import type { SavedRepliesTable } from '../../db/schema.js';

/** A saved reply, for a console user who may see it (the owner is never named: it is them). */
export function presentSavedReply(row: SavedRepliesTable): SavedReply {
  return {
    id: row.id,
    scope: row.owner_id === null ? 'shared' : 'personal',
    shortcut: row.shortcut,
    title: row.title,
    text: row.body,
    robotAnswer: row.owner_id === null && row.robot_answer === 1,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}
