import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { FileInfo } from '@servicesystem/protocol';
import { stripControlCharacters } from '@servicesystem/protocol';
import { MediaBusyError } from '../../media/mediaSlots.js';
import { MediaError, type MediaFailure } from '../../media/mediaTypes.js';
import { processImage } from '../../media/processImage.js';
import { processVideo } from '../../media/processVideo.js';
import { sniffUpload } from '../../media/sniffUpload.js';
import { isDiskError, StorageUnavailableError } from '../../storage/fileStore.js';
import type { FilesTable } from '../../db/schema.js';
import type { Actor, DomainContext } from '../context.js';
import { AppError, rateLimited, storageUnavailable } from '../errors.js';
import { authorize, filePolicy } from '../policies.js';
import { presentFile, snapshotOf } from '../presenters/file.js';

export interface ReceivedUpload {
  /** The uploaded bytes, in a temporary file the caller removes. */
  path: string;
  /** What the client said; only checked against the content, never trusted. */
  filename: string | undefined;
  mimetype: string | undefined;
}

const failureCodes: Record<MediaFailure, AppError['code']> = {
  unsupported_type: 'UNSUPPORTED_MEDIA_TYPE',
  type_mismatch: 'UNSUPPORTED_MEDIA_TYPE',
  too_many_pixels: 'IMAGE_TOO_LARGE',
  video_too_large: 'VIDEO_TOO_LARGE',
  broken_media: 'INVALID_MEDIA',
  too_long: 'VIDEO_TOO_LONG',
};

/** The uploader's file name as metadata: no folders, no control characters, 255 at most. */
function cleanName(filename: string | undefined, ext: string): string {
  const base = stripControlCharacters(filename ?? '')
    .split(/[\\/]/)
    .pop()!
    .trim()
    .slice(0, 255);
  return base === '' || base === '.' || base === '..' ? `upload.${ext}` : base;
}

/**
 * A visitor or console user uploads an image or a video. The type comes from the content; images
 * are re-encoded without metadata and get a thumbnail; videos are probed and get a cover frame.
 * Files are stored under fresh keys (never the uploader's name); a failure at any step leaves
 * nothing behind: no stored object, no row, no temporary file. A store or a work disk that
 * cannot be written (S3 unreachable, disk full) answers STORAGE_UNAVAILABLE.
 */
export async function uploadFile(
  ctx: DomainContext,
  actor: Actor | undefined,
  upload: ReceivedUpload,
): Promise<FileInfo> {
  authorize(filePolicy.upload(actor), 'Sign in or open a visitor session to upload');
  const owner = actor!;
  const { size } = await fs.stat(upload.path);
  const over = await ctx.uploadQuota.take(
    owner.kind === 'visitor'
      ? { kind: 'visitor', id: owner.visitorId }
      : { kind: 'account', id: owner.accountId },
    size,
  );
  if (over) {
    throw rateLimited(over.waitMs, (s) =>
      over.exceeded === 'files'
        ? `Too many files sent in the last 10 minutes. Try again in ${Math.ceil(s / 60)} minute(s).`
        : `Today's upload allowance is used up. Try again in ${Math.ceil(s / 3600)} hour(s).`,
    );
  }
  let workDir: string;
  try {
    workDir = await fs.mkdtemp(path.join(ctx.media.workDir, 'work-'));
  } catch (error) {
    throw isDiskError(error) ? storageUnavailable(error) : error;
  }
  const stored: string[] = [];
  try {
    const sniffed = await sniffUpload(upload.path, {
      ...(upload.filename !== undefined ? { filename: upload.filename } : {}),
      ...(upload.mimetype !== undefined ? { mimetype: upload.mimetype } : {}),
    });
    const id = randomUUID();
    const now = new Date(ctx.now());
    const prefix = `${now.getUTCFullYear()}/${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
    const row: FilesTable = {
      id,
      owner_type: owner.kind === 'visitor' ? 'visitor' : 'account',
      owner_id: owner.kind === 'visitor' ? owner.visitorId : owner.accountId,
      kind: sniffed.kind,
      mime: sniffed.mime,
      size: 0,
      width: 0,
      height: 0,
      duration_ms: null,
      original_name: cleanName(upload.filename, sniffed.ext),
      storage_key: `${prefix}/${id}.${sniffed.ext}`,
      preview_key: '',
      preview_mime: '',
      preview_size: 0,
      preview_width: 0,
      preview_height: 0,
      published_at: null,
      created_at: now.getTime(),
      attached_at: null,
      deleted_at: null,
    };
    let original: string;
    let preview: string;
    if (sniffed.kind === 'image') {
      const image = await ctx.media.slots.run(() =>
        processImage(upload.path, sniffed, workDir, { maxPixels: ctx.media.maxImagePixels }),
      );
      original = image.storedPath;
      preview = image.thumbPath;
      Object.assign(row, {
        size: image.storedSize,
        width: image.width,
        height: image.height,
        preview_key: `${prefix}/${id}-thumb.webp`,
        preview_mime: 'image/webp',
        preview_size: image.thumbSize,
        preview_width: image.thumbWidth,
        preview_height: image.thumbHeight,
      });
    } else {
      const video = await ctx.media.slots.run(() =>
        processVideo(upload.path, workDir, ctx.media.tools, {
          maxDurationSeconds: ctx.media.maxVideoSeconds,
          maxPixels: ctx.media.maxImagePixels,
          container: sniffed.ext as 'mp4' | 'mov' | 'webm',
        }),
      );
      original = video.storedPath;
      preview = video.coverPath;
      Object.assign(row, {
        size: video.storedSize,
        width: video.width,
        height: video.height,
        duration_ms: video.durationMs,
        preview_key: `${prefix}/${id}-cover.jpg`,
        preview_mime: 'image/jpeg',
        preview_size: video.coverSize,
        preview_width: video.coverWidth,
        preview_height: video.coverHeight,
      });
    }
    await ctx.files.put(row.storage_key, original, row.mime);
    stored.push(row.storage_key);
    await ctx.files.put(row.preview_key, preview, row.preview_mime);
    stored.push(row.preview_key);
    await ctx.db.insertInto('files').values(row).execute();
    stored.length = 0;
    return presentFile(snapshotOf(row), ctx.fileUrls);
  } catch (error) {
    // Before the media checks: a full work disk makes sharp and FFmpeg fail as if the file
    // were broken, and the uploader must not be told their file is damaged.
    if (error instanceof StorageUnavailableError || isDiskError(error)) {
      throw storageUnavailable(error);
    }
    if (error instanceof MediaError) {
      throw new AppError(failureCodes[error.failure], error.message);
    }
    if (error instanceof MediaBusyError) {
      throw new AppError('SERVICE_UNAVAILABLE', error.message, { retryAfterSeconds: 5 });
    }
    throw error;
  } finally {
    // Whatever made it to the store before a failure is removed; so is the work folder.
    await Promise.all(stored.map((key) => ctx.files.delete(key).catch(() => undefined)));
    await fs.rm(workDir, { recursive: true, force: true });
  }
}
