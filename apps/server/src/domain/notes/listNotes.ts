import type { Note } from '@servicesystem/protocol';
import type { AccountActor, DomainContext } from '../context.js';
import { findConversationOrThrow } from '../conversations/conversationViews.js';
import { authorize, notePolicy } from '../policies.js';
import { presentNote } from '../presenters/note.js';

/** Every note of a conversation, oldest first: its agent and administrators only. */
export async function listNotes(
  ctx: DomainContext,
  actor: AccountActor,
  conversationId: string,
): Promise<Note[]> {
  const conversation = await findConversationOrThrow(ctx.db, conversationId);
  authorize(notePolicy.read(actor, conversation), 'This conversation is not yours');
  const rows = await ctx.db
    .selectFrom('notes')
    .selectAll()
    .where('conversation_id', '=', conversationId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map(presentNote);
}
