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
      try {
        const { payload } = await jwtVerify(token, await key, {
          algorithms: ['HS256'],
          issuer,
          audience,
          currentDate: new Date(now()),
        });
        if (typeof payload.sub !== 'string' || typeof payload.ch !== 'string') return undefined;
        return { visitorId: payload.sub, channelId: payload.ch };
      } catch {
        return undefined;
      }
    },
  };
}
