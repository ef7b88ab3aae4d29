import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { apiKeyPrefix } from '@servicesystem/protocol';

/**
 * API key tokens: `ssk_<key id>_<secret>`, the secret 256 random bits (base64url). Only the
 * SHA-256 of the secret is stored: a fast hash is right for a secret this long (no dictionary or
 * brute force reaches it), where passwords need a slow one.
 */
export function newApiKeyToken(id: string): { token: string; secretHash: string } {
  const secret = randomBytes(32).toString('base64url');
  return { token: `${apiKeyPrefix}${id}_${secret}`, secretHash: hashOf(secret) };
}

const hashOf = (secret: string) => createHash('sha256').update(secret).digest('hex');

const tokenShape = /^ssk_([0-9a-f-]{36})_([A-Za-z0-9_-]{43})$/;

/** The key id and the hash of the secret a token carries, or undefined when it cannot be one. */
export function readApiKeyToken(token: string): { id: string; secretHash: string } | undefined {
  const match = tokenShape.exec(token);
  if (!match) return undefined;
  return { id: match[1]!, secretHash: hashOf(match[2]!) };
}

/** Compares two hex hashes in constant time. */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}

/** What the list shows to recognise a key: its prefix and id, never the secret. */
export const tokenStartOf = (id: string) => `${apiKeyPrefix}${id}_`;

export const isApiKeyToken = (token: string) => token.startsWith(apiKeyPrefix);
