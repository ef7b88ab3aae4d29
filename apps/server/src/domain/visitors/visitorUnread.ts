import type { VisitorActor, DomainContext } from '../context.js';

/** Messages the visitor has not read, over all their conversations: Σ (last seq − read seq). */
export async function visitorUnread(ctx: DomainContext, actor: VisitorActor): Promise<number> {
  const row = await ctx.db
    .selectFrom('conversations')
    .select((eb) =>
      eb.fn
        .coalesce(eb.fn.sum<number>(eb('last_seq', '-', eb.ref('visitor_read_seq'))), eb.val(0))
        .as('unread'),
    )
    .where('visitor_id', '=', actor.visitorId)
    .executeTakeFirst();
  return Number(row?.unread ?? 0);
}
