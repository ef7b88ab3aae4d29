import type { Note } from '@servicesystem/protocol';
import type { NotesTable } from '../../db/schema.js';

/** A note as console users see it (visitors never do: there is no visitor shape). */
export function presentNote(row: NotesTable): Note {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    author: { id: row.author_id, name: row.author_name },
    body: row.body,
    afterSeq: row.after_seq,
    clientNoteId: row.client_note_id,
    createdAt: row.created_at,
  };
}
