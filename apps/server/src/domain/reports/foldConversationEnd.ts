import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { DomainContext } from '../context.js';
import {
  addEndedConversation,
  countMessagesBySide,
  endedConversationColumns,
  foldsNow,
} from './conversationFigures.js';
import { RollupDelta } from './rollups.js';

/**
 * Adds a conversation that has just ended to the report roll-ups, in the transaction that ended
 * it (call it after the conversation row is updated): the day it started, its agent at the end.
 * Its messages are counted once here, never on each send.
 */
export async function foldConversationEnd(
  ctx: DomainContext,
  trx: Kysely<Database>,
  conversationId: string,
): Promise<void> {
  const state = await ctx.reports.readState(trx, 'share');
  if (!foldsNow(state, conversationId)) return;
  const conversation = await trx
    .selectFrom('conversations')
    .select(endedConversationColumns)
    .where('id', '=', conversationId)
    .executeTakeFirstOrThrow();
  const counts = await countMessagesBySide(trx, [conversationId]);
  const delta = new RollupDelta();
  addEndedConversation(delta, state.zone, conversation, counts.get(conversationId)!);
  await delta.writeTo(trx);
}
