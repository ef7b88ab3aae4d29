import type { SavedReply, UpdateSavedReplyRequest } from '@servicesystem/protocol';
import type { Updateable } from 'kysely';
import type { z } from 'zod';
import type { SavedRepliesTable } from '../../db/schema.js';
import { changedField, fieldChange, recordAudit } from '../audit/recordAudit.js';
import type { Actor, DomainContext } from '../context.js';
import { presentSavedReply } from '../presenters/savedReply.js';
import { findManageableReply, shortcutTaken } from './savedReplyRows.js';

type Input = z.output<typeof UpdateSavedReplyRequest>;

/** Edits one's own personal reply, or (administrators) a shared one; its scope stays. */
export async function updateSavedReply(
  ctx: DomainContext,
  actor: Actor,
  id: string,
  input: Input,
): Promise<SavedReply> {
  let shared = false;
  try {
    return await ctx.transaction(async (trx) => {
      const before = await findManageableReply(trx, actor, id, 'edit');
      shared = before.owner_id === null;
      const changes: Updateable<SavedRepliesTable> = {};
      if (input.shortcut !== undefined && input.shortcut !== before.shortcut) {
        changes.shortcut = input.shortcut;
      }
      if (input.title !== undefined && input.title !== before.title) changes.title = input.title;
      if (input.text !== undefined && input.text !== before.body) changes.body = input.text;
      // An edit that changes nothing writes nothing (and logs nothing).
      if (Object.keys(changes).length === 0) return presentSavedReply(before);
      const after = { ...before, ...changes, updated_at: ctx.now() };
      await trx
        .updateTable('saved_replies')
        .set({ ...changes, updated_at: after.updated_at })
        .where('id', '=', id)
        .execute();
      if (before.owner_id === null) {
        await recordAudit(
          trx,
          actor,
          {
            action: 'savedReply.update',
            target: { type: 'savedReply', id, label: after.shortcut },
            changes: [
              ...fieldChange('shortcut', before.shortcut, after.shortcut),
              ...fieldChange('title', before.title, after.title),
              ...(before.body !== after.body ? [changedField('text')] : []),
            ],
          },
          after.updated_at,
        );
      }
      return presentSavedReply(after);
    });
  } catch (error) {
    throw shortcutTaken(error, input.shortcut ?? '', shared);
  }
}
