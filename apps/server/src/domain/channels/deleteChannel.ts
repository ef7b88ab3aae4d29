import type { Actor, DomainContext } from '../context.js';
import { authorize, channelPolicy } from '../policies.js';
import { findChannelOrThrow } from './channelRows.js';

export async function deleteChannel(
  ctx: DomainContext,
  actor: Actor,
  channelId: string,
): Promise<void> {
  authorize(channelPolicy.manage(actor), 'Only administrators can delete channels');
  await findChannelOrThrow(ctx.db, channelId);
  await ctx.db.deleteFrom('channels').where('id', '=', channelId).execute();
}
