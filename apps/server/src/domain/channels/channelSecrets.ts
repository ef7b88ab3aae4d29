import { randomBytes } from 'node:crypto';

/** A channel's identity secret: 32 random bytes, base64url. Host backends sign visitor
 * identities with it (HS256). */
export function newIdentitySecret(): string {
  return randomBytes(32).toString('base64url');
}
