import { randomUUID } from 'node:crypto';
import type { CreateSavedReplyRequest, SavedReply } from '@servicesystem/protocol';
import type { z } from 'zod';
import { changedField, recordAudit } from '../audit/recordAudit.js';
import type { Actor, DomainContext } from '../context.js';
import { authorize, savedReplyPolicy } from '../policies.js';
import { presentSavedReply } from '../presenters/savedReply.js';
import { personalRobotAnswer, shortcutTaken } from './savedReplyRows.js';

type Input = z.output<typeof CreateSavedReplyRequest>;

/** A personal reply for oneself, or (administrators) a shared one, which the audit log records. */
export async function createSavedReply(
  ctx: DomainContext,
  actor: Actor,
  input: Input,
): Promise<SavedReply> {
  authorize(
    savedReplyPolicy.create(actor, input.scope),
    'Only administrators can create shared replies',
  );
  if (actor.kind !== 'account') throw new Error('unreachable: the policy admits console users');
  const shared = input.scope === 'shared';
  if (input.robotAnswer && !shared) throw personalRobotAnswer();
  const now = ctx.now();
  const row = {
    id: randomUUID(),
    owner_id: shared ? null : actor.accountId,
    shortcut: input.shortcut,
    title: input.title,
    body: input.text,
    robot_answer: input.robotAnswer ? 1 : 0,
    created_at: now,
    updated_at: now,
  };
  try {
    await ctx.transaction(async (trx) => {
      await trx.insertInto('saved_replies').values(row).execute();
      if (!shared) return;
      await recordAudit(
        trx,
        actor,
        {
          action: 'savedReply.create',
          target: { type: 'savedReply', id: row.id, label: row.shortcut },
          changes: [
            { field: 'shortcut', to: row.shortcut },
            { field: 'title', to: row.title },
            changedField('text'),
            ...(row.robot_answer ? [{ field: 'robotAnswer', to: true }] : []),
          ],
        },
        now,
      );
    });
  } catch (error) {
    throw shortcutTaken(error, input.shortcut, shared);
  }
  // Every channel's robot may answer with it.
  if (row.robot_answer) ctx.robotKnowledge.forget();
  return presentSavedReply(row);
}
