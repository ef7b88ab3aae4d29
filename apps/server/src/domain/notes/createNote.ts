import type { CreateNoteRequest, Note } from '@servicesystem/protocol';
import { timeOrderedId } from '../../db/ids.js';
import { searchTerms } from '../../db/search/searchTerms.js';
import { isUniqueViolation } from '../../db/errors.js';
import type { NotesTable } from '../../db/schema.js';
import type { AccountActor, DomainContext } from '../context.js';
import { findConversationOrThrow, viewOf } from '../conversations/conversationViews.js';
import { AppError } from '../errors.js';
import type { DomainEvent, Outcome } from '../events.js';
import { authorize, notePolicy } from '../policies.js';
import { presentNote } from '../presenters/note.js';
import { recordWebhookEvents } from '../webhooks/recordWebhookEvents.js';

export interface Noted {
  note: Note;
  /** False when this was a retry of a note already stored. */
  created: boolean;
}

/**
 * An agent or an administrator writes an internal note in a conversation (active or ended).
 * It takes no seq and changes no unread count or preview; it is placed after the conversation's
 * last message so far. Idempotent on (author, clientNoteId), as messages are.
 */
export async function createNote(
  ctx: DomainContext,
  actor: AccountActor,
  conversationId: string,
  input: { clientNoteId: string; body: CreateNoteRequest['body'] },
): Promise<Outcome<Noted>> {
  try {
    return await ctx.transaction(async (trx): Promise<Outcome<Noted>> => {
      const stored = await findRetry(trx, actor.accountId, input.clientNoteId);
      if (stored) return retried(stored, conversationId);
      const conversation = await findConversationOrThrow(trx, conversationId);
      authorize(
        notePolicy.write(actor, conversation),
        'Only the agent of this conversation and administrators write notes in it',
      );
      const author = await trx
        .selectFrom('accounts')
        .select('display_name')
        .where('id', '=', actor.accountId)
        .executeTakeFirstOrThrow();
      const now = ctx.now();
      const row: NotesTable = {
        id: timeOrderedId(now),
        conversation_id: conversationId,
        author_id: actor.accountId,
        author_name: author.display_name,
        body: input.body,
        after_seq: conversation.last_seq,
        client_note_id: input.clientNoteId,
        created_at: now,
      };
      await trx.insertInto('notes').values(row).execute();
      await ctx.search.add(trx, {
        kind: 'note',
        refId: row.id,
        conversationId,
        terms: searchTerms(row.body),
      });
      const view = await viewOf(trx, conversationId);
      const events: DomainEvent[] = [{ type: 'note.created', view, note: row, inReply: true }];
      await recordWebhookEvents(ctx, trx, events);
      return { value: { note: presentNote(row), created: true }, events };
    });
  } catch (error) {
    // Two copies of one write raced: the other committed first.
    if (!isUniqueViolation(error)) throw error;
    const winner = await findRetry(ctx.db, actor.accountId, input.clientNoteId);
    if (!winner) throw error;
    return retried(winner, conversationId);
  }
}

function findRetry(
  db: DomainContext['db'],
  authorId: string,
  clientNoteId: string,
): Promise<NotesTable | undefined> {
  return db
    .selectFrom('notes')
    .selectAll()
    .where('author_id', '=', authorId)
    .where('client_note_id', '=', clientNoteId)
    .executeTakeFirst();
}

/** A retry answers the stored note, and only in the conversation it was written in. */
function retried(stored: NotesTable, conversationId: string): Outcome<Noted> {
  if (stored.conversation_id !== conversationId) {
    throw new AppError(
      'VALIDATION_FAILED',
      '"clientNoteId": already used in another conversation',
      {
        issues: [{ path: 'clientNoteId', message: 'already used in another conversation' }],
      },
    );
  }
  return { value: { note: presentNote(stored), created: false }, events: [] };
}
