import type { SavedReply } from '@servicesystem/protocol';
import { sql } from 'kysely';
import type { Actor, DomainContext } from '../context.js';
import { authorize, savedReplyPolicy } from '../policies.js';
import { presentSavedReply } from '../presenters/savedReply.js';

/** The caller's personal replies, then the shared ones, each by shortcut. */
export async function listSavedReplies(ctx: DomainContext, actor: Actor): Promise<SavedReply[]> {
  authorize(savedReplyPolicy.list(actor));
  if (actor.kind !== 'account') return [];
  const rows = await ctx.db
    .selectFrom('saved_replies')
    .selectAll()
    .where((eb) => eb.or([eb('owner_id', 'is', null), eb('owner_id', '=', actor.accountId)]))
    .orderBy(sql`case when owner_id is null then 1 else 0 end`)
    .orderBy('shortcut')
    .orderBy('id')
    .execute();
  return rows.map(presentSavedReply);
}
