import type { Actor, DomainContext } from '../context.js';
import { AppError } from '../errors.js';
import { filePolicy, authorize } from '../policies.js';
import { snapshotOf, type AttachmentSnapshot } from '../presenters/file.js';
import { findFileOrThrow } from './fileRows.js';

/** The file a message will carry: it must exist, be the sender's own upload, and be of the kind
 * the message says. */
export async function attachmentFor(
  ctx: DomainContext,
  actor: Actor,
  fileId: string,
  type: 'image' | 'video',
): Promise<AttachmentSnapshot> {
  const file = await findFileOrThrow(ctx.db, fileId);
  authorize(filePolicy.attach(actor, file), 'You can only send files you uploaded yourself');
  if (file.kind !== type) {
    throw new AppError(
      'VALIDATION_FAILED',
      `"fileId": that file is an ${file.kind}, not an ${type}`,
      {
        issues: [{ path: 'fileId', message: `is an ${file.kind}; send it as type "${file.kind}"` }],
      },
    );
  }
  return snapshotOf(file);
}
