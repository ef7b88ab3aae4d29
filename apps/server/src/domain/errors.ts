import type { ErrorCode, ErrorIssue } from '@servicesystem/protocol';

/** A refusal a client can understand: a code from the protocol and words for a person. */
export class AppError extends Error {
  override name = 'AppError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extra: { issues?: ErrorIssue[]; retryAfterSeconds?: number } = {},
  ) {
    super(message);
  }
}

/** A 503 that keeps what went wrong (S3 unreachable, disk full) as its cause, for the log. */
export function storageUnavailable(cause: unknown): AppError {
  const error = new AppError(
    'STORAGE_UNAVAILABLE',
    'File storage is unavailable right now; try again',
  );
  error.cause = cause;
  return error;
}

export const notFound = (what: string) => new AppError('NOT_FOUND', `${what} was not found`);
export const forbidden = (message = 'You are not allowed to do this') =>
  new AppError('FORBIDDEN', message);

/**
 * A refusal that says when to come back: `RATE_LIMITED` (or `TOO_MANY_LOGIN_ATTEMPTS`) with
 * `retryAfterSeconds` (sent as `Retry-After`), the message given the seconds to wait.
 */
export function rateLimited(
  waitMs: number,
  message: (retryAfterSeconds: number) => string,
  code: 'RATE_LIMITED' | 'TOO_MANY_LOGIN_ATTEMPTS' = 'RATE_LIMITED',
): AppError {
  const retryAfterSeconds = Math.ceil(waitMs / 1000);
  return new AppError(code, message(retryAfterSeconds), { retryAfterSeconds });
}
