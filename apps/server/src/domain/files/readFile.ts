import type { FileVariant } from '../../auth/fileUrls.js';
import type { FilesTable } from '../../db/schema.js';
import type { Actor, DomainContext } from '../context.js';
import { AppError, notFound } from '../errors.js';
import { authorize, filePolicy } from '../policies.js';
import { findFileOrThrow, sentToParticipant } from './fileRows.js';

export interface FileToServe {
  file: FilesTable;
  key: string;
  mime: string;
  size: number;
}

/**
 * Who may read a file: anyone holding a valid signed URL for it (handed out only to those who
 * may read the message), its uploader, admins, the visitor and the agent of a conversation it
 * was sent in, and anyone for a published avatar.
 */
export async function readFile(
  ctx: DomainContext,
  actor: Actor | undefined,
  fileId: string,
  variant: FileVariant,
  signature: { exp: number; sig: string } | undefined,
): Promise<FileToServe> {
  const file = await findFileOrThrow(ctx.db, fileId);
  const signed =
    signature !== undefined && ctx.fileUrls.verify(fileId, variant, signature.exp, signature.sig);
  if (!signed && !filePolicy.readDirectly(actor, file, variant)) {
    if (actor === undefined) {
      throw new AppError('UNAUTHENTICATED', 'This file needs a signed URL or a token');
    }
    const participantId = actor.kind === 'visitor' ? actor.visitorId : actor.accountId;
    authorize(await sentToParticipant(ctx.db, fileId, participantId), 'This file is not yours');
  }
  if (variant === 'original') {
    return { file, key: file.storage_key, mime: file.mime, size: file.size };
  }
  if (!file.preview_key) throw notFound('The preview');
  return { file, key: file.preview_key, mime: file.preview_mime, size: file.preview_size };
}
