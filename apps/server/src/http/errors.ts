import type { ErrorBody, ErrorCode } from '@servicesystem/protocol';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable } from '../db/errors.js';
import { AppError } from '../domain/errors.js';

/** The HTTP status of each error code. */
export const httpStatusOf: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  INVALID_JSON: 400,
  BAD_REQUEST: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  PAYLOAD_TOO_LARGE: 413,
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  ACCOUNT_DISABLED: 403,
  WRONG_PASSWORD: 403,
  FORBIDDEN: 403,
  CROSS_SITE_REQUEST: 403,
  NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  USERNAME_TAKEN: 409,
  LAST_ADMIN: 409,
  SHORTCUT_TAKEN: 409,
  LABEL_NAME_TAKEN: 409,
  TOO_MANY_LOGIN_ATTEMPTS: 429,
  RATE_LIMITED: 429,
  IDENTITY_INVALID: 401,
  IDENTITY_EXPIRED: 401,
  CONVERSATION_ENDED: 409,
  CONVERSATION_NOT_ENDED: 409,
  ALREADY_RATED: 409,
  RATING_OFF: 409,
  INVALID_STATE: 409,
  AGENT_UNAVAILABLE: 409,
  INVALID_MEDIA: 422,
  IMAGE_TOO_LARGE: 422,
  VIDEO_TOO_LARGE: 422,
  VIDEO_TOO_LONG: 422,
  RANGE_NOT_SATISFIABLE: 416,
  STORAGE_UNAVAILABLE: 503,
  SERVICE_UNAVAILABLE: 503,
  INTERNAL: 500,
  CONVERSATION_OPEN: 409,
  MAIL_NOT_CONFIGURED: 409,
  TOO_MANY_TRANSCRIPTS: 429,
  CONFIRMATION_MISMATCH: 400,
  KEY_SCOPE_MISSING: 403,
  WEBHOOK_URL_REFUSED: 400,
  NO_SUGGESTION: 404,
  MODEL_UNAVAILABLE: 503,
  FAQ_FULL: 409,
};

export function sendError(reply: FastifyReply, error: AppError): FastifyReply {
  const body: ErrorBody = {
    error: {
      code: error.code,
      message: error.message,
      ...(error.extra.issues ? { issues: error.extra.issues } : {}),
    },
  };
  if (error.extra.retryAfterSeconds !== undefined) {
    void reply.header('Retry-After', String(error.extra.retryAfterSeconds));
  }
  return reply.status(httpStatusOf[error.code]).send(body);
}

/** Turns what Fastify itself refuses (bad JSON, wrong content type, too large) into our codes. */
function fromFrameworkError(error: FastifyError): AppError | undefined {
  const status = error.statusCode ?? 500;
  if (status >= 500) return undefined;
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', 'This content type is not accepted here');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('PAYLOAD_TOO_LARGE', 'The request body is too large');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new AppError('INVALID_JSON', 'The request body is not valid JSON');
  }
  if (error instanceof SyntaxError) {
    return new AppError('INVALID_JSON', 'The request body is not valid JSON');
  }
  if (status === 413) return new AppError('PAYLOAD_TOO_LARGE', 'The request body is too large');
  if (error.code === 'FST_INVALID_MULTIPART_CONTENT_TYPE') {
    return new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the file as multipart/form-data');
  }
  if (status === 415)
    return new AppError('UNSUPPORTED_MEDIA_TYPE', 'This content type is not accepted here');
  return new AppError('BAD_REQUEST', 'The request could not be understood');
}

/**
 * For Fastify's `frameworkErrors` option: what the router refuses before any hook or error
 * handler runs (a path whose percent-encoding is not UTF-8, a path parameter over the length
 * limit) leaves in our error shape too, instead of Fastify's own `{"error":"Bad Request"}`.
 */
export function answerFrameworkError(
  error: FastifyError,
  _request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  switch (error.code) {
    case 'FST_ERR_BAD_URL':
      return sendError(reply, new AppError('BAD_REQUEST', 'The request path is not valid'));
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return sendError(
        reply,
        new AppError('BAD_REQUEST', 'A part of the request path is too long'),
      );
    default:
      return sendError(reply, new AppError('INTERNAL', 'Something went wrong on our side'));
  }
}

/** Every error leaves as `{"error":{"code","message"}}`; nothing internal leaks. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof AppError) {
      // The client learns only the code; the operator needs what broke (S3 down, disk full).
      if (httpStatusOf[error.code] >= 500) {
        request.log.error({ err: error.cause ?? error, code: error.code }, error.message);
      }
      return sendError(reply, error);
    }
    const framework = fromFrameworkError(error);
    if (framework) return sendError(reply, framework);
    if (isDatabaseUnavailable(error)) {
      request.log.warn({ err: error }, 'database unavailable');
      return sendError(
        reply,
        new AppError('SERVICE_UNAVAILABLE', 'The service is temporarily unavailable; try again'),
      );
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendError(reply, new AppError('INTERNAL', 'Something went wrong on our side'));
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      new AppError(
        'ROUTE_NOT_FOUND',
        `There is no route ${request.method} ${request.url.split('?')[0]}`,
      ),
    ),
  );
}
