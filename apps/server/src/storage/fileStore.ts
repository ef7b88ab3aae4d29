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
