import { jwtVerify, SignJWT } from 'jose';

/**
 * Tokens the server gives visitors (HS256, signed with a server-wide secret kept in the
 * database, so every node accepts every token). Claims: `sub` visitor id, `ch` channel id.
 */
export interface VisitorTokenClaims {
  visitorId: string;
  channelId: string;
}

export interface VisitorTokens {
  issue(claims: VisitorTokenClaims, expiresAt: number): Promise<string>;
  /** The claims of a valid, unexpired token, or undefined. */
  verify(token: string): Promise<VisitorTokenClaims | undefined>;
}

const issuer = 'servicesystem';
const audience = 'servicesystem:visitor';
/** Verified tokens remembered at most (see `verified` below). */
const verifiedKept = 10_000;

export function createVisitorTokens(secret: string, now: () => number): VisitorTokens {
  // Imported once: given raw bytes, jose imports a WebCrypto key on every call, which cost more
  // than the rest of a history request.
  const key = crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign', 'verify'],
  );
  // Tokens already verified, by their exact text, until they expire: a token cannot change and
  // the secret does not change while the process runs, so checking the signature again on every
  // request (HMAC on the thread pool) finds nothing new. Only valid tokens are kept, at most
  // `verifiedKept`, the oldest dropped first.
  const verified = new Map<string, { claims: VisitorTokenClaims; exp: number }>();
  return {
    async issue({ visitorId, channelId }, expiresAt) {
      return new SignJWT({ ch: channelId })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(visitorId)
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt(Math.floor(now() / 1000))
        .setExpirationTime(Math.floor(expiresAt / 1000))
        .sign(await key);
    },
    async verify(token) {
      const known = verified.get(token);
      if (known) {
        // The same check jose makes: expired once the current second reaches `exp`.
        if (Math.floor(now() / 1000) < known.exp) return known.claims;
        verified.delete(token);
        return undefined;
      }
      try {
        const { payload } = await jwtVerify(token, await key, {
          algorithms: ['HS256'],
          issuer,
          audience,
          currentDate: new Date(now()),
        });
        if (typeof payload.sub !== 'string' || typeof payload.ch !== 'string') return undefined;
        const claims = { visitorId: payload.sub, channelId: payload.ch };
        if (typeof payload.exp === 'number') {
          if (verified.size >= verifiedKept) verified.delete(verified.keys().next().value!);
          verified.set(token, { claims, exp: payload.exp });
        }
        return claims;
      } catch {
        return undefined;
      }
    },
  };
}
