import type { Account } from '@servicesystem/protocol';
import { createApp, type App, type AppOptions } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createTestDatabase, type TestDatabase } from './testDatabase.js';

export const adminPassword = 'admin-password-1';

/**
 * A REST answer. `Body` is what the test knows of the body: `any` for older tests; the world
 * (world.ts) answers `Answer<unknown>`, read through the protocol schemas (`bodyOf`, `errorOf`).
 */
export interface Answer<Body = any> {
  status: number;
  body: Body;
  headers: Record<string, string | string[] | number | undefined>;
  cookies: { name: string; value: string; [key: string]: unknown }[];
}

export interface RequestOptions {
  body?: unknown;
  token?: string;
  headers?: Record<string, string>;
  cookies?: Record<string, string>;
  ip?: string;
  rawBody?: string;
}

export interface TestApp {
  app: App;
  db: TestDatabase;
  adminToken: string;
  request(method: string, url: string, options?: RequestOptions): Promise<Answer>;
  login(username: string, password: string): Promise<string>;
  /** Factory: an account made through the public API, logged in. */
  createAccount(
    overrides?: Partial<{
      username: string;
      displayName: string;
      role: 'admin' | 'agent';
      maxConcurrent: number | null;
      password: string;
    }>,
  ): Promise<{ account: Account; password: string; token: string }>;
  close(): Promise<void>;
}

let counter = 0;

/** A real server (routes, database, migrations, bootstrap) on a fresh database; no socket. */
export async function startTestApp(
  env: Record<string, string> = {},
  options: {
    db?: TestDatabase;
    now?: () => number;
    webhooks?: AppOptions['webhooks'];
    robotModel?: AppOptions['robotModel'];
  } = {},
): Promise<TestApp> {
  const db = options.db ?? (await createTestDatabase());
  const config = loadConfig({
    DATABASE_URL: db.url,
    DATA_DIR: db.dataDir,
    LOG_LEVEL: 'silent',
    ADMIN_USERNAME: 'admin',
    ADMIN_PASSWORD: adminPassword,
    // Tests make visitors and events far faster than people do; the limits' own tests set them.
    VISITOR_SESSIONS_PER_ADDRESS_PER_MINUTE: '0',
    CONVERSATIONS_PER_ADDRESS_PER_MINUTE: '0',
    SOCKETS_PER_ADDRESS: '0',
    SOCKET_EVENTS_PER_MINUTE: '0',
    VISITOR_UPLOADS_PER_10_MINUTES: '0',
    VISITOR_UPLOAD_MB_PER_DAY: '0',
    ...env,
  });
  let app: App;
  try {
    app = await createApp(config, {
      ...(options.now ? { now: options.now } : {}),
      ...(options.webhooks ? { webhooks: options.webhooks } : {}),
      ...(options.robotModel ? { robotModel: options.robotModel } : {}),
    });
  } catch (error) {
    if (!options.db) await db.drop();
    throw error;
  }

  async function request(method: string, url: string, opts: RequestOptions = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let payload: string | undefined;
    if (opts.rawBody !== undefined) {
      payload = opts.rawBody;
    } else if (opts.body !== undefined) {
      payload = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await app.http.inject({
      method: method as 'GET',
      url,
      headers,
      ...(payload !== undefined ? { payload } : {}),
      ...(opts.cookies ? { cookies: opts.cookies } : {}),
      remoteAddress: opts.ip ?? '127.0.0.1',
    });
    let body: unknown = undefined;
    if (response.body !== '') {
      try {
        body = JSON.parse(response.body);
      } catch {
        body = response.body;
      }
    }
    return {
      status: response.statusCode,
      body,
      headers: response.headers,
      cookies: response.cookies as Answer['cookies'],
    };
  }

  async function login(username: string, password: string): Promise<string> {
    const answer = await request('POST', '/api/v1/auth/login', { body: { username, password } });
    if (answer.status !== 200) throw new Error(`login failed: ${JSON.stringify(answer.body)}`);
    return answer.body.token as string;
  }

  const adminToken = await login('admin', adminPassword);

  return {
    app,
    db,
    adminToken,
    request,
    login,
    async createAccount(overrides = {}) {
      counter += 1;
      const password = overrides.password ?? `password-${counter}-x`;
      const answer = await request('POST', '/api/v1/agents', {
        token: adminToken,
        body: {
          username: overrides.username ?? `agent${counter}`,
          displayName: overrides.displayName ?? `Agent ${counter}`,
          role: overrides.role ?? 'agent',
          maxConcurrent: overrides.maxConcurrent ?? null,
          password,
        },
      });
      if (answer.status !== 201) throw new Error(`createAccount: ${JSON.stringify(answer.body)}`);
      const account = answer.body.agent as Account;
      return { account, password, token: await login(account.username, password) };
    },
    async close() {
      await app.http.close();
      if (!options.db) await db.drop();
    },
  };
}
