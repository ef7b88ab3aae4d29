import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import Fastify, { type FastifyInstance } from 'fastify';
import { LoginThrottle } from './auth/loginThrottle.js';
import type { Config } from './config.js';
import { connectDatabase, type Db } from './db/connect.js';
import { migrateToLatest } from './db/migrate.js';
import { bootstrap, type BootstrapResult } from './domain/bootstrap.js';
import type { DomainContext } from './domain/context.js';
import { installAuthentication, type SessionCookieOptions } from './http/authenticate.js';
import { installErrorHandling } from './http/errors.js';
import { agentRoutes } from './http/routes/agents.js';
import { authRoutes } from './http/routes/auth.js';
import { channelRoutes } from './http/routes/channels.js';
import { healthRoutes } from './http/routes/health.js';

export interface App {
  http: FastifyInstance;
  db: Db;
  ctx: DomainContext;
  bootstrap: BootstrapResult;
  /** Every route registered, for the permission-matrix test and docs checks. */
  routes: { method: string; url: string }[];
}

export interface AppOptions {
  /** Clock for tests; Date.now otherwise. */
  now?: () => number;
}

/** Opens the database on the context, for callers without HTTP (the operator's CLI). */
export async function openDomain(config: Config, options: AppOptions = {}) {
  const db = connectDatabase(config.database);
  try {
    await migrateToLatest(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  const ctx: DomainContext = {
    db: db.kysely,
    engine: db.engine,
    now: options.now ?? Date.now,
    sessionIdleMs: config.sessionIdleDays * 24 * 60 * 60 * 1000,
    loginThrottle: new LoginThrottle(
      config.loginMaxFailures,
      config.loginWindowMinutes * 60 * 1000,
      options.now,
    ),
  };
  return { db, ctx };
}

/** The composition root: database, first-run bootstrap, HTTP routes. Does not listen. */
export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const { db, ctx } = await openDomain(config, options);
  let bootstrapResult: BootstrapResult;
  try {
    bootstrapResult = await bootstrap(ctx, {
      adminUsername: config.adminUsername,
      adminPassword: config.adminPassword,
    });
  } catch (error) {
    await db.close();
    throw error;
  }

  const http = Fastify({
    logger: { level: config.logLevel },
    trustProxy: config.trustProxy,
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
  });
  http.addHook('onClose', async () => {
    await db.close();
  });

  // Empty JSON bodies (a bare POST with a JSON content type) read as "no body"; the rest is
  // Fastify's own parser, which guards against prototype poisoning.
  const jsonParser = http.getDefaultJsonParser('error', 'error');
  http.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (typeof body === 'string' && body.trim() === '') {
      done(null, undefined);
      return;
    }
    jsonParser(request, body.toString(), done);
  });

  await http.register(helmet, { global: true });
  await http.register(cookie);
  installErrorHandling(http);

  const cookieOptions: SessionCookieOptions = {
    secure: config.publicUrl.startsWith('https:'),
    maxAgeSeconds: config.sessionIdleDays * 24 * 60 * 60,
  };
  installAuthentication(http, ctx, cookieOptions, config.publicUrl);

  const routes: App['routes'] = [];
  http.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') routes.push({ method, url: route.url });
    }
  });

  healthRoutes(http, db);
  authRoutes(http, ctx, cookieOptions, config.publicUrl);
  agentRoutes(http, ctx);
  channelRoutes(http, ctx);

  return { http, db, ctx, bootstrap: bootstrapResult, routes };
}
