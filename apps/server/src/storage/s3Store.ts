import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  PutObjectCommand,
  S3Client,
  type BucketLocationConstraint,
} from '@aws-sdk/client-s3';
import type { S3Config } from '../config.js';
import {
  FileNotFoundError,
  StorageUnavailableError,
  type ByteRange,
  type FileStore,
} from './fileStore.js';
import { assertValidKey, assertValidRange } from './localStore.js';

/** Giving up on connecting: an unreachable endpoint fails fast instead of hanging uploads. */
const connectionTimeoutMs = 5_000;
/**
 * A socket with no traffic for this long is dropped. It is an idle timeout, not a total one, so
 * large uploads on slow links still finish; it also ends a download whose reader stalls this long.
 */
const socketTimeoutMs = 60_000;
/** check() as a whole (every retry included) gives up after this long. */
const checkTimeoutMs = 10_000;

/** The SDK writes retry warnings to console unless given a logger; we report errors ourselves. */
const quietLogger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

interface SdkError {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: number };
}

function statusOf(err: unknown): number | undefined {
  return (err as SdkError | null)?.$metadata?.httpStatusCode;
}

function nameOf(err: unknown): string {
  const name = (err as SdkError | null)?.name;
  return typeof name === 'string' ? name : '';
}

/** A short, human reason: "connection refused (ECONNREFUSED)", "HTTP 503 ServiceUnavailable". */
function reasonOf(err: unknown): string {
  const e = (err ?? {}) as SdkError;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const name = nameOf(err);
  const message = typeof e.message === 'string' ? e.message : String(err);
  const status = statusOf(err);
  if (name === 'TimeoutError' || name === 'AbortError' || code === 'ETIMEDOUT') return 'timed out';
  if (code === 'ECONNREFUSED') return 'connection refused (ECONNREFUSED)';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `host not found (${code})`;
  if (code === 'ECONNRESET' || code === 'EPIPE') return `connection lost (${code})`;
  if (status === 401 || status === 403) {
    return `access denied (HTTP ${status}${name ? ` ${name}` : ''}); check the access key, secret and bucket policy`;
  }
  if (status !== undefined) {
    const detail = message && message !== name && message !== 'UnknownError' ? `: ${message}` : '';
    return `HTTP ${status}${name ? ` ${name}` : ''}${detail}`;
  }
  return code ? `${message} (${code})` : message;
}

function isBucketMissing(err: unknown): boolean {
  const name = nameOf(err);
  return name === 'NoSuchBucket' || name === 'NotFound' || statusOf(err) === 404;
}

function isKeyMissing(err: unknown): boolean {
  const name = nameOf(err);
  if (name === 'NoSuchBucket') return false;
  return name === 'NoSuchKey' || name === 'NotFound' || statusOf(err) === 404;
}

/** "bytes 0-99/1234" → { start: 0, end: 99 }; undefined when absent or malformed. */
function parseContentRange(value: string | undefined): ByteRange | undefined {
  const match = value === undefined ? null : /^bytes (\d+)-(\d+)\/(?:\d+|\*)$/.exec(value.trim());
  if (match === null) return undefined;
  return { start: Number(match[1]), end: Number(match[2]) };
}

/** Drops the first `skip` bytes of `source`, then passes on at most `length` bytes. */
function sliceStream(source: Readable, skip: number, length: number): Readable {
  return Readable.from(
    (async function* () {
      let toSkip = skip;
      let left = length;
      for await (const chunk of source as AsyncIterable<Buffer>) {
        let piece = chunk;
        if (toSkip > 0) {
          const dropped = Math.min(toSkip, piece.length);
          piece = piece.subarray(dropped);
          toSkip -= dropped;
        }
        if (piece.length === 0) continue;
        if (piece.length >= left) {
          yield piece.subarray(0, left);
          return; // leaving the loop destroys `source`: the rest is not downloaded
        }
        left -= piece.length;
        yield piece;
      }
    })(),
    { objectMode: false },
  );
}

/**
 * Files in an S3-compatible bucket (AWS S3, MinIO, ...). The bucket stays private: no ACL is ever
 * set, and every read goes through the server.
 */
export function createS3Store(config: S3Config): FileStore {
  const { bucket } = config;
  const where = `S3 storage (endpoint ${config.endpoint ?? `AWS ${config.region}`}, bucket ${bucket})`;

  const client = new S3Client({
    region: config.region,
    ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
    forcePathStyle: config.forcePathStyle,
    ...(config.accessKeyId !== undefined && config.secretAccessKey !== undefined
      ? {
          credentials: {
            accessKeyId: config.accessKeyId,
            secretAccessKey: config.secretAccessKey,
          },
        }
      : {}),
    // Recent SDKs otherwise send aws-chunked bodies with trailing CRC checksums, which several
    // MinIO versions and other S3-compatible servers reject or store corrupted.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: { connectionTimeout: connectionTimeoutMs, socketTimeout: socketTimeoutMs },
    maxAttempts: 3,
    logger: quietLogger,
  });

  function unavailable(action: string, err: unknown): StorageUnavailableError {
    return new StorageUnavailableError(`${where} could not ${action}: ${reasonOf(err)}`, {
      cause: err,
    });
  }

  return {
    kind: 's3',

    async put(key, sourcePath, contentType) {
      assertValidKey(key);
      const { size } = await stat(sourcePath);
      const body = createReadStream(sourcePath);
      try {
        // A stream body is sent once: the SDK does not retry it (it could not rewind it).
        await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: body,
            ContentLength: size,
            ContentType: contentType,
          }),
        );
      } catch (err) {
        throw unavailable(`store ${key}`, err);
      } finally {
        body.destroy();
      }
    },

    async read(key, range) {
      assertValidKey(key);
      if (range !== undefined) assertValidRange(range);
      let output;
      try {
        output = await client.send(
          new GetObjectCommand({
            Bucket: bucket,
            Key: key,
            ...(range === undefined ? {} : { Range: `bytes=${range.start}-${range.end}` }),
          }),
        );
      } catch (err) {
        if (isKeyMissing(err)) throw new FileNotFoundError(`No stored file ${key}`, { cause: err });
        if (statusOf(err) === 416) {
          throw new RangeError(
            `Byte range ${range?.start}-${range?.end} starts past the end of ${key}`,
            { cause: err },
          );
        }
        throw unavailable(`read ${key}`, err);
      }
      const body = output.Body;
      if (!(body instanceof Readable)) {
        throw new StorageUnavailableError(`${where} returned no readable body for ${key}`);
      }
      if (range === undefined) return body;

      // HTTP lets a server answer a range with more than was asked (or ignore Range and send the
      // whole object with 200); s3rver does so for "bytes=0-0". Cut the answer down to the range.
      const served =
        output.$metadata.httpStatusCode === 206
          ? parseContentRange(output.ContentRange)
          : { start: 0, end: Number.MAX_SAFE_INTEGER };
      if (served === undefined || served.start > range.start) {
        body.destroy();
        throw new StorageUnavailableError(
          `${where} answered the range ${range.start}-${range.end} of ${key} with ` +
            `${output.ContentRange ?? 'no Content-Range'}`,
        );
      }
      if (served.start === range.start && served.end <= range.end) return body;
      const end = Math.min(range.end, served.end);
      return sliceStream(body, range.start - served.start, end - range.start + 1);
    },

    async delete(key) {
      assertValidKey(key);
      try {
        // S3 answers 204 whether or not the object existed.
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      } catch (err) {
        if (isKeyMissing(err)) return;
        throw unavailable(`delete ${key}`, err);
      }
    },

    async check() {
      const abortSignal = AbortSignal.timeout(checkTimeoutMs);
      try {
        await client.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal });
        return;
      } catch (err) {
        if (!isBucketMissing(err)) throw unavailable('reach the bucket', err);
      }
      try {
        // Private by default: no ACL is set. Outside us-east-1, S3 wants the region spelled out.
        await client.send(
          new CreateBucketCommand({
            Bucket: bucket,
            ...(config.region === 'us-east-1'
              ? {}
              : {
                  CreateBucketConfiguration: {
                    LocationConstraint: config.region as BucketLocationConstraint,
                  },
                }),
          }),
          { abortSignal },
        );
      } catch (err) {
        if (nameOf(err) === 'BucketAlreadyOwnedByYou') return;
        // Another node created it a moment ago (MinIO and others answer "already exists" then,
        // not "owned by you"): fine when we can reach it now; someone else's bucket is not.
        if (nameOf(err) === 'BucketAlreadyExists') {
          try {
            await client.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal });
            return;
          } catch (headErr) {
            throw unavailable('reach the bucket another node just created', headErr);
          }
        }
        throw unavailable('create the missing bucket', err);
      }
    },
  };
}
