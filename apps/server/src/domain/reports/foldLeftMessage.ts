import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { DomainContext } from '../context.js';
import { foldsNow } from './conversationFigures.js';
import { localDayOf } from './reportDays.js';
import { RollupDelta } from './rollups.js';

/**
 * Adds a message a visitor left (no agent was there) to the roll-ups, in the transaction that
 * stores it: the day it was left, its channel, no agent. `id`: the left message's conversation.
 */
export async function foldLeftMessage(
  ctx: DomainContext,
  trx: Kysely<Database>,
  left: { id: string; channelId: string; createdAt: number },
): Promise<void> {
  const state = await ctx.reports.readState(trx, 'share');
  if (!foldsNow(state, left.id)) return;
  const delta = new RollupDelta();
  delta.add(
    { day: localDayOf(left.createdAt, state.zone), channelId: left.channelId, agentId: '' },
    { left_messages: 1 },
  );
  await delta.writeTo(trx);
}
