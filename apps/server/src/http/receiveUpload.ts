import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FastifyRequest } from 'fastify';
import { AppError, storageUnavailable } from '../domain/errors.js';
import type { ReceivedUpload } from '../domain/files/uploadFile.js';
import { isDiskError } from '../storage/fileStore.js';

/**
 * Streams the one file of a multipart request to a temporary file (never into memory), hands it
 * to `use`, and removes it afterwards on every path. Over the size limit: 413 and nothing kept;
 * no room left on the work folder's disk: 503 STORAGE_UNAVAILABLE and nothing kept.
 */
export async function receiveUpload<T>(
  request: FastifyRequest,
  workDir: string,
  maxBytes: number,
  use: (upload: ReceivedUpload) => Promise<T>,
): Promise<T> {
  if (!request.isMultipart()) {
    throw new AppError(
      'UNSUPPORTED_MEDIA_TYPE',
      'Send the file as multipart/form-data with one file field',
    );
  }
  let part;
  try {
    part = await request.file({
      limits: { fileSize: maxBytes, files: 1, fields: 5, parts: 6 },
    });
  } catch (error) {
    throw asMalformed(error);
  }
  if (!part) {
    throw new AppError('VALIDATION_FAILED', 'The request has no file: add one file field', {
      issues: [{ path: 'file', message: 'required' }],
    });
  }
  const tmp = path.join(workDir, `upload-${randomUUID()}`);
  try {
    try {
      await pipeline(part.file, fs.createWriteStream(tmp, { flags: 'wx' }));
    } catch (error) {
      if ((error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') {
        throw tooLarge(maxBytes);
      }
      // The work folder's disk is full (or read-only): the server's problem, not the client's.
      if (isDiskError(error)) throw storageUnavailable(error);
      throw asMalformed(error);
    }
    if (part.file.truncated) throw tooLarge(maxBytes);
    return await use({ path: tmp, filename: part.filename, mimetype: part.mimetype });
  } finally {
    await fs.promises.rm(tmp, { force: true });
  }
}

/**
 * The multipart parser reports a broken body (cut short, no boundary, an empty or over-long
 * boundary) with plain errors that carry no code: those are the client's, a 400. Errors with a
 * code are left as they are: the plugin's own (its limits: 413) and the file system's.
 */
function asMalformed(error: unknown): unknown {
  if (
    error instanceof Error &&
    !(error instanceof AppError) &&
    (error as { code?: unknown }).code === undefined &&
    (error as { statusCode?: unknown }).statusCode === undefined
  ) {
    return new AppError('BAD_REQUEST', 'The multipart body is malformed');
  }
  return error;
}

function tooLarge(maxBytes: number): AppError {
  const mb = Math.round(maxBytes / (1024 * 1024));
  return new AppError('PAYLOAD_TOO_LARGE', `The file is larger than the ${mb} MB limit`);
}
