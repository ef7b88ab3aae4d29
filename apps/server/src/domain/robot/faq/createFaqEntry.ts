import { randomUUID } from 'node:crypto';
import { faqLimits, type CreateFaqEntryRequest, type FaqEntry } from '@servicesystem/protocol';
import type { z } from 'zod';
import { changedField, recordAudit } from '../../audit/recordAudit.js';
import type { Actor, DomainContext } from '../../context.js';
import { AppError } from '../../errors.js';
import { authorize, channelPolicy } from '../../policies.js';
import { presentFaqEntry } from '../../presenters/faqEntry.js';
import { lockChannelFaq, publishEntryImage } from './faqRows.js';

type Input = z.output<typeof CreateFaqEntryRequest>;

/** Adds an entry at the end of the channel's list; the robot on this node knows it at once. */
export async function createFaqEntry(
  ctx: DomainContext,
  actor: Actor,
  channelId: string,
  input: Input,
): Promise<FaqEntry> {
  authorize(channelPolicy.manage(actor), 'Only administrators can manage FAQ entries');
  const now = ctx.now();
  const entry = await ctx.transaction(async (trx) => {
    await lockChannelFaq(trx, channelId);
    const { count, last } = await trx
      .selectFrom('faq_entries')
      .select((eb) => [
        eb.fn.countAll<number | string>().as('count'),
        eb.fn.max('position').as('last'),
      ])
      .where('channel_id', '=', channelId)
      .executeTakeFirstOrThrow();
    if (Number(count) >= faqLimits.entries) {
      throw new AppError(
        'FAQ_FULL',
        `A channel has at most ${faqLimits.entries} FAQ entries; delete some first`,
      );
    }
    const image = input.imageFileId
      ? await publishEntryImage(trx, actor, input.imageFileId, now)
      : undefined;
    const row = {
      id: randomUUID(),
      channel_id: channelId,
      questions: JSON.stringify(input.questions),
      answer: input.answer,
      image_file_id: image?.id ?? null,
      enabled: input.enabled === false ? 0 : 1,
      position: Number(last ?? 0) + 1,
      created_at: now,
      updated_at: now,
    };
    await trx.insertInto('faq_entries').values(row).execute();
    await recordAudit(
      trx,
      actor,
      {
        action: 'faq.create',
        target: { type: 'faqEntry', id: row.id, label: input.questions[0]! },
        changes: [
          changedField('questions'),
          changedField('answer'),
          ...(image ? [changedField('image')] : []),
          { field: 'enabled', to: row.enabled === 1 },
          { field: 'position', to: row.position },
        ],
      },
      now,
    );
    return presentFaqEntry(row, image, ctx.fileUrls);
  });
  ctx.robotKnowledge.forget(channelId);
  return entry;
}
