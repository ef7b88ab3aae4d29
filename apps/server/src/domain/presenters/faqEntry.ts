import type { FaqEntry } from '@servicesystem/protocol';
import type { FileUrls } from '../../auth/fileUrls.js';
import type { FaqEntriesTable, FilesTable } from '../../db/schema.js';
import { presentFile, snapshotOf } from './file.js';

/** An FAQ entry, for an administrator; its image with freshly signed URLs (the image is
 * published, so the same URLs work for visitors the robot shows it to). */
export function presentFaqEntry(
  row: FaqEntriesTable,
  image: FilesTable | undefined,
  urls: FileUrls,
): FaqEntry {
  return {
    id: row.id,
    channelId: row.channel_id,
    questions: JSON.parse(row.questions) as string[],
    answer: row.answer,
    image: image ? presentFile(snapshotOf(image), urls) : null,
    enabled: row.enabled !== 0,
    position: row.position,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}
