import type { LoginRequest, LoginResponse } from '@servicesystem/protocol';
import { decoyPasswordHash, verifyPassword } from '../../auth/passwords.js';
import { newSessionToken, sessionIdOf } from '../../auth/sessionTokens.js';
import type { DomainContext } from '../context.js';
import { AppError } from '../errors.js';
import { presentAccount } from '../presenters/account.js';
import { throttledPasswordCheck } from './passwordAttempts.js';

export interface LoginOrigin {
  ip: string;
  userAgent: string | undefined;
}

/**
 * Checks a username and password and opens a console session, under the login throttle
 * (passwordAttempts.ts): an address that failed too often is refused before the password is
 * checked; a username under attack from elsewhere is only slowed down.
 */
export async function login(
  ctx: DomainContext,
  input: LoginRequest,
  origin: LoginOrigin,
): Promise<LoginResponse & { sessionId: string }> {
  const username = input.username.toLowerCase();
  const account = await ctx.db
    .selectFrom('accounts')
    .selectAll()
    .where('username', '=', username)
    .executeTakeFirst();
  const passwordOk = await throttledPasswordCheck(ctx, origin.ip, username, async () => {
    const matches = await verifyPassword(
      account?.password_hash ?? (await decoyPasswordHash()),
      input.password,
    );
    return matches && account !== undefined;
  });
  if (!account || !passwordOk) {
    throw new AppError('INVALID_CREDENTIALS', 'The username or password is wrong');
  }
  if (account.disabled_at !== null) {
    throw new AppError('ACCOUNT_DISABLED', 'This account has been disabled by an administrator');
  }

  const token = newSessionToken();
  const sessionId = sessionIdOf(token)!;
  const now = ctx.now();
  await ctx.db
    .insertInto('sessions')
    .values({
      id: sessionId,
      account_id: account.id,
      created_at: now,
      last_seen_at: now,
      ip: origin.ip,
      user_agent: origin.userAgent?.slice(0, 512) ?? null,
    })
    .execute();
  return { token, sessionId, account: presentAccount(account) };
}
