import { z } from 'zod';
import { Id } from './common.js';

/** An uploaded image or video, with what a client needs to render it without another request.
 * URLs are paths on the server (prefix them with its origin) and carry a signature that lets an
 * `<img>`/`<video>` load them for a few hours without a token. */
export const FileInfo = z.object({
  id: z.string(),
  kind: z.enum(['image', 'video']),
  mime: z.string(),
  /** Bytes. */
  size: z.number().int(),
  width: z.number().int(),
  height: z.number().int(),
  /** Videos only. */
  durationMs: z.number().int().nullable(),
  /** The uploader's file name (metadata only). */
  name: z.string(),
  url: z.string(),
  /** The image's thumbnail (WebP, ≤480 px) or the video's cover frame (JPEG, ≤960 px). */
  previewUrl: z.string(),
  previewWidth: z.number().int(),
  previewHeight: z.number().int(),
});
export type FileInfo = z.infer<typeof FileInfo>;

export const UploadResponse = z.object({ file: FileInfo });
export type UploadResponse = z.infer<typeof UploadResponse>;

export const FileParams = z.object({ id: Id });

/** Query of GET /api/v1/files/:id[/thumbnail|/cover]: a signature from a FileInfo URL. */
export const FileQuery = z
  .object({
    exp: z.coerce.number().int().optional(),
    sig: z.string().max(128).optional(),
  })
  .strict();
