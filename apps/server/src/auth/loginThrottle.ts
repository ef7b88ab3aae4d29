import { MemoryCounters, type Counters } from './counters.js';

export interface ThrottleVerdict {
  /** Refuse without checking the password for this long (0: go on). */
  refuseForMs: number;
  /** Answer no sooner than this, right or wrong (0: at once). */
  slowDownMs: number;
}

/**
 * Failed password checks (logins, and a console user's current password when they change it),
 * counted in a fixed window per (address, username), per address, and per username:
 *
 * - an (address, username) pair or an address that reached its limit is refused, so one address
 *   cannot guess one password or spray many accounts;
 * - a username that reached its limit (guesses from many addresses) is only slowed down, never
 *   refused: nobody can lock an owner out, and a correct password from an address that has not
 *   itself been failing always signs in;
 * - a success clears its own pair only, so logging in to one's own account between guesses does
 *   not reset the address's count.
 *
 * Counters live in this process, or in Redis when REDIS_URL is set (shared by every node).
 */
export class LoginThrottle {
  constructor(
    private readonly maxFailures: number,
    private readonly maxFailuresPerAddress: number,
    private readonly windowMs: number,
    private readonly counters: Counters = new MemoryCounters(),
    private readonly slowDownMs = 1000,
  ) {}

  private keys(ip: string, username: string) {
    return [`login:pair:${ip}|${username}`, `login:ip:${ip}`, `login:user:${username}`];
  }

  async check(ip: string, username: string): Promise<ThrottleVerdict> {
    const [pair, address, user] = await this.counters.read(this.keys(ip, username));
    let refuseForMs = 0;
    if (pair!.count >= this.maxFailures) refuseForMs = pair!.resetInMs;
    if (address!.count >= this.maxFailuresPerAddress) {
      refuseForMs = Math.max(refuseForMs, address!.resetInMs);
    }
    return { refuseForMs, slowDownMs: user!.count >= this.maxFailures ? this.slowDownMs : 0 };
  }

  failed(ip: string, username: string): Promise<void> {
    return this.counters.add(this.keys(ip, username), this.windowMs);
  }

  succeeded(ip: string, username: string): Promise<void> {
    return this.counters.clear(this.keys(ip, username).slice(0, 1));
  }
}
