import type { ChangePasswordRequest } from '@servicesystem/protocol';
import { hashPassword, verifyPassword } from '../../auth/passwords.js';
import type { AccountActor, DomainContext } from '../context.js';
import { AppError } from '../errors.js';
import type { Outcome } from '../events.js';
import { findAccountOrThrow, revokeSessionsOf } from './accountRows.js';
import { throttledPasswordCheck } from './passwordAttempts.js';

/** A console user changes their own password; the old one is required, checked under the login
 * throttle (a stolen session cannot guess it). Other sessions end, the caller's stays. */
export async function changeOwnPassword(
  ctx: DomainContext,
  actor: AccountActor,
  input: ChangePasswordRequest,
  origin: { ip: string },
): Promise<Outcome<null>> {
  const account = await findAccountOrThrow(ctx.db, actor.accountId);
  const matches = await throttledPasswordCheck(ctx, origin.ip, account.username, () =>
    verifyPassword(account.password_hash, input.currentPassword),
  );
  if (!matches) {
    throw new AppError('WRONG_PASSWORD', 'The current password is wrong');
  }
  const passwordHash = await hashPassword(input.newPassword);
  await ctx.transaction(async (trx) => {
    await trx
      .updateTable('accounts')
      .set({ password_hash: passwordHash, updated_at: ctx.now() })
      .where('id', '=', actor.accountId)
      .execute();
    await revokeSessionsOf(trx, actor.accountId, actor.sessionId);
  });
  return {
    value: null,
    events: [
      {
        type: 'account.sessionsEnded',
        accountId: actor.accountId,
        exceptSessionId: actor.sessionId,
      },
    ],
  };
}
