import type { AckError, ErrorCode, ErrorIssue } from '@servicesystem/protocol/wire';

/**
 * Codes a client makes up itself, next to the server's `ErrorCode`s: the request never got an
 * answer (`NETWORK`, `TIMEOUT`), the caller gave up (`CANCELLED`), the answer was not what the
 * protocol says (`BAD_RESPONSE`), or something that is not our server answered (`HTTP_<status>`,
 * e.g. a proxy's error page).
 */
export type ClientErrorCode =
  'NETWORK' | 'TIMEOUT' | 'CANCELLED' | 'BAD_RESPONSE' | `HTTP_${number}`;

/** Server codes that say "nothing was done, try again later". */
const retryLaterCodes: ReadonlySet<string> = new Set<ErrorCode | ClientErrorCode>([
  'NETWORK',
  'TIMEOUT',
  'SERVICE_UNAVAILABLE',
  'STORAGE_UNAVAILABLE',
]);

/** Statuses a proxy or load balancer answers when it could not reach the server. */
const gatewayStatuses: ReadonlySet<number> = new Set([502, 503, 504]);

export interface ApiErrorDetails {
  /** The HTTP status; 0 for socket acks and requests that got no answer. */
  status?: number;
  /** RATE_LIMITED and TOO_MANY_LOGIN_ATTEMPTS: seconds to wait before trying again. */
  retryAfterSeconds?: number;
  /** VALIDATION_FAILED: which fields, and why. */
  issues?: ErrorIssue[];
}

/**
 * An error the server answered (`{"error":{code,message,...}}` over HTTP, `{ok:false,error}` in a
 * socket ack) or a request that got no usable answer. Branch on `code`; `message` is for people.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly retryAfterSeconds: number | undefined;
  readonly issues: ErrorIssue[] | undefined;

  constructor(
    readonly code: ErrorCode | ClientErrorCode | (string & {}),
    message: string,
    details: ApiErrorDetails = {},
  ) {
    super(message);
    this.status = details.status ?? 0;
    this.retryAfterSeconds = details.retryAfterSeconds;
    this.issues = details.issues;
  }

  /**
   * Worth trying again later, unchanged (with the same clientMsgId for a send): the request may
   * not have arrived, or the server could not do it just now.
   */
  get transient(): boolean {
    return (
      retryLaterCodes.has(this.code) ||
      (this.code.startsWith('HTTP_') && gatewayStatuses.has(this.status))
    );
  }

  /**
   * The error of an HTTP answer that was not 2xx. `bodyText` is read as our error body when it is
   * one; anything else (an empty body, a proxy's HTML page, a body of another shape) becomes
   * `HTTP_<status>` with the status text. `retryAfter` is the Retry-After header, if any.
   */
  static fromResponse(
    status: number,
    statusText: string,
    bodyText: string,
    retryAfter?: string | null,
  ): ApiError {
    const error = errorObjectOf(parseJson(bodyText));
    const headerSeconds = retryAfter ? Number(retryAfter) : NaN;
    const retryAfterSeconds =
      error?.retryAfterSeconds ?? (Number.isFinite(headerSeconds) ? headerSeconds : undefined);
    if (!error) {
      return new ApiError(`HTTP_${status}`, statusText || `HTTP ${status}`, {
        status,
        retryAfterSeconds,
      });
    }
    return new ApiError(error.code, error.message, {
      status,
      retryAfterSeconds,
      issues: error.issues,
    });
  }

  /** The error of a socket acknowledgement `{ok: false, error}`. */
  static fromAck(error: AckError['error']): ApiError {
    const parsed = errorObjectOf({ error });
    if (!parsed) return new ApiError('BAD_RESPONSE', 'malformed acknowledgement');
    return new ApiError(parsed.code, parsed.message, {
      retryAfterSeconds: parsed.retryAfterSeconds,
      issues: parsed.issues,
    });
  }

  /** Anything thrown, as an ApiError (a bug in our own code becomes INTERNAL). */
  static from(thrown: unknown): ApiError {
    if (thrown instanceof ApiError) return thrown;
    return new ApiError('INTERNAL', thrown instanceof Error ? thrown.message : String(thrown));
  }
}

/** JSON.parse that answers undefined instead of throwing. */
export function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

interface ErrorObject {
  code: string;
  message: string;
  retryAfterSeconds?: number;
  issues?: ErrorIssue[];
}

/** `{error: {code, message, ...}}` checked field by field: answers never get trusted blindly. */
function errorObjectOf(body: unknown): ErrorObject | null {
  if (!isRecord(body) || !isRecord(body.error)) return null;
  const { code, message, retryAfterSeconds, issues } = body.error;
  if (typeof code !== 'string' || code.length === 0) return null;
  const result: ErrorObject = { code, message: typeof message === 'string' ? message : code };
  if (typeof retryAfterSeconds === 'number' && Number.isFinite(retryAfterSeconds))
    result.retryAfterSeconds = retryAfterSeconds;
  if (Array.isArray(issues)) {
    result.issues = issues.filter(
      (i): i is ErrorIssue =>
        isRecord(i) && typeof i.path === 'string' && typeof i.message === 'string',
    );
  }
  return result;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
