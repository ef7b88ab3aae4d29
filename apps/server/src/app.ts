import cookie from '@fastify/cookie';
import multipart from '@fastify/multipart';
import Fastify, { type FastifyInstance } from 'fastify';
import helmet from 'helmet';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createFileUrls } from './auth/fileUrls.js';
import { resolveFfmpegTools } from './media/ffmpegTools.js';
import { createFileStore } from './storage/createFileStore.js';
import type { FileStore } from './storage/fileStore.js';
import { fileRoutes } from './http/routes/files.js';
import { pageRoutes } from './http/routes/pages.js';
import { setupRoutes } from './http/routes/setup.js';
import { EmbedSightings } from './domain/channels/embedSightings.js';
import { logSerializers, prettyStream } from './logging.js';
import { demoRoutes } from './http/routes/demo.js';
import { seedDemo, type DemoInfo } from './demo/demoData.js';
import { forgetInitialPasswordIfChanged, keepInitialPassword } from './initialPassword.js';
import {
  AddressLimit,
  MemoryCounters,
  RedisCounters,
  SharedCounters,
  UploadQuota,
} from './auth/counters.js';
import { LoginThrottle } from './auth/loginThrottle.js';
import { MediaSlots } from './media/mediaSlots.js';
import { proxyTrustOf } from './auth/clientAddress.js';
import { createSearchIndex } from './db/search/searchIndex.js';
import { tendFiles } from './domain/files/fileLifecycle.js';
import { deliverOutbox, purgeOutbox } from './domain/outbox/deliverOutbox.js';
import { createSmtpMailer } from './mail/mailer.js';
import { deleteExpiredConversations } from './domain/privacy/deleteExpiredConversations.js';
import { startBackgroundJobs, type BackgroundJobs } from './jobs/backgroundJobs.js';
import { endIdleConversations } from './domain/conversations/endIdleConversations.js';
import { handBackFromAbsentAgents } from './domain/agents/handBackFromAbsentAgents.js';
import { MessageRateLimit } from './auth/messageRateLimit.js';
import { createVisitorTokens } from './auth/visitorTokens.js';
import { createResumeTokens } from './auth/resumeTokens.js';
import { TranscriptLimit } from './auth/transcriptLimit.js';
import type { Config } from './config.js';
import { connectDatabase, type Db } from './db/connect.js';
import { migrateToLatest } from './db/migrate.js';
import { createMessageStore } from './db/messages/messageStore.js';
import { createTransaction } from './db/transactions.js';
import { enableWriteChecks } from './db/writeScope.js';
import { agentsNotOffline } from './domain/agents/agentPresence.js';
import { bootstrap, type BootstrapResult } from './domain/bootstrap.js';
import type { DomainContext, MediaSettings } from './domain/context.js';
import { ActionRunner } from './domain/runner.js';
import { loadOrCreateSecret } from './domain/settings.js';
import { installAuthentication, type SessionCookieOptions } from './http/authenticate.js';
import { answerFrameworkError, installErrorHandling } from './http/errors.js';
import { accountRoutes } from './http/routes/accounts.js';
import { auditRoutes } from './http/routes/audit.js';
import { authRoutes } from './http/routes/auth.js';
import { channelRoutes } from './http/routes/channels.js';
import { conversationRoutes } from './http/routes/conversations.js';
import { faqRoutes } from './http/routes/faq.js';
import { savedReplyRoutes } from './http/routes/savedReplies.js';
import { robotRoutes } from './http/routes/robot.js';
import { labelRoutes } from './http/routes/labels.js';
import { privacyRoutes } from './http/routes/privacy.js';
import { wakeSnoozedConversations } from './domain/conversations/wakeSnoozedConversations.js';
import { announceQueueCount } from './domain/conversations/announceQueueCount.js';
import { statsRoutes } from './http/routes/stats.js';
import { reportRoutes } from './http/routes/reports.js';
import { createReportStateReader } from './db/reportState.js';
import { prepareReports, rebuildReportsRound } from './domain/reports/rebuildReports.js';
import type { RouteDeps } from './http/routes/deps.js';
import { healthRoutes } from './http/routes/health.js';
import { visitorRoutes } from './http/routes/visitor.js';
import { apiKeyRoutes } from './http/routes/apiKeys.js';
import { apiDocRoutes } from './http/routes/apiDocs.js';
import { ApiKeyRateLimit } from './auth/apiKeyRateLimit.js';
import { connectRedis } from './realtime/redisConnection.js';
import { createRealtime, type Realtime } from './realtime/socketServer.js';
import type { Redis } from 'ioredis';
import { ServerMetrics } from './metrics/serverMetrics.js';
import { createMetricsServer, type MetricsServer } from './metrics/metricsServer.js';
import { metricsRoutes } from './http/routes/metrics.js';
import { instrumentServer } from './metrics/instrumentServer.js';
import { WebhookDirectory } from './domain/webhooks/webhookDirectory.js';
import { RobotKnowledge } from './domain/robot/knowledge.js';
import { tendRobotConversations } from './domain/robot/tendRobotConversations.js';
import { OpenAiModel } from './domain/robot/model/openAiModel.js';
import { RobotTurns } from './domain/robot/robotTurns.js';
import type { RobotModel } from './domain/robot/model/robotModel.js';
import {
  defaultWebhookSchedule,
  purgeWebhookDeliveries,
  WebhookWorker,
  type ObserveDelivery,
  type WebhookSchedule,
} from './domain/webhooks/deliverWebhooks.js';
import { webhookRoutes } from './http/routes/webhooks.js';

export interface App {
  http: FastifyInstance;
  db: Db;
  ctx: DomainContext;
  realtime: Realtime;
  /** What the first start created; `initialPasswordPath`: where the generated password is kept. */
  bootstrap: BootstrapResult & { initialPasswordPath?: string | undefined };
  /** Every route registered, for the permission-matrix test and docs checks. */
  routes: { method: string; url: string }[];
  /** Demo mode's channel and agents (`npm run demo`); undefined otherwise. */
  demo: DemoInfo | undefined;
  /** Where embed.js ran, added up in memory and written every 2 s (`flush()` writes now). */
  sightings: EmbedSightings;
  /** Work that runs on one node at a time: `files` sweeps unsent uploads and removes deleted
   * files; `snooze` brings back hidden conversations whose time has come; `idleEnd` ends idle
   * conversations; `handBack` hands absent agents' conversations back; `outbox` sends mail. */
  jobs: BackgroundJobs;
  /** Prometheus metrics (METRICS_TOKEN or METRICS_PORT set); undefined: none are collected.
   * `webhookDelivery(result, ms)` is where webhook deliveries are counted. */
  metrics: ServerMetrics | undefined;
  /** METRICS_PORT's own server: `listen()` after the main server listens (run.ts does). */
  metricsServer: MetricsServer | undefined;
  /** The robot's turns on this node (`idle()` waits for the running ones). */
  robotTurns: RobotTurns;
}

export interface AppOptions {
  /** Clock for tests; Date.now otherwise. */
  now?: () => number;
  /** Webhook delivery pacing (tests shorten it) and a hook for delivery metrics. */
  webhooks?: Partial<WebhookSchedule> & { observe?: ObserveDelivery };
  /** The robot's language model in place of the one LLM_* configures (tests). */
  robotModel?: RobotModel | null;
}

/** Opens the database on the context, for callers without HTTP (the operator's CLI). */
export async function openDomain(
  config: Config,
  options: AppOptions = {},
  metrics?: ServerMetrics,
) {
  if (config.writeChecks) enableWriteChecks();
  const db = connectDatabase(config.database, metrics ? { onStatement: metrics.dbStatement } : {});
  try {
    await migrateToLatest(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  const now = options.now ?? Date.now;
  let visitorTokenSecret: string;
  let fileUrlSecret: string;
  let files: FileStore;
  let media: MediaSettings;
  try {
    visitorTokenSecret = await loadOrCreateSecret(db.kysely, 'visitor_token_secret');
    fileUrlSecret = await loadOrCreateSecret(db.kysely, 'file_url_secret');
    files = createFileStore({ dataDir: config.dataDir, s3: config.s3 });
    const workDir = path.join(config.dataDir, 'tmp');
    media = {
      tools: resolveFfmpegTools({
        ...(config.ffmpegPath ? { ffmpegPath: config.ffmpegPath } : {}),
        ...(config.ffprobePath ? { ffprobePath: config.ffprobePath } : {}),
        pathEnv: config.searchPath,
      }),
      maxImagePixels: config.maxImageMegapixels * 1_000_000,
      maxVideoSeconds: config.maxVideoSeconds,
      slots: new MediaSlots(config.mediaConcurrency, config.mediaQueueLength),
      workDir,
    };
  } catch (error) {
    await db.close();
    throw error;
  }
  const counters = new SharedCounters(new MemoryCounters(now));
  const ctx: DomainContext = {
    db: db.kysely,
    transaction: createTransaction(db, metrics ? { onGroupCommit: metrics.groupCommit } : {}),
    messages: createMessageStore(db.engine),
    search: createSearchIndex(db.engine),
    now,
    sessionIdleMs: config.sessionIdleDays * 24 * 60 * 60 * 1000,
    loginThrottle: new LoginThrottle(
      config.loginMaxFailures,
      config.loginMaxFailuresPerAddress,
      config.loginWindowMinutes * 60 * 1000,
      counters,
    ),
    uploadQuota: new UploadQuota(
      counters,
      config.visitorUploadsPer10Minutes,
      config.visitorUploadMbPerDay * 1024 * 1024,
    ),
    visitorSessionLimit: new AddressLimit(
      counters,
      'visitor-sessions',
      config.visitorSessionsPerAddressPerMinute,
    ),
    conversationLimit: new AddressLimit(
      counters,
      'conversations',
      config.conversationsPerAddressPerMinute,
    ),
    visitorSendLimit: new MessageRateLimit(
      config.visitorMessageBurst,
      config.visitorMessagesPerMinute,
      now,
    ),
    visitorTokens: createVisitorTokens(visitorTokenSecret, now),
    fileUrls: createFileUrls(fileUrlSecret, now),
    files,
    media,
    mail: {
      enabled: config.mail !== undefined,
      replyDelayMs: config.mailReplyDelaySeconds * 1000,
      publicUrl: config.publicUrl,
      messageIdDomain: new URL(config.publicUrl).hostname,
    },
    resumeTokens: createResumeTokens(visitorTokenSecret, now),
    transcriptLimit: new TranscriptLimit(counters, 3),
    reports: {
      timeZone: config.reportTimeZone,
      readState: createReportStateReader(db.engine),
    },
    webhooks: new WebhookDirectory(db.kysely, config.webhookAllowPrivate),
    robotKnowledge: new RobotKnowledge(db.kysely),
    // Only with LLM_BASE_URL and LLM_MODEL set (or a test's own); otherwise nothing calls out.
    robotModel:
      options.robotModel !== undefined
        ? options.robotModel
        : config.llm
          ? new OpenAiModel(config.llm)
          : null,
  };
  // The endpoints as they are now, so a change made from the operator's CLI records its events
  // too (the server keeps them current: createApp).
  try {
    await ctx.webhooks.reload();
  } catch (error) {
    await db.close();
    throw error;
  }
  return { db, ctx, counters };
}

/** The composition root: database, first-run bootstrap, HTTP routes. Does not listen. */
export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  // Metrics are collected only when they can be read (METRICS_TOKEN or METRICS_PORT).
  let metricsError: (error: unknown) => void = () => undefined;
  const metrics = config.metrics
    ? new ServerMetrics({
        engine: config.database.engine,
        now: options.now ?? Date.now,
        liveCountsMs: 5000,
        onError: (error) => metricsError(error),
      })
    : undefined;
  const { db, ctx, counters } = await openDomain(config, options, metrics);
  let bootstrapResult: BootstrapResult;
  try {
    // Only the server (not the operator's CLI, which may run beside it) checks the store and
    // clears what a crash left in the uploads' work folder.
    await ctx.files.check();
    await fs.rm(ctx.media.workDir, { recursive: true, force: true });
    await fs.mkdir(ctx.media.workDir, { recursive: true });
    bootstrapResult = await bootstrap(ctx, {
      adminUsername: config.adminUsername,
      adminPassword: config.adminPassword,
    });
    await prepareReports(ctx);
  } catch (error) {
    await db.close();
    throw error;
  }

  const proxyTrust = proxyTrustOf(config.trustProxy);
  const pretty =
    config.logFormat === 'pretty' || (config.logFormat === 'auto' && process.stdout.isTTY === true);
  const http = Fastify({
    // On a terminal: short lines and no line per request, so the start banner stays readable.
    logger: pretty
      ? { level: config.logLevel, stream: prettyStream(), serializers: logSerializers }
      : { level: config.logLevel, serializers: logSerializers },
    trustProxy: proxyTrust,
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    // What the router refuses before any hook (a path that is not UTF-8, an over-long
    // parameter) leaves in our error shape too.
    frameworkErrors: answerFrameworkError,
  });
  let redis: Redis | undefined;
  if (config.redisUrl) {
    try {
      redis = await connectRedis(config.redisUrl);
      // Throttles' counts (failed logins, new visitors per address) are shared by every node.
      counters.use(new RedisCounters(redis, config.redisPrefix));
    } catch (error) {
      await db.close();
      throw error;
    }
  }
  // Every committed event goes through the runner to its listeners (the socket fan-out first).
  const runner = new ActionRunner((error) =>
    http.log.error({ err: error }, 'event listener failed'),
  );
  const realtime = createRealtime(http.server, ctx, runner, {
    publicUrl: config.publicUrl,
    agentOfflineGraceMs: config.agentOfflineGraceSeconds * 1000,
    log: http.log,
    socketEvents: { burst: config.socketEventsBurst, perMinute: config.socketEventsPerMinute },
    socketsPerAddress: config.socketsPerAddress,
    proxyTrust,
    redis: redis ? { client: redis, prefix: config.redisPrefix } : undefined,
    observeSocketEvent: metrics?.socketEvent,
  });
  let metricsServer: MetricsServer | undefined;
  if (metrics) {
    metricsError = (error) => http.log.warn({ err: error }, 'metrics: could not read the counts');
    instrumentServer(metrics, {
      http,
      io: realtime.io,
      runner,
      slots: ctx.media.slots,
      db: ctx.db,
    });
    if (config.metrics?.port !== undefined) {
      metricsServer = createMetricsServer(metrics, {
        host: config.host,
        port: config.metrics.port,
        token: config.metrics.token,
        onError: (error) => http.log.error({ err: error }, 'metrics: could not answer'),
      });
    }
  }
  // The first admin's generated password is kept in a file until it is changed.
  let initialPasswordPath: string | undefined;
  if (bootstrapResult.admin?.generatedPassword) {
    initialPasswordPath = await keepInitialPassword(
      config.dataDir,
      bootstrapResult.admin.username,
      bootstrapResult.admin.generatedPassword,
    );
  } else {
    await forgetInitialPasswordIfChanged(ctx.db, config.dataDir);
  }
  runner.listen((events) => {
    if (events.some((e) => e.type === 'account.sessionsEnded')) {
      forgetInitialPasswordIfChanged(ctx.db, config.dataDir).catch((error: unknown) =>
        http.log.warn({ err: error }, 'could not check the initial password file'),
      );
    }
  });
  // The `unassigned` view's count: after a committed change the visitor hears of (a start, an
  // assignment, a transfer, an end), never after a message or a console-only change. One count
  // at a time: changes that commit while one runs are counted once more after it (a burst of 300
  // new conversations is a few counts, not 300), and the last count follows the last change.
  let counting = false;
  let countAgain = false;
  const countQueue = () => {
    if (counting) {
      countAgain = true;
      return;
    }
    counting = true;
    runner
      .run(announceQueueCount(ctx))
      .catch((error: unknown) => http.log.warn({ err: error }, 'could not count the queue'))
      .finally(() => {
        counting = false;
        if (countAgain) {
          countAgain = false;
          countQueue();
        }
      });
  };
  runner.listen((events) => {
    if (events.some((e) => e.type === 'conversation.updated' && !e.consoleOnly)) countQueue();
  });
  const sightings = new EmbedSightings(ctx, 2000, (error) =>
    http.log.warn({ err: error }, 'could not record where embed.js ran'),
  );
  const mailer = config.mail ? createSmtpMailer(config.mail) : undefined;
  // Sends what is due; about once an hour, also deletes rows finished a month ago.
  let purgedAt = 0;
  const outboxRound = async () => {
    const more = await deliverOutbox(ctx, mailer);
    if (ctx.now() - purgedAt < 60 * 60 * 1000) return more;
    if (!(await purgeOutbox(ctx))) purgedAt = ctx.now();
    return true;
  };
  const jobs = startBackgroundJobs(
    ctx,
    `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    [
      { name: 'files', everyMs: 60_000, round: () => tendFiles(ctx) },
      // Hidden conversations whose time has come: their events reach every node's clients.
      { name: 'snooze', everyMs: 15_000, round: () => runner.run(wakeSnoozedConversations(ctx)) },
      // Channels' idle conversations end, absent agents' conversations are handed back.
      { name: 'idleEnd', everyMs: 30_000, round: () => runner.run(endIdleConversations(ctx)) },
      { name: 'handBack', everyMs: 30_000, round: () => runner.run(handBackFromAbsentAgents(ctx)) },
      // The robot's unanswered messages (a node stopped mid-turn) and its quiet conversations.
      {
        name: 'robot',
        everyMs: 15_000,
        round: () => runner.run(tendRobotConversations(ctx, robotStalledAfterMs(config.llm))),
      },
      // Mail written in the outbox with the change that caused it.
      { name: 'outbox', everyMs: 5_000, round: outboxRound },
      // Recomputes the report roll-ups in batches after a first start or a new REPORT_TIME_ZONE.
      { name: 'reports', everyMs: 60_000, round: () => rebuildReportsRound(ctx) },
      // Channels' retention: ended conversations past it are deleted, in batches.
      { name: 'retention', everyMs: 600_000, round: () => deleteExpiredConversations(ctx) },
      // Webhook deliveries finished 30 days ago.
      { name: 'webhookPurge', everyMs: 60 * 60 * 1000, round: () => purgeWebhookDeliveries(ctx) },
    ],
    http.log,
  );
  // Webhooks: every node keeps the endpoints in memory and delivers what is due (claims keep
  // two nodes off one delivery); a commit that wrote deliveries nudges this node's worker.
  await ctx.webhooks.start();
  const { observe, ...pacing } = options.webhooks ?? {};
  const webhookWorker = new WebhookWorker(
    ctx,
    db.engine,
    { ...defaultWebhookSchedule, ...pacing },
    (error) => http.log.warn({ err: error }, 'webhook delivery failed'),
    // Each attempt is counted in the metrics (when on) and told to a test's observer.
    metrics || observe
      ? (result, ms) => {
          metrics?.webhookDelivery(result, ms);
          observe?.(result, ms);
        }
      : undefined,
  );
  webhookWorker.start();
  runner.listen(() => {
    if (ctx.webhooks.active) webhookWorker.poke();
  });
  // The robot answers visitors after their messages commit (domain/robot/robotTurns.ts).
  const robotTurns = new RobotTurns(ctx, runner.run, (error) =>
    http.log.warn({ err: error }, 'robot turn failed'),
  );
  runner.listen(robotTurns.hear);
  // Live connections first, so the HTTP server can close; the database last.
  http.addHook('preClose', async () => {
    ctx.webhooks.stop();
    await robotTurns.stop();
    await webhookWorker.stop();
    await jobs.stop();
    mailer?.close();
    await realtime.close();
    await sightings.stop();
    await redis?.quit().catch(() => undefined);
    await metricsServer?.close();
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

  // Helmet's headers on every answer. Built once: @fastify/helmet built the middleware again for
  // every request, parsing the whole policy each time.
  const securityHeaders = helmet({
    contentSecurityPolicy: {
      directives: {
        // No inline script anywhere, no eval, no handler attributes; only our own files.
        'script-src': ["'self'"],
        'script-src-attr': ["'none'"],
        // Element Plus and Vant set inline styles: allowed for styles only.
        'style-src': ["'self'", "'unsafe-inline'"],
        // Avatars may be any https image; uploads are shown through blob: previews.
        'img-src': ["'self'", 'data:', 'blob:', 'https:'],
        'media-src': ["'self'", 'blob:'],
        'connect-src': ["'self'"],
        // Our own files and inlined fonts only: no third-party font hosts.
        'font-src': ["'self'", 'data:'],
        'object-src': ["'none'"],
        'base-uri': ["'self'"],
        'form-action': ["'self'"],
        // Over plain http (a LAN install) upgrading would break every asset.
        'upgrade-insecure-requests': config.publicUrl.startsWith('https:') ? [] : null,
      },
    },
  });
  http.addHook('onRequest', (request, reply, next) => {
    securityHeaders(request.raw, reply.raw, (error?: unknown) =>
      next(error instanceof Error ? error : undefined),
    );
  });
  await http.register(cookie);
  await http.register(multipart);
  http.log.info(
    {
      storage: ctx.files.kind,
      ffmpeg: `${ctx.media.tools.ffmpeg} (from ${ctx.media.tools.source.ffmpeg})`,
      ffprobe: `${ctx.media.tools.ffprobe} (from ${ctx.media.tools.source.ffprobe})`,
    },
    'media tools',
  );
  if (config.llm) {
    // Where the robot's model is asked; never the key, nor a password in the URL.
    const where = new URL(config.llm.baseUrl);
    where.username = '';
    where.password = '';
    http.log.info(
      { url: where.href, model: config.llm.model, concurrency: config.llm.concurrency },
      'robot language model',
    );
  }
  installErrorHandling(http);

  const cookieOptions: SessionCookieOptions = {
    secure: config.publicUrl.startsWith('https:'),
    maxAgeSeconds: config.sessionIdleDays * 24 * 60 * 60,
  };
  // API keys' own rate limits share the throttles' counters (Redis with REDIS_URL).
  installAuthentication(http, ctx, cookieOptions, config.publicUrl, new ApiKeyRateLimit(counters));
  // API answers carry conversations, accounts and tokens: no browser or proxy keeps them. Routes
  // whose answers may be kept (signed file URLs, the embed check) say so themselves.
  http.addHook('onSend', async (request, reply, payload) => {
    if (request.url.startsWith('/api/') && !reply.hasHeader('cache-control')) {
      void reply.header('Cache-Control', 'no-store');
    }
    return payload;
  });

  const routes: App['routes'] = [];
  http.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') routes.push({ method, url: route.url });
    }
  });

  const deps: RouteDeps = {
    ctx,
    run: runner.run,
    cookie: cookieOptions,
    publicUrl: config.publicUrl,
  };
  healthRoutes(http, db);
  authRoutes(http, deps);
  accountRoutes(http, deps);
  channelRoutes(http, deps);
  visitorRoutes(http, deps);
  conversationRoutes(http, deps);
  labelRoutes(http, deps);
  privacyRoutes(http, deps);
  statsRoutes(http, deps);
  reportRoutes(http, deps);
  setupRoutes(http, deps, sightings);
  auditRoutes(http, deps);
  savedReplyRoutes(http, deps);
  faqRoutes(http, deps);
  robotRoutes(http, deps);
  webhookRoutes(http, deps);
  fileRoutes(http, deps, { maxUploadBytes: config.maxUploadMb * 1024 * 1024 });
  apiKeyRoutes(http, deps);
  apiDocRoutes(http, deps);
  await pageRoutes(http, deps);
  const demo = config.demo ? await seedDemo(ctx, config.dataDir) : undefined;
  if (demo) demoRoutes(http, deps, demo);
  // Not on the main port when it has a port of its own; never without a token here.
  if (metrics && config.metrics?.port === undefined && config.metrics?.token !== undefined) {
    metricsRoutes(http, metrics, config.metrics.token);
  }

  // Agents a previous run left online get the grace period to reconnect, then go offline.
  // (With Redis, every node's presence sweep does this across nodes.)
  if (!redis) realtime.connections.expectReconnect(await agentsNotOffline(ctx.db));

  return {
    http,
    db,
    ctx,
    realtime,
    bootstrap: { ...bootstrapResult, initialPasswordPath },
    demo,
    routes,
    sightings,
    jobs,
    metrics,
    metricsServer,
    robotTurns,
  };
}

/** How long a visitor's message may wait for the robot's turn before the robot job hands the
 * conversation over: well past the language model's own deadline, or half a minute without
 * one (an FAQ turn takes milliseconds). */
function robotStalledAfterMs(llm: Config['llm']): number {
  return (llm?.timeoutMs ?? 0) + 30_000;
}
