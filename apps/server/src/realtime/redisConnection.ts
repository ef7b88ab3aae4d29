import { Redis, type RedisOptions } from 'ioredis';

/**
 * Options of the connections the Socket.IO adapter opens with `duplicate()` to read the stream
 * and to subscribe: their blocking reads wait through a Redis restart and go on after it (failing
 * them at once would make the adapter's read loop spin while Redis is down).
 */
const waitingOptions: Partial<RedisOptions> = {
  enableOfflineQueue: true,
  maxRetriesPerRequest: null,
};

/**
 * The connection that publishes events and writes presence. While Redis is unreachable its
 * commands fail at once instead of queueing: the Socket.IO adapter awaits its publish (XADD)
 * before delivering an event to this node's own sockets, so a queued publish would hold up
 * delivery between a visitor and an agent on the same node until Redis came back.
 */
class FailFastRedis extends Redis {
  override duplicate(override?: Partial<RedisOptions>): Redis {
    return new Redis({ ...this.options, ...waitingOptions, ...override });
  }
}

/**
 * Connects to Redis for the Socket.IO adapter and agent presence. Start-up fails with a clear
 * error when Redis cannot be reached. Later, the client reconnects by itself; meanwhile events
 * still reach sockets on this node (only other nodes miss them), and presence writes fail and are
 * logged until Redis is back.
 */
export async function connectRedis(url: string): Promise<Redis> {
  const client = new FailFastRedis(url, {
    lazyConnect: true,
    connectTimeout: 5000,
    enableOfflineQueue: false,
    // A command in flight when the connection drops fails at once too.
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  // Errors while reconnecting are expected during a Redis restart.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    client.disconnect();
    throw new Error(
      `Redis at ${new URL(url).host} cannot be reached: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  return client;
}
