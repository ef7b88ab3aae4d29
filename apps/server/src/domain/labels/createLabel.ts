import { maxLabels, type CreateLabelRequest, type Label } from '@servicesystem/protocol';
import type { z } from 'zod';
import { isUniqueViolation } from '../../db/errors.js';
import { timeOrderedId } from '../../db/ids.js';
import { fieldChange, recordAudit } from '../audit/recordAudit.js';
import type { AccountActor, DomainContext } from '../context.js';
import { AppError } from '../errors.js';
import type { Outcome } from '../events.js';
import { authorize, labelPolicy } from '../policies.js';
import { presentLabel } from '../presenters/label.js';
import { allLabels, labelNameTaken } from './labelRows.js';

type Input = z.output<typeof CreateLabelRequest>;

export const labelNameTakenError = (name: string) =>
  new AppError('LABEL_NAME_TAKEN', `A label named "${name}" already exists`);

/** An administrator defines a label. Names are unique regardless of case. */
export async function createLabel(
  ctx: DomainContext,
  actor: AccountActor,
  input: Input,
): Promise<Outcome<Label>> {
  authorize(labelPolicy.manage(actor), 'Only administrators can manage labels');
  try {
    return await ctx.transaction(async (trx) => {
      if (await labelNameTaken(trx, input.name)) throw labelNameTakenError(input.name);
      const count = await trx
        .selectFrom('labels')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      if (Number(count.n) >= maxLabels) {
        throw new AppError('INVALID_STATE', `There can be at most ${maxLabels} labels`);
      }
      const now = ctx.now();
      const row = {
        id: timeOrderedId(now),
        name: input.name,
        color: input.color,
        created_at: now,
        updated_at: now,
      };
      await trx.insertInto('labels').values(row).execute();
      await recordAudit(
        trx,
        actor,
        {
          action: 'label.create',
          target: { type: 'label', id: row.id, label: row.name },
          changes: [
            ...fieldChange('name', null, row.name),
            ...fieldChange('color', null, row.color),
          ],
        },
        now,
      );
      return {
        value: presentLabel(row),
        events: [{ type: 'labels.changed', labels: await allLabels(trx) }],
      };
    });
  } catch (error) {
    // Two admins creating the same name at once: the unique index decides.
    if (isUniqueViolation(error)) throw labelNameTakenError(input.name);
    throw error;
  }
}
