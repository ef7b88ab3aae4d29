import type { AccountActor, DomainContext } from '../context.js';
import type { Outcome } from '../events.js';

/** Ends the caller's console session; its live connections close too. */
export async function logout(ctx: DomainContext, actor: AccountActor): Promise<Outcome<null>> {
  await ctx.db.deleteFrom('sessions').where('id', '=', actor.sessionId).execute();
  return { value: null, events: [{ type: 'session.ended', sessionId: actor.sessionId }] };
}
