import { createHmac } from 'node:crypto';

/**
 * The `ServiceSystem-Signature` header of a body sent at `unixSeconds`:
 * `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>` (as Stripe signs). A receiver
 * recomputes v1 over the raw body, compares in constant time, and refuses a `t` more than five
 * minutes from its own clock (a replayed request).
 */
export function signWebhook(secret: string, body: string, unixSeconds: number): string {
  const v1 = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${v1}`;
}
