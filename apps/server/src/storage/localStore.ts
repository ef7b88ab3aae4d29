import { randomUUID } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import fs, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import {
  diskErrorCodes,
  FileNotFoundError,
  StorageUnavailableError,
  type ByteRange,
  type FileStore,
} from './fileStore.js';

/**
 * Throws unless `key` is a plain relative path of non-empty segments: no `..` or `.` segments,
 * no leading `/`, no backslashes, no NUL or other control characters. Both drivers apply it, so
 * a key accepted by one is accepted by the other.
 */
export function assertValidKey(key: string): void {
  const problem = keyProblem(key);
  if (problem !== undefined) {
    throw new Error(`Invalid storage key ${JSON.stringify(key.slice(0, 100))}: it ${problem}`);
  }
}

function keyProblem(key: string): string | undefined {
  if (key === '') return 'is empty';
  if (key.length > 1024) return 'is longer than 1024 characters';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) return 'contains a control character';
  if (key.includes('\\')) return 'contains a backslash';
  if (key.startsWith('/') || path.isAbsolute(key)) return 'is an absolute path';
  if (key.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) {
    return 'has an empty, "." or ".." segment';
  }
  return undefined;
}

/** Throws unless `range` is a pair of whole, non-negative, ordered offsets. */
export function assertValidRange(range: ByteRange): void {
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw new RangeError(`Invalid byte range ${start}-${end}`);
  }
}

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function describeCode(code: string): string {
  switch (code) {
    case 'ENOSPC':
      return 'the disk is full';
    case 'EDQUOT':
      return 'the disk quota is exhausted';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'the file system is read-only';
    case 'EIO':
      return 'an I/O error occurred';
    case 'ENOTDIR':
      return 'a path component is not a folder';
    default:
      return code;
  }
}

/**
 * Files on local disk at `rootDir/<key>`. Writes go to a temporary name in the destination folder
 * and are renamed into place, so a reader sees either nothing or the whole file.
 */
export function createLocalStore(rootDir: string): FileStore {
  const root = path.resolve(rootDir);

  function pathOf(key: string): string {
    assertValidKey(key);
    const full = path.resolve(root, key);
    // Belt and braces: the key checks above already rule this out.
    if (!full.startsWith(root + path.sep)) {
      throw new Error(`Invalid storage key ${JSON.stringify(key)}: it leaves the storage folder`);
    }
    return full;
  }

  /** The error to throw for `err`: StorageUnavailableError when the disk is at fault. */
  function unavailable(action: string, err: unknown): unknown {
    const code = errorCode(err);
    if (code === undefined || !diskErrorCodes.has(code)) return err;
    return new StorageUnavailableError(
      `Local file storage at ${root} cannot ${action}: ${describeCode(code)} (${code})`,
      { cause: err },
    );
  }

  return {
    kind: 'local',

    async put(key, sourcePath, _contentType) {
      const target = pathOf(key);
      const folder = path.dirname(target);
      const temp = path.join(folder, `.${path.basename(target)}.${randomUUID()}.tmp`);
      try {
        await fs.mkdir(folder, { recursive: true });
        await fs.copyFile(sourcePath, temp, fsConstants.COPYFILE_EXCL);
        await fs.rename(temp, target);
      } catch (err) {
        await fs.rm(temp, { force: true }).catch(() => undefined);
        throw unavailable('store a file', err);
      }
    },

    async read(key, range) {
      const target = pathOf(key);
      if (range !== undefined) assertValidRange(range);
      let handle: FileHandle;
      try {
        // Opening first (instead of fs.createReadStream(path)) makes a missing file a thrown
        // error rather than an 'error' event, with no window for a delete in between.
        handle = await fs.open(target, 'r');
      } catch (err) {
        const code = errorCode(err);
        if (code === 'ENOENT' || code === 'ENOTDIR') {
          throw new FileNotFoundError(`No stored file ${key}`, { cause: err });
        }
        throw unavailable('read a file', err);
      }
      try {
        const stats = await handle.stat();
        if (!stats.isFile()) throw new FileNotFoundError(`No stored file ${key}`);
        // As S3 answers 416: a range may run past the end (it is cut short) but not start there.
        if (range !== undefined && range.start >= stats.size) {
          throw new RangeError(
            `Byte range ${range.start}-${range.end} starts past the end of ${key} (${stats.size} bytes)`,
          );
        }
      } catch (err) {
        await handle.close();
        throw unavailable('read a file', err);
      }
      const stream: Readable = handle.createReadStream(
        range === undefined ? {} : { start: range.start, end: range.end },
      );
      return stream;
    },

    async delete(key) {
      const target = pathOf(key);
      try {
        await fs.unlink(target);
      } catch (err) {
        const code = errorCode(err);
        if (code === 'ENOENT' || code === 'ENOTDIR') return;
        throw unavailable('delete a file', err);
      }
    },

    async check() {
      const probe = path.join(root, `.probe-${randomUUID()}`);
      try {
        await fs.mkdir(root, { recursive: true });
        await fs.writeFile(probe, 'probe', { flag: 'wx' });
        await fs.unlink(probe);
      } catch (err) {
        await fs.rm(probe, { force: true }).catch(() => undefined);
        const code = errorCode(err);
        const reason =
          code === 'EEXIST' ? 'it is not a folder' : code ? describeCode(code) : String(err);
        throw new StorageUnavailableError(
          `Local file storage at ${root} is not usable: ${reason}${code ? ` (${code})` : ''}`,
          { cause: err },
        );
      }
    },
  };
}
