import type { Label, UpdateLabelRequest } from '@servicesystem/protocol';
import type { z } from 'zod';
import { isUniqueViolation } from '../../db/errors.js';
import { fieldChange, recordAudit } from '../audit/recordAudit.js';
import type { AccountActor, DomainContext } from '../context.js';
import type { Outcome } from '../events.js';
import { authorize, labelPolicy } from '../policies.js';
import { presentLabel } from '../presenters/label.js';
import { labelNameTakenError } from './createLabel.js';
import { allLabels, findLabelOrThrow, labelNameTaken } from './labelRows.js';

type Input = z.output<typeof UpdateLabelRequest>;

/** An administrator renames or recolours a label; conversations carrying it show the change. */
export async function updateLabel(
  ctx: DomainContext,
  actor: AccountActor,
  labelId: string,
  input: Input,
): Promise<Outcome<Label>> {
  authorize(labelPolicy.manage(actor), 'Only administrators can manage labels');
  try {
    return await ctx.transaction(async (trx) => {
      const before = await findLabelOrThrow(trx, labelId);
      const name = input.name ?? before.name;
      const color = input.color ?? before.color;
      if (name !== before.name && (await labelNameTaken(trx, name, labelId))) {
        throw labelNameTakenError(name);
      }
      const changes = [
        ...fieldChange('name', before.name, name),
        ...fieldChange('color', before.color, color),
      ];
      if (changes.length === 0) return { value: presentLabel(before), events: [] };
      const now = ctx.now();
      await trx
        .updateTable('labels')
        .set({ name, color, updated_at: now })
        .where('id', '=', labelId)
        .execute();
      await recordAudit(
        trx,
        actor,
        { action: 'label.update', target: { type: 'label', id: labelId, label: name }, changes },
        now,
      );
      return {
        value: presentLabel({ ...before, name, color, updated_at: now }),
        events: [{ type: 'labels.changed', labels: await allLabels(trx) }],
      };
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw labelNameTakenError(input.name ?? '');
    throw error;
  }
}
