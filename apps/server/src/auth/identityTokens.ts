import { IdentityClaims } from '@servicesystem/protocol';
import { errors, jwtVerify } from 'jose';
import { AppError } from '../domain/errors.js';

/** The longest an identity token may live: a host app re-signs it at least this often. */
export const maxIdentityLifetimeMs = 30 * 24 * 60 * 60 * 1000;

/**
 * Checks an identity token a host app's backend signed (HS256) with the channel's identity
 * secret, its UTF-8 bytes being the HMAC key. `exp` is required and at most 30 days ahead.
 */
export async function verifyIdentityToken(
  token: string,
  channelSecret: string,
  nowMs: number,
): Promise<IdentityClaims> {
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, new TextEncoder().encode(channelSecret), {
      algorithms: ['HS256'],
      currentDate: new Date(nowMs),
      requiredClaims: ['exp', 'sub'],
    }));
  } catch (error) {
    if (error instanceof errors.JWTExpired) {
      throw new AppError('IDENTITY_EXPIRED', 'The identity token has expired; sign a new one');
    }
    if (error instanceof errors.JWTClaimValidationFailed) {
      throw new AppError(
        'IDENTITY_INVALID',
        `The identity token is missing a claim: ${error.claim}`,
      );
    }
    if (error instanceof errors.JWSSignatureVerificationFailed) {
      throw new AppError(
        'IDENTITY_INVALID',
        "The identity token's signature does not match this channel's identity secret",
      );
    }
    throw new AppError('IDENTITY_INVALID', 'The identity token is not a valid HS256 JWT');
  }
  const claims = IdentityClaims.safeParse(payload);
  if (!claims.success) {
    const issue = claims.error.issues[0];
    throw new AppError(
      'IDENTITY_INVALID',
      `The identity token's "${issue?.path.join('.') ?? ''}" claim is not valid: ${issue?.message ?? ''}`,
    );
  }
  if (claims.data.exp * 1000 > nowMs + maxIdentityLifetimeMs + 60_000) {
    throw new AppError('IDENTITY_INVALID', 'The identity token expires more than 30 days ahead');
  }
  return claims.data;
}
