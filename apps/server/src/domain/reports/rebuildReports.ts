import { writeReportState, type ReportState } from '../../db/reportState.js';
import type { DomainContext } from '../context.js';
import {
  addEndedConversation,
  countMessagesBySide,
  endedConversationColumns,
} from './conversationFigures.js';
import { RollupDelta } from './rollups.js';

/**
 * At start: the roll-ups must be in the configured zone and contain every ended conversation.
 * On the first start after they were added, or when REPORT_TIME_ZONE changed, they are emptied
 * and a rebuild is set up (the `reports` background job does it in batches); until it is done
 * reports say `rebuilding`. Nodes starting together take the bootstrap lock: one sets it up.
 */
export async function prepareReports(ctx: DomainContext): Promise<ReportState> {
  return ctx.transaction(
    async (trx) => {
      const state = await ctx.reports.readState(trx, 'update');
      if (state && state.zone === ctx.reports.timeZone) return state;
      await trx.deleteFrom('report_daily').execute();
      // Nothing ended yet (a new install): nothing to rebuild.
      const ended = await trx
        .selectFrom('conversations')
        .select('id')
        .where('state', '=', 'ended')
        .limit(1)
        .executeTakeFirst();
      const next: ReportState = {
        zone: ctx.reports.timeZone,
        status: ended ? 'rebuilding' : 'ready',
        cursor: '',
      };
      await writeReportState(trx, next);
      return next;
    },
    { lock: 'bootstrap' },
  );
}

/**
 * One batch of a rebuild: the next `batchSize` ended conversations by id after the stored
 * cursor are counted from the conversations and messages tables, added to the roll-ups, and the
 * cursor moved past them, all in one transaction. So a rebuild cut short (a crash, a restart, the
 * lease moving to another node) goes on from its last batch. Answers whether more is left.
 *
 * The state row is locked for the batch (PostgreSQL): a conversation ending meanwhile either
 * waits and then sees the cursor past it (and folds itself), or is seen ended by the batch.
 */
export async function rebuildReportsRound(ctx: DomainContext, batchSize = 1000): Promise<boolean> {
  return ctx.transaction(async (trx) => {
    const state = await ctx.reports.readState(trx, 'update');
    if (!state || state.status !== 'rebuilding') return false;
    const conversations = await trx
      .selectFrom('conversations')
      .select(endedConversationColumns)
      .where('state', '=', 'ended')
      .where('id', '>', state.cursor)
      .orderBy('id')
      .limit(batchSize)
      .execute();
    const counts = await countMessagesBySide(
      trx,
      conversations.map((c) => c.id),
    );
    const delta = new RollupDelta();
    for (const conversation of conversations) {
      addEndedConversation(delta, state.zone, conversation, counts.get(conversation.id)!);
    }
    await delta.writeTo(trx);
    const done = conversations.length < batchSize;
    await writeReportState(trx, {
      zone: state.zone,
      status: done ? 'ready' : 'rebuilding',
      cursor: conversations.at(-1)?.id ?? state.cursor,
    });
    return !done;
  });
}
