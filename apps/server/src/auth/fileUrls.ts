import { createHmac, timingSafeEqual } from 'node:crypto';

export type FileVariant = 'original' | 'preview';

/**
 * Signed file URLs. A client that may read a message gets URLs an `<img>` or `<video>` can load
 * without sending a token; the signature names the file and variant and expires. Expiry is
 * rounded to the hour, so a file's URL stays the same (and cacheable) for an hour at a time.
 */
export interface FileUrls {
  /** A path like `/api/v1/files/<id>?exp=...&sig=...` (or `/thumbnail?...` for the preview). */
  urlFor(fileId: string, variant: FileVariant, kind: 'image' | 'video'): string;
  verify(fileId: string, variant: FileVariant, exp: number, sig: string): boolean;
}

const hourMs = 60 * 60 * 1000;
/** A signed URL works for 12 to 13 hours. */
const lifetimeMs = 12 * hourMs;

export function filePath(fileId: string, variant: FileVariant, kind: 'image' | 'video'): string {
  const base = `/api/v1/files/${encodeURIComponent(fileId)}`;
  if (variant === 'original') return base;
  return `${base}/${kind === 'video' ? 'cover' : 'thumbnail'}`;
}

export function createFileUrls(secret: string, now: () => number): FileUrls {
  const signature = (fileId: string, variant: FileVariant, exp: number) =>
    createHmac('sha256', secret).update(`${fileId}\n${variant}\n${exp}`).digest('base64url');
  return {
    urlFor(fileId, variant, kind) {
      const exp = (Math.ceil(now() / hourMs) * hourMs) / 1000 + lifetimeMs / 1000;
      return `${filePath(fileId, variant, kind)}?exp=${exp}&sig=${signature(fileId, variant, exp)}`;
    },
    verify(fileId, variant, exp, sig) {
      if (!Number.isSafeInteger(exp) || exp * 1000 < now()) return false;
      const expected = Buffer.from(signature(fileId, variant, exp));
      const given = Buffer.from(sig);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}
