import { prepared } from '../../db/prepared.js';
import type { VisitorsTable } from '../../db/schema.js';
import type { DomainContext, VisitorActor } from '../context.js';

/** Every visitor request runs this: compiled once. */
const visitorById = prepared<
  { id: string },
  Pick<VisitorsTable, 'id' | 'channel_id' | 'erased_at'>
>((db, slot) =>
  db.selectFrom('visitors').select(['id', 'channel_id', 'erased_at']).where('id', '=', slot('id')),
);

/** Turns a visitor token into the acting visitor, or undefined when it is invalid, expired, or
 * its visitor no longer exists (for example, the channel was deleted) or was erased. */
export async function resolveVisitor(
  ctx: DomainContext,
  token: string,
): Promise<VisitorActor | undefined> {
  const claims = await ctx.visitorTokens.verify(token);
  if (!claims) return undefined;
  const [visitor] = await visitorById(ctx.db, { id: claims.visitorId });
  if (!visitor || visitor.channel_id !== claims.channelId) return undefined;
  // An erased visitor (domain/privacy/eraseVisitor.ts): every token they held is refused.
  if (visitor.erased_at !== null) return undefined;
  return { kind: 'visitor', visitorId: visitor.id, channelId: visitor.channel_id };
}
