import type { LoginRequest, LoginResponse } from '@servicesystem/protocol';
import { decoyPasswordHash, verifyPassword } from '../../auth/passwords.js';
import { newSessionToken, sessionIdOf } from '../../auth/sessionTokens.js';
import type { DomainContext } from '../context.js';
import { AppError } from '../errors.js';
import { presentAccount } from '../presenters/account.js';

export interface LoginOrigin {
  ip: string;
  userAgent: string | undefined;
}

/**
 * Checks a username and password and opens a console session. Failed attempts are limited per
 * IP address and per username; a limited caller is refused before the password is checked.
 */
export async function login(
  ctx: DomainContext,
  input: LoginRequest,
  origin: LoginOrigin,
): Promise<LoginResponse & { sessionId: string }> {
  const username = input.username.toLowerCase();
  const throttleKeys = [`ip:${origin.ip}`, `user:${username}`];
  const waitMs = ctx.loginThrottle.retryAfterMs(throttleKeys);
  if (waitMs > 0) {
    const retryAfterSeconds = Math.ceil(waitMs / 1000);
    throw new AppError(
      'TOO_MANY_LOGIN_ATTEMPTS',
      `Too many failed logins. Try again in ${Math.ceil(retryAfterSeconds / 60)} minute(s).`,
      { retryAfterSeconds },
    );
  }

  const account = await ctx.db
    .selectFrom('accounts')
    .selectAll()
    .where('username', '=', username)
    .executeTakeFirst();
  const passwordOk = await verifyPassword(
    account?.password_hash ?? (await decoyPasswordHash()),
    input.password,
  );
  if (!account || !passwordOk) {
    ctx.loginThrottle.recordFailure(throttleKeys);
    throw new AppError('INVALID_CREDENTIALS', 'The username or password is wrong');
  }
  if (account.disabled_at !== null) {
    throw new AppError('ACCOUNT_DISABLED', 'This account has been disabled by an administrator');
  }
  ctx.loginThrottle.clear(throttleKeys);

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
