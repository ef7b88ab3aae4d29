import { sql } from 'kysely';
import type { DomainContext, VisitorActor } from '../context.js';
import type { Outcome } from '../events.js';
import type { VisitorDevice } from './deviceOfUserAgent.js';
import {
  mergeVisitorContext,
  readVisitorContext,
  sameVisitorContext,
  type ContextReport,
} from './visitorContext.js';

/** A report that changes nothing still moves "last seen" when it is older than this. */
const lastSeenStepMs = 60_000;

/**
 * The visitor's page reports where they are (and the transport adds the browser, OS and device
 * of the User-Agent): the visitor's own context is updated, never anyone else's, since the
 * actor is who the token says. When what agents see changed and the visitor has an open
 * conversation, its console users hear of it (`visitor.context`).
 *
 * Two tabs reporting at the same moment may each merge into the context before the other's
 * write (last write wins): a page of the recent list can be lost, nothing else.
 */
export async function reportVisitorContext(
  ctx: DomainContext,
  actor: VisitorActor,
  report: ContextReport,
  device: VisitorDevice | undefined,
): Promise<Outcome<{ changed: boolean }>> {
  const now = ctx.now();
  const before = await readVisitorContext(ctx.db, actor.visitorId);
  const after = mergeVisitorContext(before, report, device, now);
  const changed = !sameVisitorContext(before, after);
  if (!changed && before.lastSeenAt !== null && now - before.lastSeenAt < lastSeenStepMs) {
    return { value: { changed: false }, events: [] };
  }
  const context = { ...after, lastSeenAt: now };
  const json = JSON.stringify(context);
  const open = await ctx.transaction(async (trx) => {
    await trx
      .insertInto('visitor_contexts')
      .values({ visitor_id: actor.visitorId, context: json, updated_at: now })
      .onConflict((oc) => oc.column('visitor_id').doUpdateSet({ context: json, updated_at: now }))
      .execute();
    if (!changed) return undefined;
    return (
      trx
        .selectFrom('conversations')
        .select(['id', 'agent_id'])
        .where('visitor_id', '=', actor.visitorId)
        .where('state', '!=', sql.lit('ended'))
        // One at most (conversations_one_open_per_visitor).
        .executeTakeFirst()
    );
  });
  return {
    value: { changed },
    events: open
      ? [
          {
            type: 'visitor.context',
            visitorId: actor.visitorId,
            conversationId: open.id,
            agentId: open.agent_id,
            context,
          },
        ]
      : [],
  };
}
