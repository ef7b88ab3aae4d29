import { z } from 'zod';
import { Id, stripControlCharacters, Timestamp } from './common.js';

/**
 * What an API key may do. A key gets exactly its scopes, and never more than the console account
 * it acts as may do (an agent's key with `admin` still cannot manage accounts).
 * - `conversations:read`: conversations, messages, notes, visitor context, search, files, labels,
 *   saved replies and presence;
 * - `conversations:write`: end, transfer, assign, labels on conversations, snooze, read marks;
 * - `messages:write`: send messages and notes, upload files, typing;
 * - `reports:read`: reports, reports.csv and the dashboard's stats;
 * - `admin`: accounts, channels, labels, saved replies, setup, the audit log (and webhooks and
 *   visitors' export and erase).
 */
export const ApiKeyScope = z.enum([
  'conversations:read',
  'conversations:write',
  'messages:write',
  'reports:read',
  'admin',
]);
export type ApiKeyScope = z.infer<typeof ApiKeyScope>;

export const apiKeyScopes = ApiKeyScope.options;

/** Requests per minute a key may make, unless set otherwise. */
export const defaultApiKeyRateLimit = 600;
export const maxApiKeyRateLimit = 100_000;

/** The prefix of every API key (`ssk_<id>_<secret>`). */
export const apiKeyPrefix = 'ssk_';

/** A key's name: one line, trimmed, 1..100 characters. */
export const ApiKeyName = z
  .string()
  .max(1000, 'must be at most 100 characters')
  .transform((v) => stripControlCharacters(v).replace(/\s+/g, ' ').trim())
  .pipe(z.string().min(1, 'must not be empty').max(100, 'must be at most 100 characters'));

export const ApiKeyRateLimit = z
  .number()
  .int()
  .min(1, 'must be at least 1 request a minute')
  .max(maxApiKeyRateLimit, `must be at most ${maxApiKeyRateLimit} requests a minute`);

export const ApiKey = z.object({
  id: z.string(),
  name: z.string(),
  scopes: z.array(ApiKeyScope),
  /** The console account the key acts as. */
  account: z.object({
    id: z.string(),
    username: z.string(),
    displayName: z.string(),
    role: z.enum(['admin', 'agent']),
    enabled: z.boolean(),
  }),
  /** The first characters of the token (`ssk_<id>_`), to recognise it; never the secret. */
  tokenStart: z.string(),
  rateLimitPerMinute: z.number().int(),
  createdAt: Timestamp,
  /** Updated at most once a minute. */
  lastUsedAt: Timestamp.nullable(),
  revokedAt: Timestamp.nullable(),
});
export type ApiKey = z.infer<typeof ApiKey>;

// ---- GET /api/v1/api-keys, POST, PATCH /:id, DELETE /:id (administrators, console session only)
export const ApiKeyListResponse = z.object({ apiKeys: z.array(ApiKey) });
export type ApiKeyListResponse = z.infer<typeof ApiKeyListResponse>;

export const ApiKeyResponse = z.object({ apiKey: ApiKey });
export type ApiKeyResponse = z.infer<typeof ApiKeyResponse>;

export const CreateApiKeyRequest = z
  .object({
    name: ApiKeyName,
    scopes: z
      .array(ApiKeyScope)
      .min(1, 'choose at least one scope')
      .max(apiKeyScopes.length)
      .refine((s) => new Set(s).size === s.length, 'must not repeat a scope'),
    /** The console account the key acts as; the creating administrator by default. */
    accountId: Id.optional(),
    rateLimitPerMinute: ApiKeyRateLimit.default(defaultApiKeyRateLimit),
  })
  .strict();
export type CreateApiKeyRequest = z.input<typeof CreateApiKeyRequest>;

/** `token` is shown this once; only its hash is kept. */
export const CreateApiKeyResponse = z.object({ apiKey: ApiKey, token: z.string() });
export type CreateApiKeyResponse = z.infer<typeof CreateApiKeyResponse>;

export const UpdateApiKeyRequest = z
  .object({ name: ApiKeyName.optional(), rateLimitPerMinute: ApiKeyRateLimit.optional() })
  .strict();
export type UpdateApiKeyRequest = z.input<typeof UpdateApiKeyRequest>;
