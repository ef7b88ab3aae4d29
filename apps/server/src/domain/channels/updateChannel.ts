import type { Channel, UpdateChannelRequest } from '@servicesystem/protocol';
import type { Kysely, Updateable } from 'kysely';
import type { z } from 'zod';
import type { ChannelsTable, Database } from '../../db/schema.js';
import { changedField, fieldChange, recordAudit } from '../audit/recordAudit.js';
import type { Actor, DomainContext } from '../context.js';
import { authorize, channelPolicy } from '../policies.js';
import { presentChannel } from '../presenters/channel.js';
import { findChannelOrThrow } from './channelRows.js';
import { robotChanges, robotColumns } from './channelRobot.js';
import { newIdentitySecret } from './channelSecrets.js';
import { applyTextInput, parseTexts } from './channelTexts.js';
import { sightingsOf } from './embedSightings.js';

type Input = z.output<typeof UpdateChannelRequest>;

export async function updateChannel(
  ctx: DomainContext,
  actor: Actor,
  channelId: string,
  input: Input,
): Promise<Channel> {
  authorize(channelPolicy.manage(actor), 'Only administrators can edit channels');
  return ctx.transaction(async (trx) => {
    const before = await findChannelOrThrow(trx, channelId);
    const now = ctx.now();
    const changes: Updateable<ChannelsTable> = { updated_at: now };
    if (input.name !== undefined) changes.name = input.name;
    if (input.welcomeMessage !== undefined) {
      const texts = applyTextInput(parseTexts(before.welcome_message), input.welcomeMessage);
      changes.welcome_message = JSON.stringify(texts);
    }
    if (input.offHoursMessage !== undefined) {
      const texts = applyTextInput(parseTexts(before.off_hours_message), input.offHoursMessage);
      changes.off_hours_message = JSON.stringify(texts);
    }
    if (input.businessHours !== undefined) {
      changes.business_hours = input.businessHours ? JSON.stringify(input.businessHours) : null;
    }
    if (input.allowedOrigins !== undefined) {
      changes.allowed_origins = JSON.stringify([...new Set(input.allowedOrigins)]);
    }
    if (input.ratingEnabled !== undefined) changes.rating_enabled = input.ratingEnabled ? 1 : 0;
    if (input.idleEndMinutes !== undefined) changes.idle_end_minutes = input.idleEndMinutes;
    if (input.absentAgentMinutes !== undefined) {
      changes.absent_agent_minutes = input.absentAgentMinutes;
    }
    if (input.retentionDays !== undefined) changes.retention_days = input.retentionDays;
    Object.assign(changes, await robotColumns(trx, actor, before, input.robot, now));
    await trx.updateTable('channels').set(changes).where('id', '=', channelId).execute();
    const after = await findChannelOrThrow(trx, channelId);
    await auditChannelUpdate(trx, actor, before, after);
    const sightings = (await sightingsOf(trx, [channelId])).get(channelId);
    return presentChannel(after, { withSecret: true, sightings });
  });
}

/** The audit entry of an edit: only what changed; nothing for an edit that changed nothing. */
async function auditChannelUpdate(
  trx: Kysely<Database>,
  actor: Actor,
  before: ChannelsTable,
  after: ChannelsTable,
): Promise<void> {
  const named = (field: string, from: string | null, to: string | null) =>
    from === to ? [] : [changedField(field)];
  const changes = [
    ...fieldChange('name', before.name, after.name),
    ...fieldChange(
      'allowedOrigins',
      JSON.parse(before.allowed_origins) as string[],
      JSON.parse(after.allowed_origins) as string[],
    ),
    ...named('welcomeMessage', before.welcome_message, after.welcome_message),
    ...named('offHoursMessage', before.off_hours_message, after.off_hours_message),
    ...named('businessHours', before.business_hours, after.business_hours),
    ...fieldChange('ratingEnabled', before.rating_enabled !== 0, after.rating_enabled !== 0),
    ...fieldChange('idleEndMinutes', before.idle_end_minutes, after.idle_end_minutes),
    ...fieldChange('absentAgentMinutes', before.absent_agent_minutes, after.absent_agent_minutes),
    ...fieldChange('retentionDays', before.retention_days, after.retention_days),
    ...robotChanges(before, after),
  ];
  if (changes.length === 0) return;
  await recordAudit(
    trx,
    actor,
    {
      action: 'channel.update',
      target: { type: 'channel', id: after.id, label: after.name },
      changes,
    },
    after.updated_at,
  );
}

/** Replaces the identity secret: identity tokens signed with the old one stop working at once. */
export async function rotateChannelSecret(
  ctx: DomainContext,
  actor: Actor,
  channelId: string,
): Promise<Channel> {
  authorize(channelPolicy.manage(actor), 'Only administrators can rotate channel secrets');
  return ctx.transaction(async (trx) => {
    const channel = await findChannelOrThrow(trx, channelId);
    const now = ctx.now();
    await trx
      .updateTable('channels')
      .set({ identity_secret: newIdentitySecret(), updated_at: now })
      .where('id', '=', channelId)
      .execute();
    await recordAudit(
      trx,
      actor,
      {
        action: 'channel.rotateSecret',
        target: { type: 'channel', id: channel.id, label: channel.name },
        changes: [changedField('identitySecret')],
      },
      now,
    );
    const sightings = (await sightingsOf(trx, [channelId])).get(channelId);
    return presentChannel(await findChannelOrThrow(trx, channelId), {
      withSecret: true,
      sightings,
    });
  });
}
