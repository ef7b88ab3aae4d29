import { z } from 'zod';

/**
 * Every error the API can answer with. The HTTP status for each code lives in the server's
 * transport layer; socket acks carry the same codes.
 */
export const ErrorCode = {
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  INVALID_JSON: 'INVALID_JSON',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  BAD_REQUEST: 'BAD_REQUEST',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  INVALID_CREDENTIALS: 'INVALID_CREDENTIALS',
  ACCOUNT_DISABLED: 'ACCOUNT_DISABLED',
  WRONG_PASSWORD: 'WRONG_PASSWORD',
  FORBIDDEN: 'FORBIDDEN',
  CROSS_SITE_REQUEST: 'CROSS_SITE_REQUEST',
  NOT_FOUND: 'NOT_FOUND',
  ROUTE_NOT_FOUND: 'ROUTE_NOT_FOUND',
  USERNAME_TAKEN: 'USERNAME_TAKEN',
  LAST_ADMIN: 'LAST_ADMIN',
  SHORTCUT_TAKEN: 'SHORTCUT_TAKEN',
  LABEL_NAME_TAKEN: 'LABEL_NAME_TAKEN',
  TOO_MANY_LOGIN_ATTEMPTS: 'TOO_MANY_LOGIN_ATTEMPTS',
  RATE_LIMITED: 'RATE_LIMITED',
  IDENTITY_INVALID: 'IDENTITY_INVALID',
  IDENTITY_EXPIRED: 'IDENTITY_EXPIRED',
  CONVERSATION_ENDED: 'CONVERSATION_ENDED',
  /** A rating for a conversation that is still open. */
  CONVERSATION_NOT_ENDED: 'CONVERSATION_NOT_ENDED',
  /** The conversation was rated already: one answer each. */
  ALREADY_RATED: 'ALREADY_RATED',
  /** The channel does not ask its visitors for a rating. */
  RATING_OFF: 'RATING_OFF',
  INVALID_STATE: 'INVALID_STATE',
  AGENT_UNAVAILABLE: 'AGENT_UNAVAILABLE',
  INVALID_MEDIA: 'INVALID_MEDIA',
  IMAGE_TOO_LARGE: 'IMAGE_TOO_LARGE',
  VIDEO_TOO_LARGE: 'VIDEO_TOO_LARGE',
  VIDEO_TOO_LONG: 'VIDEO_TOO_LONG',
  RANGE_NOT_SATISFIABLE: 'RANGE_NOT_SATISFIABLE',
  STORAGE_UNAVAILABLE: 'STORAGE_UNAVAILABLE',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL: 'INTERNAL',
  CONVERSATION_OPEN: 'CONVERSATION_OPEN',
  MAIL_NOT_CONFIGURED: 'MAIL_NOT_CONFIGURED',
  TOO_MANY_TRANSCRIPTS: 'TOO_MANY_TRANSCRIPTS',
  /** An erase whose `confirm` does not repeat the visitor's id. */
  CONFIRMATION_MISMATCH: 'CONFIRMATION_MISMATCH',
  /** An API key without the scope a route needs (the message names it). */
  KEY_SCOPE_MISSING: 'KEY_SCOPE_MISSING',
  /** A webhook URL on a private, loopback or otherwise internal address (WEBHOOK_ALLOW_PRIVATE). */
  WEBHOOK_URL_REFUSED: 'WEBHOOK_URL_REFUSED',
  /** Suggest a reply: nothing in the channel's knowledge fits the conversation (404). */
  NO_SUGGESTION: 'NO_SUGGESTION',
  /** The language model did not answer in time, failed, or is at its concurrency limit (503). */
  MODEL_UNAVAILABLE: 'MODEL_UNAVAILABLE',
  /** A channel already has the most FAQ entries allowed (1,000). */
  FAQ_FULL: 'FAQ_FULL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const ErrorIssue = z.object({
  path: z.string(),
  message: z.string(),
});
export type ErrorIssue = z.infer<typeof ErrorIssue>;

/** The one shape of every error body: `{"error":{"code","message","issues"?}}`. */
export const ErrorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    issues: z.array(ErrorIssue).optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;
