import type { Kysely } from 'kysely';
import { filePath } from '../../auth/fileUrls.js';
import type { Database } from '../../db/schema.js';
import type { Actor } from '../context.js';
import { AppError } from '../errors.js';
import { authorize, filePolicy } from '../policies.js';
import { findFileOrThrow } from './fileRows.js';

/**
 * Makes an uploaded image an avatar: it becomes readable by anyone (visitors see agents'
 * avatars) and its thumbnail's path is the avatar URL. Only the uploader may do this.
 */
export async function useAsAvatar(
  trx: Kysely<Database>,
  actor: Actor,
  fileId: string,
  now: number,
  /** The request's field, for the error: the same publishing serves other images visitors see
   * (the robot's avatar, an FAQ answer's picture). */
  field = 'avatarFileId',
): Promise<string> {
  const file = await findFileOrThrow(trx, fileId);
  authorize(filePolicy.attach(actor, file), 'You can only use an image you uploaded yourself');
  if (file.kind !== 'image') {
    throw new AppError('VALIDATION_FAILED', `"${field}": must be an image`, {
      issues: [{ path: field, message: 'must be an image' }],
    });
  }
  await trx
    .updateTable('files')
    .set({ published_at: file.published_at ?? now })
    .where('id', '=', fileId)
    .execute();
  return filePath(fileId, 'preview', 'image');
}
