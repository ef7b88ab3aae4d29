import type { SavedReply, UpdateSavedReplyRequest } from '@servicesystem/protocol';
import type { Updateable } from 'kysely';
import type { z } from 'zod';
import type { SavedRepliesTable } from '../../db/schema.js';
import { changedField, fieldChange, recordAudit } from '../audit/recordAudit.js';
import type { Actor, DomainContext } from '../context.js';
import { presentSavedReply } from '../presenters/savedReply.js';
import { findManageableReply, personalRobotAnswer, shortcutTaken } from './savedReplyRows.js';

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
    const outcome = await ctx.transaction(async (trx) => {
      const before = await findManageableReply(trx, actor, id, 'edit');
      shared = before.owner_id === null;
      const changes: Updateable<SavedRepliesTable> = {};
      if (input.shortcut !== undefined && input.shortcut !== before.shortcut) {
        changes.shortcut = input.shortcut;
      }
      if (input.title !== undefined && input.title !== before.title) changes.title = input.title;
      if (input.text !== undefined && input.text !== before.body) changes.body = input.text;
      if (input.robotAnswer !== undefined && (input.robotAnswer ? 1 : 0) !== before.robot_answer) {
        if (input.robotAnswer && !shared) throw personalRobotAnswer();
        changes.robot_answer = input.robotAnswer ? 1 : 0;
      }
      // An edit that changes nothing writes nothing (and logs nothing).
      if (Object.keys(changes).length === 0) {
        return { reply: presentSavedReply(before), robot: false };
      }
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
              ...fieldChange('robotAnswer', before.robot_answer === 1, after.robot_answer === 1),
            ],
          },
          after.updated_at,
        );
      }
      // The robots know it (before or after the change): its question, answer or presence moved.
      return {
        reply: presentSavedReply(after),
        robot: before.robot_answer === 1 || after.robot_answer === 1,
      };
    });
    if (outcome.robot) ctx.robotKnowledge.forget();
    return outcome.reply;
  } catch (error) {
    throw shortcutTaken(error, input.shortcut ?? '', shared);
  }
}
