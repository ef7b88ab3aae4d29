import { Redis } from 'ioredis';

/**
 * Connects to Redis for the Socket.IO adapter and agent presence. Start-up fails with a clear
 * error when Redis cannot be reached; later blips are retried by the client (commands wait for
 * the connection to come back instead of failing at once).
 */
export async function connectRedis(url: string): Promise<Redis> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 5000,
    maxRetriesPerRequest: null,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  // Errors while reconnecting are expected during a Redis restart; commands resume after it.
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
