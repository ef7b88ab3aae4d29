import type { Kysely } from 'kysely';
import type { Database, FaqEntriesTable, FilesTable } from '../../../db/schema.js';
import type { Actor } from '../../context.js';
import { notFound } from '../../errors.js';
import { useAsAvatar } from '../../files/useAsAvatar.js';

/**
 * Takes the channel's row for the rest of the write, or NOT_FOUND. Every FAQ write of a channel
 * begins here, so on PostgreSQL two of them (two admins adding the 1,000th entry, or moving
 * entries) wait for each other instead of both counting or renumbering the same rows; SQLite's
 * one connection orders them already. The update changes nothing.
 */
export async function lockChannelFaq(trx: Kysely<Database>, channelId: string): Promise<void> {
  const taken = await trx
    .updateTable('channels')
    .set((eb) => ({ updated_at: eb.ref('updated_at') }))
    .where('id', '=', channelId)
    .executeTakeFirst();
  if (Number(taken.numUpdatedRows) === 0) throw notFound('The channel');
}

/** An entry of this channel; one of another channel is NOT_FOUND like one that does not exist. */
export async function findEntryOrThrow(
  db: Kysely<Database>,
  channelId: string,
  entryId: string,
): Promise<FaqEntriesTable> {
  const row = await db
    .selectFrom('faq_entries')
    .selectAll()
    .where('id', '=', entryId)
    .where('channel_id', '=', channelId)
    .executeTakeFirst();
  if (!row) throw notFound('The FAQ entry');
  return row;
}

/** The image files of entries, by id (deleted files left out: the entry shows no image). */
export async function imagesOf(
  db: Kysely<Database>,
  rows: readonly FaqEntriesTable[],
): Promise<Map<string, FilesTable>> {
  const ids = [...new Set(rows.flatMap((r) => (r.image_file_id ? [r.image_file_id] : [])))];
  if (ids.length === 0) return new Map();
  const files = await db
    .selectFrom('files')
    .selectAll()
    .where('id', 'in', ids)
    .where('deleted_at', 'is', null)
    .execute();
  return new Map(files.map((f) => [f.id, f]));
}

/**
 * The caller's uploaded image, published the way an avatar is: visitors who get the robot's
 * answer must be able to load it, and the sweeper of unsent uploads must leave it. Anything but
 * an image is VALIDATION_FAILED.
 */
export async function publishEntryImage(
  trx: Kysely<Database>,
  actor: Actor,
  fileId: string,
  now: number,
): Promise<FilesTable> {
  await useAsAvatar(trx, actor, fileId, now, 'imageFileId');
  const file = await trx
    .selectFrom('files')
    .selectAll()
    .where('id', '=', fileId)
    .executeTakeFirst();
  if (!file) throw notFound('The file');
  return file;
}

/** The audit label of an entry: its first phrasing. */
export function firstQuestion(questions: string): string {
  return (JSON.parse(questions) as string[])[0] ?? '';
}
