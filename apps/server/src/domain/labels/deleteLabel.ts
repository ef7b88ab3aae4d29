import { recordAudit } from '../audit/recordAudit.js';
import type { AccountActor, DomainContext } from '../context.js';
import type { Outcome } from '../events.js';
import { authorize, labelPolicy } from '../policies.js';
import { allLabels, findLabelOrThrow } from './labelRows.js';

/** An administrator deletes a label: it comes off every conversation at once. */
export async function deleteLabel(
  ctx: DomainContext,
  actor: AccountActor,
  labelId: string,
): Promise<Outcome<void>> {
  authorize(labelPolicy.manage(actor), 'Only administrators can manage labels');
  return ctx.transaction(async (trx) => {
    const label = await findLabelOrThrow(trx, labelId);
    const now = ctx.now();
    await trx.deleteFrom('conversation_labels').where('label_id', '=', labelId).execute();
    await trx.deleteFrom('labels').where('id', '=', labelId).execute();
    await recordAudit(
      trx,
      actor,
      {
        action: 'label.delete',
        target: { type: 'label', id: labelId, label: label.name },
        changes: [],
      },
      now,
    );
    return {
      value: undefined,
      events: [{ type: 'labels.changed', labels: await allLabels(trx) }],
    };
  });
}
