import { recordAudit } from '../audit/recordAudit.js';
import type { Actor, DomainContext } from '../context.js';
import { findManageableReply } from './savedReplyRows.js';

/** Deletes one's own personal reply, or (administrators) a shared one, which the log records. */
export async function deleteSavedReply(
  ctx: DomainContext,
  actor: Actor,
  id: string,
): Promise<void> {
  const robotAnswer = await ctx.transaction(async (trx) => {
    const row = await findManageableReply(trx, actor, id, 'delete');
    await trx.deleteFrom('saved_replies').where('id', '=', id).execute();
    if (row.owner_id !== null) return false;
    await recordAudit(
      trx,
      actor,
      {
        action: 'savedReply.delete',
        target: { type: 'savedReply', id, label: row.shortcut },
        changes: [],
      },
      ctx.now(),
    );
    return row.robot_answer === 1;
  });
  // The robots of every channel knew it.
  if (robotAnswer) ctx.robotKnowledge.forget();
}
