import type { Label } from '@servicesystem/protocol';
import type { AccountActor, DomainContext } from '../context.js';
import { authorize, labelPolicy } from '../policies.js';
import { presentLabel } from '../presenters/label.js';
import { allLabels } from './labelRows.js';

/** Every label, by name: every console user reads them. */
export async function listLabels(ctx: DomainContext, actor: AccountActor): Promise<Label[]> {
  authorize(labelPolicy.list(actor));
  return (await allLabels(ctx.db)).map(presentLabel);
}
