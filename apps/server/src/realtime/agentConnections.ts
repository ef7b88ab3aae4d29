/**
 * Counts each agent's live connections on this node. When an agent's last connection has been
 * gone for the grace period (a page reload does not count), `onGone` marks them offline.
 */
export class AgentConnections {
  private readonly counts = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly graceMs: number,
    private readonly onGone: (agentId: string) => void,
  ) {}

  /** Answers true for the agent's first connection on this node. */
  connected(agentId: string): boolean {
    const count = (this.counts.get(agentId) ?? 0) + 1;
    this.counts.set(agentId, count);
    const timer = this.timers.get(agentId);
    if (timer) {
      clearTimeout(timer);
      this.timers.delete(agentId);
    }
    return count === 1;
  }

  /** Answers true when that was the agent's last connection on this node. */
  disconnected(agentId: string): boolean {
    const left = (this.counts.get(agentId) ?? 1) - 1;
    if (left > 0) {
      this.counts.set(agentId, left);
      return false;
    }
    this.counts.delete(agentId);
    this.startGrace(agentId);
    return true;
  }

  /** Agents a previous run left online get the same grace to reconnect after a restart. */
  expectReconnect(agentIds: string[]): void {
    for (const id of agentIds)
      if (!this.counts.has(id) && !this.timers.has(id)) this.startGrace(id);
  }

  isConnected(agentId: string): boolean {
    return this.counts.has(agentId);
  }

  stop(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private startGrace(agentId: string): void {
    const timer = setTimeout(() => {
      this.timers.delete(agentId);
      if (!this.counts.has(agentId)) this.onGone(agentId);
    }, this.graceMs);
    timer.unref();
    this.timers.set(agentId, timer);
  }
}
