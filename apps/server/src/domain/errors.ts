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
