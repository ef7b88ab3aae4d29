import { setTimeout as sleep } from 'node:timers/promises';
import type { DomainContext } from '../context.js';
import { rateLimited } from '../errors.js';

/**
 * One password check under the login throttle (auth/loginThrottle.ts): refused before checking
 * when this address (or this address and username) failed too often; slowed down, never refused,
 * when only the username is under attack; the outcome counted. Answers whether it matched.
 */
export async function throttledPasswordCheck(
  ctx: DomainContext,
  ip: string,
  username: string,
  matches: () => Promise<boolean>,
): Promise<boolean> {
  const verdict = await ctx.loginThrottle.check(ip, username);
  if (verdict.refuseForMs > 0) {
    throw rateLimited(
      verdict.refuseForMs,
      (s) =>
        `Too many failed attempts from this address. Try again in ${Math.ceil(s / 60)} minute(s).`,
      'TOO_MANY_LOGIN_ATTEMPTS',
    );
  }
  const started = performance.now();
  const ok = await matches();
  const wait = verdict.slowDownMs - (performance.now() - started);
  if (wait > 0) await sleep(wait);
  if (ok) await ctx.loginThrottle.succeeded(ip, username);
  else await ctx.loginThrottle.failed(ip, username);
  return ok;
}
