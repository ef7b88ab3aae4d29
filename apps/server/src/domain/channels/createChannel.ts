import { randomUUID } from 'node:crypto';
import type { Channel, CreateChannelRequest } from '@servicesystem/protocol';
import type { Kysely } from 'kysely';
import type { z } from 'zod';
import type { ChannelsTable, Database } from '../../db/schema.js';
import { changedField, recordAudit, type AuditBy } from '../audit/recordAudit.js';
import type { Actor, DomainContext } from '../context.js';
import { authorize, channelPolicy } from '../policies.js';
import { presentChannel } from '../presenters/channel.js';
import { defaultRobotColumns, robotChanges, robotColumns } from './channelRobot.js';
import { newIdentitySecret } from './channelSecrets.js';
import { applyTextInput, defaultOffHoursMessage, defaultWelcomeMessage } from './channelTexts.js';

type Input = z.output<typeof CreateChannelRequest>;

export async function createChannel(
  ctx: DomainContext,
  actor: Actor,
  input: Input,
): Promise<Channel> {
  authorize(channelPolicy.manage(actor), 'Only administrators can create channels');
  return doCreateChannel(ctx, input, actor);
}

/** Creates a channel and its audit entry. `setup`: the first start. */
export async function doCreateChannel(
  ctx: DomainContext,
  input: Input,
  by: AuditBy,
  /** Bootstrap's open transaction, to write in; otherwise this opens its own. */
  within?: Kysely<Database>,
): Promise<Channel> {
  const now = ctx.now();
  const row: ChannelsTable = {
    id: randomUUID(),
    name: input.name,
    identity_secret: newIdentitySecret(),
    welcome_message: JSON.stringify(applyTextInput(defaultWelcomeMessage, input.welcomeMessage)),
    off_hours_message: JSON.stringify(
      applyTextInput(defaultOffHoursMessage, input.offHoursMessage),
    ),
    business_hours: input.businessHours ? JSON.stringify(input.businessHours) : null,
    allowed_origins: JSON.stringify(input.allowedOrigins ?? []),
    // Ask for ratings; idle end and hand-back off until an administrator sets minutes.
    rating_enabled: input.ratingEnabled === false ? 0 : 1,
    idle_end_minutes: input.idleEndMinutes ?? null,
    absent_agent_minutes: input.absentAgentMinutes ?? null,
    retention_days: null,
    ...defaultRobotColumns,
    created_at: now,
    updated_at: now,
  };
  const write = async (trx: Kysely<Database>) => {
    if (input.robot !== undefined) {
      // The first start's channel gives no robot settings; only a console user does.
      if (typeof by === 'string') throw new Error('unreachable: only a console user sets a robot');
      Object.assign(row, await robotColumns(trx, by, row, input.robot, now));
    }
    await trx.insertInto('channels').values(row).execute();
    await recordAudit(
      trx,
      by,
      {
        action: 'channel.create',
        target: { type: 'channel', id: row.id, label: row.name },
        changes: [
          { field: 'name', to: row.name },
          { field: 'allowedOrigins', to: input.allowedOrigins ?? [] },
          ...(input.welcomeMessage !== undefined ? [changedField('welcomeMessage')] : []),
          ...(input.offHoursMessage !== undefined ? [changedField('offHoursMessage')] : []),
          ...(input.businessHours ? [changedField('businessHours')] : []),
          // A new channel's robot settings: those that differ from the defaults.
          ...robotChanges(defaultRobotColumns, row).map(({ field, to }) =>
            to === undefined ? { field } : { field, to },
          ),
        ],
      },
      now,
    );
  };
  await (within ? write(within) : ctx.transaction(write));
  return presentChannel(row, {
    withSecret: true,
    sightings: { blockedOrigins: [], loadedOrigins: [] },
  });
}
