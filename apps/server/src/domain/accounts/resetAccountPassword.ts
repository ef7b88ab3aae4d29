import type { ResetPasswordRequest, ResetPasswordResponse } from '@servicesystem/protocol';
import { generatePassword, hashPassword } from '../../auth/passwords.js';
import { changedField, recordAudit, type AuditBy } from '../audit/recordAudit.js';
import type { Actor, DomainContext } from '../context.js';
import { notFound } from '../errors.js';
import { accountPolicy, authorize } from '../policies.js';
import type { Outcome } from '../events.js';
import { revokeSessionsOf } from './accountRows.js';

/** An admin sets a new password for an account (generated when none is given); every session
 * of that account ends at once. */
export async function resetAccountPassword(
  ctx: DomainContext,
  actor: Actor,
  accountId: string,
  input: ResetPasswordRequest,
): Promise<Outcome<ResetPasswordResponse>> {
  authorize(accountPolicy.manage(actor), 'Only administrators can reset passwords');
  return doResetPassword(ctx, { accountId }, input.password, actor);
}

/** `cli`: the operator's command line (`npm run admin -- reset-password <username>`). */
export async function doResetPassword(
  ctx: DomainContext,
  who: { accountId: string } | { username: string },
  password: string | undefined,
  by: AuditBy,
): Promise<Outcome<ResetPasswordResponse>> {
  const newPassword = password ?? generatePassword();
  const passwordHash = await hashPassword(newPassword);
  const accountId = await ctx.transaction(async (trx) => {
    const now = ctx.now();
    const row = await trx
      .selectFrom('accounts')
      .select(['id', 'username'])
      .where(
        'accountId' in who ? 'id' : 'username',
        '=',
        'accountId' in who ? who.accountId : who.username.toLowerCase(),
      )
      .executeTakeFirst();
    if (!row) throw notFound('The account');
    await trx
      .updateTable('accounts')
      .set({ password_hash: passwordHash, updated_at: now })
      .where('id', '=', row.id)
      .execute();
    await revokeSessionsOf(trx, row.id);
    await recordAudit(
      trx,
      by,
      {
        action: 'account.resetPassword',
        target: { type: 'account', id: row.id, label: row.username },
        changes: [changedField('password')],
      },
      now,
    );
    return row.id;
  });
  return {
    value: { password: newPassword },
    events: [{ type: 'account.sessionsEnded', accountId }],
  };
}
