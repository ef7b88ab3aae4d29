import type { Readable } from 'node:stream';

/** Inclusive byte offsets, as in an HTTP Range header. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Where uploaded files live: local disk (default) or an S3-compatible bucket. Keys are unique
 * (the server makes them), so nothing is ever overwritten. The bucket stays private: every read
 * goes through the server, which checks authorization first.
 */
export interface FileStore {
  readonly kind: 'local' | 's3';
  /** Stores the file at `sourcePath` under `key`. The source file is left in place. */
  put(key: string, sourcePath: string, contentType: string): Promise<void>;
  /** Streams the object, or a byte range of it. Throws FileNotFoundError when absent. */
  read(key: string, range?: ByteRange): Promise<Readable>;
  /** Removes the object; removing an absent one is not an error. */
  delete(key: string): Promise<void>;
  /** Throws StorageUnavailableError when the store cannot be used (start-up, health). */
  check(): Promise<void>;
}

export class FileNotFoundError extends Error {
  override name = 'FileNotFoundError';
}

/** The store could not be reached or refused the operation (disk full, S3 down). */
export class StorageUnavailableError extends Error {
  override name = 'StorageUnavailableError';
}

/** Error codes that mean the disk, not the request, is the problem (full, read-only, failing). */
export const diskErrorCodes: ReadonlySet<string> = new Set([
  'ENOSPC',
  'EDQUOT',
  'EACCES',
  'EPERM',
  'EROFS',
  'EIO',
  'ENOTDIR',
]);

/** The same problems as reported in words, by sharp (libvips) and FFmpeg, which give no code. */
const diskErrorText = /No space left on device|Disk quota exceeded|Read-only file system/i;

/**
 * True when `error`, or an error it was caused by, says that a local disk cannot take a write:
 * a Node error with one of `diskErrorCodes`, or a media tool's message naming the same problem.
 */
export function isDiskError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const { code, message, stderr } = current as {
      code?: unknown;
      message?: unknown;
      stderr?: unknown;
    };
    if (typeof code === 'string' && diskErrorCodes.has(code)) return true;
    for (const text of [message, stderr]) {
      if (typeof text === 'string' && diskErrorText.test(text)) return true;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
