import { recordAudit } from '../audit/recordAudit.js';
import type { Actor, DomainContext } from '../context.js';
import { authorize, channelPolicy } from '../policies.js';
import { findChannelOrThrow } from './channelRows.js';

export async function deleteChannel(
  ctx: DomainContext,
  actor: Actor,
  channelId: string,
): Promise<void> {
  authorize(channelPolicy.manage(actor), 'Only administrators can delete channels');
  await ctx.transaction(async (trx) => {
    const channel = await findChannelOrThrow(trx, channelId);
    await trx.deleteFrom('channels').where('id', '=', channelId).execute();
    await recordAudit(
      trx,
      actor,
      {
        action: 'channel.delete',
        target: { type: 'channel', id: channel.id, label: channel.name },
        changes: [],
      },
      ctx.now(),
    );
  });
}
