import type { AuditChange, FaqEntry, UpdateFaqEntryRequest } from '@servicesystem/protocol';
import type { Kysely, Updateable } from 'kysely';
import type { z } from 'zod';
import type { Database, FaqEntriesTable, FilesTable } from '../../../db/schema.js';
import { changedField, fieldChange, recordAudit } from '../../audit/recordAudit.js';
import type { Actor, DomainContext } from '../../context.js';
import { authorize, channelPolicy } from '../../policies.js';
import { presentFaqEntry } from '../../presenters/faqEntry.js';
import {
  findEntryOrThrow,
  firstQuestion,
  imagesOf,
  lockChannelFaq,
  publishEntryImage,
} from './faqRows.js';

type Input = z.output<typeof UpdateFaqEntryRequest>;

/** Edits an entry, or moves it (`position`); the robot on this node sees the change at once. */
export async function updateFaqEntry(
  ctx: DomainContext,
  actor: Actor,
  channelId: string,
  entryId: string,
  input: Input,
): Promise<FaqEntry> {
  authorize(channelPolicy.manage(actor), 'Only administrators can manage FAQ entries');
  const now = ctx.now();
  const entry = await ctx.transaction(async (trx) => {
    await lockChannelFaq(trx, channelId);
    const before = await findEntryOrThrow(trx, channelId, entryId);
    const changes: Updateable<FaqEntriesTable> = {};
    const audit: AuditChange[] = [];
    if (input.questions !== undefined) {
      const questions = JSON.stringify(input.questions);
      if (questions !== before.questions) {
        changes.questions = questions;
        audit.push(changedField('questions'));
      }
    }
    if (input.answer !== undefined && input.answer !== before.answer) {
      changes.answer = input.answer;
      audit.push(changedField('answer'));
    }
    let image: FilesTable | undefined;
    if (input.imageFileId !== undefined && input.imageFileId !== before.image_file_id) {
      image = input.imageFileId
        ? await publishEntryImage(trx, actor, input.imageFileId, now)
        : undefined;
      changes.image_file_id = input.imageFileId;
      audit.push(changedField('image'));
    }
    if (input.enabled !== undefined && (input.enabled ? 1 : 0) !== before.enabled) {
      changes.enabled = input.enabled ? 1 : 0;
      audit.push(...fieldChange('enabled', before.enabled !== 0, input.enabled));
    }
    let position = before.position;
    if (input.position !== undefined) {
      position = await moveEntry(trx, channelId, entryId, input.position);
      audit.push(...fieldChange('position', before.position, position));
    }
    // An edit that changes nothing writes nothing (and logs nothing).
    if (Object.keys(changes).length === 0 && audit.length === 0) {
      const images = await imagesOf(trx, [before]);
      return presentFaqEntry(
        before,
        before.image_file_id ? images.get(before.image_file_id) : undefined,
        ctx.fileUrls,
      );
    }
    const after: FaqEntriesTable = { ...before, ...changes, position, updated_at: now };
    await trx
      .updateTable('faq_entries')
      .set({ ...changes, updated_at: now })
      .where('id', '=', entryId)
      .execute();
    await recordAudit(
      trx,
      actor,
      {
        action: 'faq.update',
        target: { type: 'faqEntry', id: entryId, label: firstQuestion(after.questions) },
        changes: audit,
      },
      now,
    );
    if (changes.image_file_id === undefined && after.image_file_id) {
      image = (await imagesOf(trx, [after])).get(after.image_file_id);
    }
    return presentFaqEntry(after, image, ctx.fileUrls);
  });
  ctx.robotKnowledge.forget(channelId);
  return entry;
}

/**
 * Puts the entry at `wanted` (past the end: last) and numbers the whole list 1..n again, writing
 * only the rows whose place changed. Numbering everything rather than shifting a range also
 * closes any gap left in the list. Answers the entry's new place.
 */
async function moveEntry(
  trx: Kysely<Database>,
  channelId: string,
  entryId: string,
  wanted: number,
): Promise<number> {
  const rows = await trx
    .selectFrom('faq_entries')
    .select(['id', 'position'])
    .where('channel_id', '=', channelId)
    .orderBy('position')
    .orderBy('id')
    .execute();
  const others = rows.filter((r) => r.id !== entryId);
  const at = Math.min(wanted, rows.length) - 1;
  const order = [
    ...others.slice(0, at).map((r) => r.id),
    entryId,
    ...others.slice(at).map((r) => r.id),
  ];
  const was = new Map(rows.map((r) => [r.id, r.position]));
  for (const [index, id] of order.entries()) {
    if (was.get(id) === index + 1) continue;
    await trx
      .updateTable('faq_entries')
      .set({ position: index + 1 })
      .where('id', '=', id)
      .execute();
  }
  return at + 1;
}
