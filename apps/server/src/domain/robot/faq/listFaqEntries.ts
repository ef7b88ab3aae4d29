import type { FaqEntry } from '@servicesystem/protocol';
import type { Actor, DomainContext } from '../../context.js';
import { findChannelOrThrow } from '../../channels/channelRows.js';
import { authorize, channelPolicy } from '../../policies.js';
import { presentFaqEntry } from '../../presenters/faqEntry.js';
import { imagesOf } from './faqRows.js';

/** A channel's FAQ entries in list order, disabled ones too. */
export async function listFaqEntries(
  ctx: DomainContext,
  actor: Actor,
  channelId: string,
): Promise<FaqEntry[]> {
  authorize(channelPolicy.manage(actor), 'Only administrators can manage FAQ entries');
  await findChannelOrThrow(ctx.db, channelId);
  const rows = await ctx.db
    .selectFrom('faq_entries')
    .selectAll()
    .where('channel_id', '=', channelId)
    .orderBy('position')
    .orderBy('id')
    .execute();
  const images = await imagesOf(ctx.db, rows);
  return rows.map((row) =>
    presentFaqEntry(
      row,
      row.image_file_id ? images.get(row.image_file_id) : undefined,
      ctx.fileUrls,
    ),
  );
}
