import type { Kysely } from 'kysely';
import { isUniqueViolation } from '../../db/errors.js';
import type { Database, SavedRepliesTable } from '../../db/schema.js';
import type { Actor } from '../context.js';
import { AppError, notFound } from '../errors.js';
import { authorize, savedReplyPolicy } from '../policies.js';

/**
 * The saved reply `id` as `actor` may see it. Another person's personal reply is NOT_FOUND, as
 * one that does not exist: nobody learns that it does. A shared one the actor may not manage is
 * FORBIDDEN (everyone sees those).
 */
export async function findManageableReply(
  db: Kysely<Database>,
  actor: Actor,
  id: string,
  doing: string,
): Promise<SavedRepliesTable> {
  const row = await db
    .selectFrom('saved_replies')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row || !savedReplyPolicy.see(actor, row)) throw notFound('The saved reply');
  authorize(savedReplyPolicy.manage(actor, row), `Only administrators can ${doing} shared replies`);
  return row;
}

/** A write that met the shortcut's unique index becomes SHORTCUT_TAKEN. */
export function shortcutTaken(error: unknown, shortcut: string, shared: boolean): unknown {
  if (!isUniqueViolation(error)) return error;
  return new AppError(
    'SHORTCUT_TAKEN',
    shared
      ? `A shared reply already has the shortcut "${shortcut}"`
      : `You already have a reply with the shortcut "${shortcut}"`,
  );
}

/** Only shared replies are the robot's: a personal one is one agent's wording, not the
 * channel's answer. */
export function personalRobotAnswer(): AppError {
  return new AppError(
    'VALIDATION_FAILED',
    '"robotAnswer": only a shared reply can answer for the robot',
    {
      issues: [{ path: 'robotAnswer', message: 'only shared replies can be the robot’s answers' }],
    },
  );
}
