import type { DomainContext } from '../context.js';
import type { DomainEvent, Outcome } from '../events.js';
import { viewsOf } from './conversationViews.js';

/** How many due conversations one round wakes (a round that fills it asks for another). */
const batch = 100;

/**
 * The background job's round: hidden conversations whose time has come come back. Each update
 * re-checks that the conversation is still hidden with a due time, so a round repeated after a
 * crash, or one racing the visitor's message or the agent, wakes each at most once. Answers
 * whether more may be due.
 */
export async function wakeSnoozedConversations(ctx: DomainContext): Promise<Outcome<boolean>> {
  const now = ctx.now();
  return ctx.transaction(async (trx) => {
    const due = await trx
      .selectFrom('conversations')
      .select('id')
      .where('snoozed_until', 'is not', null)
      .where('snoozed_until', '<=', now)
      .orderBy('snoozed_until')
      .limit(batch)
      .execute();
    if (due.length === 0) return { value: false, events: [] };
    const woken = await trx
      .updateTable('conversations')
      .set({ snoozed_at: null, snoozed_until: null })
      .where(
        'id',
        'in',
        due.map((row) => row.id),
      )
      .where('snoozed_until', '<=', now)
      .returningAll()
      .execute();
    const events: DomainEvent[] = (await viewsOf(trx, woken)).map((view) => ({
      type: 'conversation.updated',
      view,
      consoleOnly: true,
    }));
    return { value: due.length === batch, events };
  });
}
