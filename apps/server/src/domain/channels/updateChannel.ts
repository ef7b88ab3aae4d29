import type { Channel, UpdateChannelRequest } from '@servicesystem/protocol';
import type { Updateable } from 'kysely';
import type { z } from 'zod';
import type { ChannelsTable } from '../../db/schema.js';
import type { Actor, DomainContext } from '../context.js';
import { authorize, channelPolicy } from '../policies.js';
import { presentChannel } from '../presenters/channel.js';
import { findChannelOrThrow } from './channelRows.js';
import { newIdentitySecret } from './channelSecrets.js';

type Input = z.output<typeof UpdateChannelRequest>;

export async function updateChannel(
  ctx: DomainContext,
  actor: Actor,
  channelId: string,
  input: Input,
): Promise<Channel> {
  authorize(channelPolicy.manage(actor), 'Only administrators can edit channels');
  await findChannelOrThrow(ctx.db, channelId);
  const changes: Updateable<ChannelsTable> = { updated_at: ctx.now() };
  if (input.name !== undefined) changes.name = input.name;
  if (input.welcomeMessage !== undefined) changes.welcome_message = input.welcomeMessage;
  if (input.offHoursMessage !== undefined) changes.off_hours_message = input.offHoursMessage;
  if (input.businessHours !== undefined) {
    changes.business_hours = input.businessHours ? JSON.stringify(input.businessHours) : null;
  }
  if (input.allowedOrigins !== undefined) {
    changes.allowed_origins = JSON.stringify([...new Set(input.allowedOrigins)]);
  }
  await ctx.db.updateTable('channels').set(changes).where('id', '=', channelId).execute();
  return presentChannel(await findChannelOrThrow(ctx.db, channelId), { withSecret: true });
}

/** Replaces the identity secret: identity tokens signed with the old one stop working at once. */
export async function rotateChannelSecret(
  ctx: DomainContext,
  actor: Actor,
  channelId: string,
): Promise<Channel> {
  authorize(channelPolicy.manage(actor), 'Only administrators can rotate channel secrets');
  await findChannelOrThrow(ctx.db, channelId);
  await ctx.db
    .updateTable('channels')
    .set({ identity_secret: newIdentitySecret(), updated_at: ctx.now() })
    .where('id', '=', channelId)
    .execute();
  return presentChannel(await findChannelOrThrow(ctx.db, channelId), { withSecret: true });
}
