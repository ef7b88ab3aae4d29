import type { Channel } from '@servicesystem/protocol';
import type { Actor, DomainContext } from '../context.js';
import { authorize, channelPolicy } from '../policies.js';
import { presentChannel } from '../presenters/channel.js';
import { findChannelOrThrow } from './channelRows.js';
import { sightingsOf } from './embedSightings.js';

export async function listChannels(ctx: DomainContext, actor: Actor): Promise<Channel[]> {
  authorize(channelPolicy.list(actor));
  const rows = await ctx.db
    .selectFrom('channels')
    .selectAll()
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  const withSecret = channelPolicy.readSecret(actor);
  const sightings = withSecret
    ? await sightingsOf(
        ctx.db,
        rows.map((row) => row.id),
      )
    : undefined;
  return rows.map((row) => presentChannel(row, { withSecret, sightings: sightings?.get(row.id) }));
}

export async function getChannel(
  ctx: DomainContext,
  actor: Actor,
  channelId: string,
): Promise<Channel> {
  authorize(channelPolicy.list(actor));
  const row = await findChannelOrThrow(ctx.db, channelId);
  const withSecret = channelPolicy.readSecret(actor);
  const sightings = withSecret ? (await sightingsOf(ctx.db, [row.id])).get(row.id) : undefined;
  return presentChannel(row, { withSecret, sightings });
}
