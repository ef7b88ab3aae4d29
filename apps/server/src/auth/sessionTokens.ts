import { createHash, randomBytes } from 'node:crypto';

const prefix = 'sst_';

/** A new console session token: 256 random bits. Only its hash is stored. */
export function newSessionToken(): string {
  return prefix + randomBytes(32).toString('base64url');
}

/** The stored id of a session token, or undefined when the token cannot be one of ours. */
export function sessionIdOf(token: string): string | undefined {
  if (!token.startsWith(prefix) || token.length !== prefix.length + 43) return undefined;
  return createHash('sha256').update(token).digest('hex');
}
