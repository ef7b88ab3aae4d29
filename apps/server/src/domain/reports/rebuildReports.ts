import type { Kysely } from 'kysely';
import { writeReportState, type ReportState } from '../../db/reportState.js';
import type { Database } from '../../db/schema.js';
import type { DomainContext } from '../context.js';
import {
  addEndedConversation,
  countMessagesBySide,
  endedConversationColumns,
  rollupKeyOf,
} from './conversationFigures.js';
import { localDayOf } from './reportDays.js';
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
      // No conversation yet (a new install): nothing to rebuild.
      const any = await trx.selectFrom('conversations').select('id').limit(1).executeTakeFirst();
      const next: ReportState = {
        zone: ctx.reports.timeZone,
        status: any ? 'rebuilding' : 'ready',
        cursor: '',
      };
      await writeReportState(trx, next);
      return next;
    },
    { lock: 'bootstrap' },
  );
}

/**
 * What a rebuild recounts for a batch of conversations (every state, by id): each adds to the
 * batch's delta what the folds would have added for those conversations: their ends, their
 * ratings and the messages left (foldConversationEnd, foldRating, foldLeftMessage).
 */
type Recount = (
  trx: Kysely<Database>,
  conversationIds: string[],
  delta: RollupDelta,
  zone: string,
) => Promise<void>;

/** Ended conversations: what foldConversationEnd adds. */
const recountEndedConversations: Recount = async (trx, ids, delta, zone) => {
  const ended = await trx
    .selectFrom('conversations')
    .select(endedConversationColumns)
    .where('id', 'in', ids)
    .where('state', '=', 'ended')
    .execute();
  const counts = await countMessagesBySide(
    trx,
    ended.map((c) => c.id),
  );
  for (const conversation of ended) {
    addEndedConversation(delta, zone, conversation, counts.get(conversation.id)!);
  }
};

/** Ratings: what foldRating adds (the conversation's start day and its agent). */
const recountRatings: Recount = async (trx, ids, delta, zone) => {
  const rated = await trx
    .selectFrom('conversation_ratings as r')
    .innerJoin('conversations as c', 'c.id', 'r.conversation_id')
    .select(['c.channel_id', 'c.agent_id', 'c.created_at', 'r.score'])
    .where('r.conversation_id', 'in', ids)
    .execute();
  for (const r of rated) {
    delta.add(rollupKeyOf(r, zone), {
      rating_count: 1,
      rating_sum: r.score,
      [`rating_${r.score}`]: 1,
    });
  }
};

/** Left messages: what foldLeftMessage adds (the day it was left, no agent). */
const recountLeftMessages: Recount = async (trx, ids, delta, zone) => {
  const left = await trx
    .selectFrom('conversations')
    .select(['channel_id', 'created_at'])
    .where('id', 'in', ids)
    .where('kind', '=', 'message')
    .execute();
  for (const c of left) {
    delta.add(
      { day: localDayOf(Number(c.created_at), zone), channelId: c.channel_id, agentId: '' },
      { left_messages: 1 },
    );
  }
};

const recounts: Recount[] = [recountEndedConversations, recountRatings, recountLeftMessages];

/**
 * One batch of a rebuild: the next `batchSize` conversations by id after the stored cursor are
 * recounted from their tables, added to the roll-ups, and the cursor moved past them, all in one
 * transaction. So a rebuild cut short (a crash, a restart, the lease moving to another node)
 * goes on from its last batch. Answers whether more is left.
 *
 * The state row is locked for the batch (PostgreSQL): a change to a conversation meanwhile
 * either waits and then sees the cursor past it (and folds itself), or is seen by the batch.
 */
export async function rebuildReportsRound(ctx: DomainContext, batchSize = 1000): Promise<boolean> {
  return ctx.transaction(async (trx) => {
    const state = await ctx.reports.readState(trx, 'update');
    if (!state || state.status !== 'rebuilding') return false;
    const ids = (
      await trx
        .selectFrom('conversations')
        .select('id')
        .where('id', '>', state.cursor)
        .orderBy('id')
        .limit(batchSize)
        .execute()
    ).map((c) => c.id);
    const delta = new RollupDelta();
    if (ids.length) {
      for (const recount of recounts) await recount(trx, ids, delta, state.zone);
    }
    await delta.writeTo(trx);
    const done = ids.length < batchSize;
    await writeReportState(trx, {
      zone: state.zone,
      status: done ? 'ready' : 'rebuilding',
      cursor: ids.at(-1) ?? state.cursor,
    });
    return !done;
  });
}
