import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * Which agents have a live connection on some node, shared through Redis so that several server
 * processes agree. Each node keeps, per agent it serves, a member `<nodeId>` in the sorted set
 * `<prefix>:presence:<agentId>` scored with an expiry time, and renews it with a heartbeat. A node
 * that crashes stops renewing: its members expire after `ttlMs`, and the sweep then marks those
 * agents offline (their conversations stay theirs).
 */
export class RedisPresence {
  readonly nodeId = randomUUID();
  private readonly local = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlMs: number,
  ) {}

  private key(agentId: string): string {
    return `${this.prefix}:presence:${agentId}`;
  }

  /** This node now serves the agent (first connection here). */
  async here(agentId: string): Promise<void> {
    this.local.add(agentId);
    await this.redis.zadd(this.key(agentId), Date.now() + this.ttlMs, this.nodeId);
  }

  /** The agent's last connection on this node closed: they count as connected for `graceMs`
   * more (a page reload), then no longer. */
  async gone(agentId: string, graceMs: number): Promise<void> {
    this.local.delete(agentId);
    await this.redis.zadd(this.key(agentId), Date.now() + graceMs, this.nodeId);
  }

  /** True when some node (this one included) still serves the agent. */
  async connectedAnywhere(agentId: string): Promise<boolean> {
    if (this.local.has(agentId)) return true;
    const key = this.key(agentId);
    await this.redis.zremrangebyscore(key, '-inf', Date.now());
    return (await this.redis.zcard(key)) > 0;
  }

  /**
   * True when the agent was connected somewhere and every node's entry has since expired (the
   * node crashed, or the grace after a disconnect passed); the record is then cleared. An agent
   * who never connected a socket (an API client) has no record and is left alone.
   */
  async lapsed(agentId: string): Promise<boolean> {
    if (this.local.has(agentId)) return false;
    const key = this.key(agentId);
    if ((await this.redis.zcard(key)) === 0) return false;
    if ((await this.redis.zcount(key, Date.now(), '+inf')) > 0) return false;
    await this.redis.del(key);
    return true;
  }

  /** Renews this node's members every third of the TTL. */
  start(): void {
    this.timer = setInterval(
      () => {
        const expiry = Date.now() + this.ttlMs;
        for (const agentId of this.local) {
          this.redis.zadd(this.key(agentId), expiry, this.nodeId).catch(() => undefined);
        }
      },
      Math.max(1000, Math.floor(this.ttlMs / 3)),
    );
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await Promise.all(
      [...this.local].map((id) => this.redis.zrem(this.key(id), this.nodeId).catch(() => 0)),
    );
    this.local.clear();
  }
}
