import { BlockList, isIP } from 'node:net';
import dns from 'node:dns';
import type { LookupFunction } from 'node:net';

/**
 * Where a webhook may not go (SSRF): the server's own machine, its private networks, and every
 * other address that is not the public internet. Checked when an endpoint is registered or
 * changed, and again on every connection, on the address actually connected to (so a name that
 * later resolves to an internal address, DNS rebinding, is refused too). WEBHOOK_ALLOW_PRIVATE
 * lifts it (tests; an intranet install that means it).
 */
const refused = new BlockList();
// IPv4
refused.addSubnet('0.0.0.0', 8, 'ipv4'); // "this network", unspecified
refused.addSubnet('10.0.0.0', 8, 'ipv4'); // private
refused.addSubnet('100.64.0.0', 10, 'ipv4'); // carrier-grade NAT
refused.addSubnet('127.0.0.0', 8, 'ipv4'); // loopback
refused.addSubnet('169.254.0.0', 16, 'ipv4'); // link-local (cloud metadata)
refused.addSubnet('172.16.0.0', 12, 'ipv4'); // private
refused.addSubnet('192.0.0.0', 24, 'ipv4'); // IETF protocol assignments
refused.addSubnet('192.168.0.0', 16, 'ipv4'); // private
refused.addSubnet('198.18.0.0', 15, 'ipv4'); // benchmarking
refused.addSubnet('224.0.0.0', 4, 'ipv4'); // multicast
refused.addSubnet('240.0.0.0', 4, 'ipv4'); // reserved, broadcast
// IPv6
refused.addAddress('::', 'ipv6'); // unspecified
refused.addAddress('::1', 'ipv6'); // loopback
refused.addSubnet('fc00::', 7, 'ipv6'); // unique local
refused.addSubnet('fe80::', 10, 'ipv6'); // link-local
refused.addSubnet('fec0::', 10, 'ipv6'); // site-local (deprecated)
refused.addSubnet('ff00::', 8, 'ipv6'); // multicast
refused.addSubnet('64:ff9b:1::', 48, 'ipv6'); // local-use NAT64

/** The IPv4 address an IPv6 address carries (mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d`,
 * NAT64 `64:ff9b::a.b.c.d`), if any. */
function embeddedIpv4(address: string): string | undefined {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:|::|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (!hex) return undefined;
  const high = parseInt(hex[1]!, 16);
  const low = parseInt(hex[2]!, 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/** Whether `address` (a literal IPv4 or IPv6 address) is one a webhook may not reach. */
export function isInternalAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return refused.check(address, 'ipv4');
  if (family !== 6) return true;
  const inner = embeddedIpv4(address);
  if (inner) return refused.check(inner, 'ipv4');
  return refused.check(address, 'ipv6');
}

/** The host of a URL as a resolver takes it (IPv6 literals lose their brackets). */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/**
 * Why `url` may not be used as a webhook, or undefined when it may: every address its host
 * resolves to must be public. A host that does not resolve is refused as well.
 */
export async function refusalOf(url: URL, allowPrivate: boolean): Promise<string | undefined> {
  if (allowPrivate) return undefined;
  const host = hostOf(url);
  if (isIP(host)) {
    return isInternalAddress(host) ? `${host} is a private or internal address` : undefined;
  }
  if (host === 'localhost' || host.endsWith('.localhost')) return `${host} is this machine`;
  let addresses: dns.LookupAddress[];
  try {
    addresses = await dns.promises.lookup(host, { all: true, verbatim: true });
  } catch {
    return `${host} could not be resolved`;
  }
  const internal = addresses.find((a) => isInternalAddress(a.address));
  return internal
    ? `${host} resolves to ${internal.address}, a private or internal address`
    : undefined;
}

/**
 * A `lookup` for node:http and node:https that refuses internal addresses as it resolves, so
 * the connection is made to exactly the address that was checked.
 */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true, verbatim: true }, (error, addresses) => {
      if (error) {
        callback(error, '', 0);
        return;
      }
      const list = addresses as unknown as dns.LookupAddress[];
      const usable = allowPrivate ? list : list.filter((a) => !isInternalAddress(a.address));
      if (usable.length === 0) {
        const refusal = Object.assign(
          new Error(`${hostname} resolves to a private or internal address`),
          { code: 'WEBHOOK_ADDRESS_REFUSED' },
        );
        callback(refusal, '', 0);
        return;
      }
      if (options.all) {
        (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, usable);
      } else {
        callback(null, usable[0]!.address, usable[0]!.family);
      }
    });
  };
}
