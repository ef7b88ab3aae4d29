import { SignJWT } from 'jose';
import { expect, it } from 'vitest';
import { createVisitorTokens } from '../../src/auth/visitorTokens.js';

/** Verified tokens are remembered, but never past their expiry, and only valid ones. */
it('accepts a valid token again without re-checking, until it expires', async () => {
  let clock = Date.UTC(2026, 10, 26, 10, 0, 0);
  const tokens = createVisitorTokens('a-server-secret-of-enough-length', () => clock);
  const claims = { visitorId: 'v1', channelId: 'c1' };
  const token = await tokens.issue(claims, clock + 60_000);

  expect(await tokens.verify(token)).toEqual(claims);
  expect(await tokens.verify(token)).toEqual(claims);
  clock += 59_000;
  expect(await tokens.verify(token)).toEqual(claims);
  // The second `exp` names: expired, remembered or not.
  clock += 1_000;
  expect(await tokens.verify(token)).toBeUndefined();
  expect(await tokens.verify(token)).toBeUndefined();
});

it('remembers nothing of a token that failed, nor lets a known one vouch for another', async () => {
  const clock = Date.UTC(2026, 10, 26, 10, 0, 0);
  const tokens = createVisitorTokens('a-server-secret-of-enough-length', () => clock);
  const token = await tokens.issue({ visitorId: 'v1', channelId: 'c1' }, clock + 60_000);
  expect(await tokens.verify(token)).toBeDefined();

  const [header, , signature] = token.split('.');
  const otherPayload = Buffer.from(
    JSON.stringify({ ch: 'c1', sub: 'v2', iss: 'servicesystem', aud: 'servicesystem:visitor' }),
  ).toString('base64url');
  const forged = `${header}.${otherPayload}.${signature}`;
  const foreign = await new SignJWT({ ch: 'c1' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject('v1')
    .setIssuer('servicesystem')
    .setAudience('servicesystem:visitor')
    .setExpirationTime(Math.floor(clock / 1000) + 60)
    .sign(new TextEncoder().encode('not-the-server-secret'));
  for (const bad of [forged, foreign, `${token}x`, token.slice(0, -2)]) {
    expect(await tokens.verify(bad)).toBeUndefined();
    expect(await tokens.verify(bad)).toBeUndefined();
  }
  expect(await tokens.verify(token)).toEqual({ visitorId: 'v1', channelId: 'c1' });
});
