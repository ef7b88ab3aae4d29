/**
 * A fresh id for a message this client sends: `prefix`, the time, 96 random bits; letters and
 * digits only, at most 48 characters (the protocol's ClientMsgId allows 64 of [A-Za-z0-9_-]).
 * The server stores a retried send once per sender and clientMsgId, so every send of one
 * message must keep its id, and no two messages may share one.
 */
export function newClientMsgId(prefix = 'm'): string {
  const random = crypto.getRandomValues(new Uint8Array(12));
  const tail = Array.from(random, (b) => b.toString(36).padStart(2, '0')).join('');
  return `${prefix.replace(/[^A-Za-z0-9]/g, '')}${Date.now().toString(36)}${tail}`.slice(0, 48);
}
