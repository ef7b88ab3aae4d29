import type { Channel } from '@servicesystem/protocol';
import type { Actor, DomainContext } from '../context.js';
import { authorize, channelPolicy } from '../policies.js';
import { presentChannel } from '../presenters/channel.js';
import { findChannelOrThrow } from './channelRows.js';

export async function listChannels(ctx: DomainContext, actor: Actor): Promise<Channel[]> {
  authorize(channelPolicy.list(actor));
  const rows = await ctx.db
    .selectFrom('channels')
    .selectAll()
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  const withSecret = channelPolicy.readSecret(actor);
  return rows.map((row) => presentChannel(row, { withSecret }));
}

export async function getChannel(
  ctx: DomainContext,
  actor: Actor,
  channelId: string,
): Promise<Channel> {
  authorize(channelPolicy.list(actor));
  const row = await findChannelOrThrow(ctx.db, channelId);
  return presentChannel(row, { withSecret: channelPolicy.readSecret(actor) });
}
