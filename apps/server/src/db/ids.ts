import { randomUUID } from 'node:crypto';

/**
 * A UUID version 7 (RFC 9562): the first 48 bits are the time in milliseconds, the rest random.
 * Ids made later sort later, so a table's id index grows at its end instead of at a random page:
 * on a busy messages table that is one page written per commit instead of one per message.
 */
export function timeOrderedId(now: number): string {
  const time = Math.max(0, Math.floor(now)).toString(16).padStart(12, '0').slice(-12);
  const random = randomUUID(); // xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx, V the RFC variant
  return `${time.slice(0, 8)}-${time.slice(8)}-7${random.slice(15)}`;
}
