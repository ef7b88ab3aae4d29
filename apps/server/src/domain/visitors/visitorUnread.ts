import type { VisitorActor, DomainContext } from '../context.js';

/** The agents' messages the visitor has not read, over all their conversations (system notices
 * never count). */
export async function visitorUnread(ctx: DomainContext, actor: VisitorActor): Promise<number> {
  const row = await ctx.db
    .selectFrom('conversations')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('visitor_unread'), eb.val(0)).as('unread'))
    .where('visitor_id', '=', actor.visitorId)
    .executeTakeFirst();
  return Number(row?.unread ?? 0);
}
