import type { FileInfo } from '@servicesystem/protocol';
import type { FileUrls } from '../../auth/fileUrls.js';
import type { AttachmentSnapshot, FilesTable } from '../../db/schema.js';

export type { AttachmentSnapshot };

export function snapshotOf(row: FilesTable): AttachmentSnapshot {
  return {
    id: row.id,
    kind: row.kind,
    mime: row.mime,
    size: row.size,
    width: row.width,
    height: row.height,
    durationMs: row.duration_ms,
    name: row.original_name,
    previewWidth: row.preview_width,
    previewHeight: row.preview_height,
  };
}

/** A file with freshly signed URLs, for someone allowed to see it. */
export function presentFile(file: AttachmentSnapshot, urls: FileUrls): FileInfo {
  return {
    ...file,
    url: urls.urlFor(file.id, 'original', file.kind),
    previewUrl: urls.urlFor(file.id, 'preview', file.kind),
  };
}
