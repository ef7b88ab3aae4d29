import type { AccountActor, DomainContext } from '../context.js';

/** Ends the caller's console session. */
export async function logout(ctx: DomainContext, actor: AccountActor): Promise<void> {
  await ctx.db.deleteFrom('sessions').where('id', '=', actor.sessionId).execute();
}
