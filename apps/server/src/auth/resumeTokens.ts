import { jwtVerify, SignJWT } from 'jose';
import type { VisitorTokenClaims } from './visitorTokens.js';

/**
 * The token in a reply mail's link back into the conversation (HS256 with the visitor-token
 * secret, but its own audience: neither kind of token passes for the other). Claims: `sub`
 * visitor id, `ch` channel id. The visitor page exchanges it for that visitor's session.
 */
export interface ResumeTokens {
  issue(claims: VisitorTokenClaims, expiresAt: number): Promise<string>;
  /** The claims of a valid, unexpired token, or undefined. */
  verify(token: string): Promise<VisitorTokenClaims | undefined>;
}

const issuer = 'servicesystem';
const audience = 'servicesystem:resume';

export function createResumeTokens(secret: string, now: () => number): ResumeTokens {
  const key = new TextEncoder().encode(secret);
  return {
    issue({ visitorId, channelId }, expiresAt) {
      return new SignJWT({ ch: channelId })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(visitorId)
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt(Math.floor(now() / 1000))
        .setExpirationTime(Math.floor(expiresAt / 1000))
        .sign(key);
    },
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key, {
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
