import type { Actor, DomainContext } from '../context.js';
import { AppError, notFound } from '../errors.js';
import { filePolicy, authorize } from '../policies.js';
import { snapshotOf, type AttachmentSnapshot } from '../presenters/file.js';
import { findFileOrThrow } from './fileRows.js';

/** The file a message will carry: it must exist, be the sender's own upload, and be of the kind
 * the message says. It is claimed (`attached_at`) before the message is written, so the sweeper
 * of unsent uploads (fileLifecycle.ts) never takes a file a message is about to carry. */
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
  const claimed = await ctx.transaction(
    (trx) =>
      trx
        .updateTable('files')
        .set({ attached_at: ctx.now() })
        .where('id', '=', fileId)
        .where('deleted_at', 'is', null)
        .executeTakeFirst(),
    { singleStatement: true },
  );
  // Swept between the read and the claim.
  if (Number(claimed.numUpdatedRows) === 0) throw notFound('The file');
  return snapshotOf(file);
}
