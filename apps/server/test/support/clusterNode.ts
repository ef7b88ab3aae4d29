import { runNode, type Running } from './processes.js';

/** What every node of a test cluster shares: PostgreSQL, Redis (under `prefix`), the admin. */
export interface ClusterSettings {
  databaseUrl: string;
  prefix: string;
  adminPassword: string;
}

/**
 * One built server process of a test cluster on `port`, with its own data folder, started and
 * answering (its banner printed). `env` adds or overrides settings.
 */
export async function startClusterNode(
  cluster: ClusterSettings,
  port: number,
  dataDir: string,
  env: Record<string, string> = {},
): Promise<Running> {
  const running = runNode('main.js', [], {
    DATABASE_URL: cluster.databaseUrl,
    REDIS_URL: 'redis://127.0.0.1:6379',
    REDIS_PREFIX: cluster.prefix,
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    ADMIN_PASSWORD: cluster.adminPassword,
    // Hundreds of new visitors from one loopback address, on purpose.
    VISITOR_SESSIONS_PER_ADDRESS_PER_MINUTE: '0',
    CONVERSATIONS_PER_ADDRESS_PER_MINUTE: '0',
    SOCKETS_PER_ADDRESS: '0',
    ...env,
  });
  await running.waitFor('Console:', 30_000);
  return running;
}
