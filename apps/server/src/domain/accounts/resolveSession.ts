import { sessionIdOf } from '../../auth/sessionTokens.js';
import type { AccountsTable } from '../../db/schema.js';
import type { AccountActor, DomainContext } from '../context.js';

/** How often a session's last-seen time is written: not on every request. */
const touchEveryMs = 60_000;

export interface ResolvedSession {
  actor: AccountActor;
  account: AccountsTable;
  /** True when the idle timer was pushed forward (a cookie may be renewed). */
  touched: boolean;
}

/**
 * Turns a session token into the acting account, or undefined when the token is unknown, idle
 * for longer than the idle period, or belongs to a disabled account.
 */
export async function resolveSession(
  ctx: DomainContext,
  token: string,
): Promise<ResolvedSession | undefined> {
  const sessionId = sessionIdOf(token);
  if (sessionId === undefined) return undefined;
  const row = await ctx.db
    .selectFrom('sessions')
    .innerJoin('accounts', 'accounts.id', 'sessions.account_id')
    .selectAll('accounts')
    .select(['sessions.last_seen_at as session_last_seen_at'])
    .where('sessions.id', '=', sessionId)
    .executeTakeFirst();
  if (!row) return undefined;
  const now = ctx.now();
  const { session_last_seen_at: lastSeenAt, ...account } = row;
  if (now - lastSeenAt > ctx.sessionIdleMs) {
    await ctx.db.deleteFrom('sessions').where('id', '=', sessionId).execute();
    return undefined;
  }
  if (account.disabled_at !== null) return undefined;
  let touched = false;
  if (now - lastSeenAt > touchEveryMs) {
    await ctx.db
      .updateTable('sessions')
      .set({ last_seen_at: now })
      .where('id', '=', sessionId)
      .execute();
    touched = true;
  }
  return {
    actor: { kind: 'account', accountId: account.id, role: account.role, sessionId },
    account,
    touched,
  };
}
