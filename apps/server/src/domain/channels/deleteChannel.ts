import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { recordAudit } from '../audit/recordAudit.js';
import type { Actor, DomainContext } from '../context.js';
import { authorize, channelPolicy } from '../policies.js';
import { findChannelOrThrow } from './channelRows.js';

/**
 * Deletes a channel with its visitors, conversations, messages and report figures. Their files go too: in the
 * same transaction they are marked deleted, so their signed URLs answer 404 from the commit on;
 * the stored objects are removed in the background (fileLifecycle.ts), which picks up again
 * after a crash.
 */
export async function deleteChannel(
  ctx: DomainContext,
  actor: Actor,
  channelId: string,
): Promise<void> {
  authorize(channelPolicy.manage(actor), 'Only administrators can delete channels');
  await ctx.transaction(async (trx) => {
    const channel = await findChannelOrThrow(trx, channelId);
    await markChannelFilesDeleted(trx, channelId, ctx.now());
    await trx.deleteFrom('channels').where('id', '=', channelId).execute();
    // Its report figures go with it (the roll-ups keep no foreign key).
    await trx.deleteFrom('report_daily').where('channel_id', '=', channelId).execute();
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
  // Its FAQ entries went with it (cascade): drop the index this node held for it.
  ctx.robotKnowledge.forget(channelId);
}

/**
 * The channel's files: every upload of its visitors, and agents' files sent in its conversations
 * and in no other channel's. Published files (agents' avatars) stay.
 */
async function markChannelFilesDeleted(
  trx: Kysely<Database>,
  channelId: string,
  now: number,
): Promise<void> {
  await trx
    .updateTable('files')
    .set({ deleted_at: now })
    .where('deleted_at', 'is', null)
    .where('published_at', 'is', null)
    .where((eb) =>
      eb.or([
        eb.and([
          eb('owner_type', '=', 'visitor'),
          eb(
            'owner_id',
            'in',
            eb.selectFrom('visitors').select('visitors.id').where('channel_id', '=', channelId),
          ),
        ]),
        eb(
          'files.id',
          'in',
          eb
            .selectFrom('messages as sent')
            .innerJoin('conversations as here', 'here.id', 'sent.conversation_id')
            .select('sent.attachment_id')
            .where('here.channel_id', '=', channelId)
            .where('sent.attachment_id', 'is not', null)
            .where(({ not, exists, selectFrom }) =>
              not(
                exists(
                  selectFrom('messages as other')
                    .innerJoin('conversations as there', 'there.id', 'other.conversation_id')
                    .select('other.id')
                    .whereRef('other.attachment_id', '=', 'sent.attachment_id')
                    .where('there.channel_id', '!=', channelId),
                ),
              ),
            ),
        ),
      ]),
    )
    .execute();
}
