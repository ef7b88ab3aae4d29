import type { DomainContext } from '../context.js';
import type { Outcome } from '../events.js';

/**
 * How many conversations wait in the queue, as an event for every console user (the
 * `unassigned` view's count). Run after a change that may have moved the queue has committed:
 * app.ts does so when a committed batch has a `conversation.updated` the visitor also hears
 * (starts, assignments, transfers, ends), never for a message.
 */
export async function announceQueueCount(ctx: DomainContext): Promise<Outcome<void>> {
  const row = await ctx.db
    .selectFrom('conversations')
    .select((eb) => eb.fn.countAll<number>().as('queued'))
    .where('state', '=', 'queued')
    .executeTakeFirstOrThrow();
  return { value: undefined, events: [{ type: 'queue.count', queued: Number(row.queued) }] };
}
