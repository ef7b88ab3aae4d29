import { recordAudit } from '../../audit/recordAudit.js';
import type { Actor, DomainContext } from '../../context.js';
import { authorize, channelPolicy } from '../../policies.js';
import { findEntryOrThrow, firstQuestion, lockChannelFaq } from './faqRows.js';

/** Deletes an entry; the ones after it move up, so positions stay 1..n. Its image stays
 * published: answers the robot already gave still show it. */
export async function deleteFaqEntry(
  ctx: DomainContext,
  actor: Actor,
  channelId: string,
  entryId: string,
): Promise<void> {
  authorize(channelPolicy.manage(actor), 'Only administrators can manage FAQ entries');
  await ctx.transaction(async (trx) => {
    await lockChannelFaq(trx, channelId);
    const row = await findEntryOrThrow(trx, channelId, entryId);
    await trx.deleteFrom('faq_entries').where('id', '=', entryId).execute();
    await trx
      .updateTable('faq_entries')
      .set((eb) => ({ position: eb('position', '-', 1) }))
      .where('channel_id', '=', channelId)
      .where('position', '>', row.position)
      .execute();
    await recordAudit(
      trx,
      actor,
      {
        action: 'faq.delete',
        target: { type: 'faqEntry', id: entryId, label: firstQuestion(row.questions) },
        changes: [],
      },
      ctx.now(),
    );
  });
  ctx.robotKnowledge.forget(channelId);
}
