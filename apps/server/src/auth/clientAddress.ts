import type { IncomingMessage } from 'node:http';
import proxyaddr from '@fastify/proxy-addr';
import type { Config } from '../config.js';

/** Which hops of `X-Forwarded-For` to believe: the socket's peer is hop 0. */
export type ProxyTrust = (address: string, hop: number) => boolean;

/**
 * TRUST_PROXY as one function, given to Fastify (REST) and used for Socket.IO handshakes, so
 * both see the same client address. A number of hops trusts the N nearest addresses, so entries
 * a client wrote further left never count; a list trusts those proxies' addresses or CIDRs.
 */
export function proxyTrustOf(trust: Config['trustProxy']): ProxyTrust {
  if (trust === false) return () => false;
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return proxyaddr.compile(trust);
}

/** The client's address for a raw request (a Socket.IO handshake), as Fastify's `request.ip`. */
export function clientAddressOf(request: IncomingMessage, trust: ProxyTrust): string {
  return proxyaddr(request, trust);
}
