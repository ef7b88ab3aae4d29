import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { z } from 'zod';

/**
 * The only reader of process.env. Every setting is validated once, at start-up; a bad value
 * stops the process with one line that names the variable (see main.ts).
 */

export type DatabaseConfig =
  { engine: 'sqlite'; file: string } | { engine: 'postgres'; url: string };

export interface S3Config {
  endpoint: string | undefined;
  bucket: string;
  region: string;
  accessKeyId: string | undefined;
  secretAccessKey: string | undefined;
  forcePathStyle: boolean;
}

export interface Config {
  port: number;
  host: string;
  publicUrl: string;
  dataDir: string;
  database: DatabaseConfig;
  redisUrl: string | undefined;
  /** Prefix of every Redis key and stream, so deployments can share a Redis. */
  redisPrefix: string;
  s3: S3Config | undefined;
  ffmpegPath: string | undefined;
  ffprobePath: string | undefined;
  adminUsername: string;
  adminPassword: string | undefined;
  maxUploadMb: number;
  maxVideoSeconds: number;
  /** Media jobs (image re-encodes, video probes and covers) at once on this node. */
  mediaConcurrency: number;
  /** Uploads that may wait for a media slot; past it they are refused (503, Retry-After). */
  mediaQueueLength: number;
  /** Files a visitor may upload in 10 minutes, and megabytes a day (agents ten times more). */
  visitorUploadsPer10Minutes: number;
  visitorUploadMbPerDay: number;
  maxImageMegapixels: number;
  sessionIdleDays: number;
  loginMaxFailures: number;
  /** Failed password checks from one address, whatever the usernames, before it is refused. */
  loginMaxFailuresPerAddress: number;
  /** New anonymous visitors one client address may make a minute; 0: no limit. */
  visitorSessionsPerAddressPerMinute: number;
  conversationsPerAddressPerMinute: number;
  socketsPerAddress: number;
  /** Client events (any, reads included) one socket may send at once, then a minute; 0: off. */
  socketEventsBurst: number;
  socketEventsPerMinute: number;
  /** Per visitor: messages at once, then per minute (0: no limit). */
  visitorMessageBurst: number;
  visitorMessagesPerMinute: number;
  loginWindowMinutes: number;
  agentOfflineGraceSeconds: number;
  /** Which proxies' `X-Forwarded-For` entries count: none (false), the last N hops, or the
   * proxies at these addresses/CIDRs. Never "any": a client could name its own address. */
  trustProxy: false | number | string[];
  /** The PATH to look for ffmpeg and ffprobe on. */
  searchPath: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Outside production (NODE_ENV), a query on the outer database handle inside an open write
   * throws at once instead of waiting (db/writeScope.ts). */
  writeChecks: boolean;
  /** `pretty`: short human-readable lines, no per-request lines (a terminal); `json`: one JSON
   * object per line with every request (production, log collectors). `auto` decides by whether
   * standard output is a terminal. */
  logFormat: 'auto' | 'pretty' | 'json';
  /** `npm run demo`: a demo channel, agents and visitors, and the /demo/ host page. */
  demo: boolean;
  /** WEBHOOK_ALLOW_PRIVATE: webhooks may reach private, loopback and link-local addresses. */
  webhookAllowPrivate: boolean;
  /** Outgoing mail (replies to left messages, transcripts); undefined: no mail is sent. */
  mail: MailConfig | undefined;
  /** How long a reply to a left message waits before its mail goes, gathering the agent's
   * further messages into the same mail (MAIL_REPLY_DELAY_SECONDS). */
  mailReplyDelaySeconds: number;
  /** The IANA zone whose local days reports count in (REPORT_TIME_ZONE). */
  reportTimeZone: string;
  /** Prometheus metrics; undefined (neither METRICS_TOKEN nor METRICS_PORT): not collected,
   * and `/metrics` answers 404. */
  metrics: MetricsConfig | undefined;
  /** The robot's language model (LLM_BASE_URL with LLM_MODEL); undefined: none, and nothing
   * calls out. */
  llm: LlmConfig | undefined;
}

/** An OpenAI-compatible chat-completions endpoint (Ollama, vLLM, llama.cpp's server). */
export interface LlmConfig {
  /** Without a trailing slash: `{baseUrl}/chat/completions` is called. */
  baseUrl: string;
  model: string;
  /** Sent as `Authorization: Bearer`; never logged. */
  apiKey: string | undefined;
  /** The whole answer, from the request to its last word. */
  timeoutMs: number;
  /** From the request to the first word of the answer. */
  firstTokenTimeoutMs: number;
  /** Calls in flight on this node; one more is refused at once (`busy`), never queued. */
  concurrency: number;
  maxTokens: number;
}

/**
 * Where `/metrics` is served. `port` set: on that port only (never on the main one), asking for
 * the token too when one is set; otherwise on the main port, behind `Authorization: Bearer
 * <token>`.
 */
export interface MetricsConfig {
  token: string | undefined;
  port: number | undefined;
}

export interface MailConfig {
  /** `smtp://user:pass@host:587` or `smtps://...:465` (nodemailer's connection URL). */
  smtpUrl: string;
  /** The From header: `Support <support@example.com>` or a bare address. */
  from: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

const optionalText = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

function integer(min: number, max: number) {
  return z
    .string()
    .trim()
    .regex(/^\d+$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
}

const booleanFlag = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['1', '0', 'true', 'false', 'yes', 'no'].includes(v), 'must be true or false')
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

/**
 * `false`, a number of proxy hops (`1` for one nginx in front), or a comma list of the proxies'
 * addresses or CIDRs. `true` is refused: it would trust whatever a client puts in the header.
 */
const proxyAddress = (value: string): boolean => {
  const [address = '', bits, ...rest] = value.split('/');
  return (
    rest.length === 0 &&
    net.isIP(address) !== 0 &&
    (bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= 128))
  );
};
const trustProxy = z
  .string()
  .trim()
  .transform((v, ctx): false | number | string[] => {
    const lower = v.toLowerCase();
    if (['false', 'no', '0', 'off'].includes(lower)) return false;
    if (['true', 'yes', 'on'].includes(lower)) {
      ctx.addIssue({
        code: 'custom',
        message:
          'must not be true (any client could then name its own address): give the number of proxies in front, such as 1, or their addresses',
      });
      return z.NEVER;
    }
    if (/^\d+$/.test(v)) {
      const hops = Number(v);
      if (hops >= 1 && hops <= 10) return hops;
    }
    const list = v.split(',').map((a) => a.trim());
    if (list.length > 0 && list.every(proxyAddress)) return list;
    ctx.addIssue({
      code: 'custom',
      message:
        'must be false, a number of proxies from 1 to 10, or their addresses (comma separated)',
    });
    return z.NEVER;
  });

const httpUrl = z
  .string()
  .trim()
  .refine((v) => {
    try {
      const u = new URL(v);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  }, 'must be an http:// or https:// URL')
  .transform((v) => v.replace(/\/+$/, ''));

const redisUrl = z
  .string()
  .trim()
  .refine((v) => /^rediss?:\/\/.+/.test(v), 'must be a redis:// or rediss:// URL');

const databaseUrl = z
  .string()
  .trim()
  .refine(
    (v) => /^sqlite:.+/.test(v) || /^postgres(ql)?:\/\/.+/.test(v),
    'must be sqlite:<file path> or a postgres:// URL',
  );

const adminUsername = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_.-]{2,32}$/, 'must be 2 to 32 letters, digits, "_", "." or "-"')
  .transform((v) => v.toLowerCase());

const smtpUrl = z
  .string()
  .trim()
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === 'smtp:' || u.protocol === 'smtps:') && u.hostname !== '';
    } catch {
      return false;
    }
  }, 'must be an smtp:// or smtps:// URL, such as smtp://user:pass@mail.example.com:587');

/** `Name <address>` or a bare address. */
const mailFrom = z
  .string()
  .trim()
  .max(320)
  .refine(
    (v) => /^(?:[^<>\r\n]*<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/.test(v),
    'must be an address, or a name and an address: Support <support@example.com>',
  );

const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** Each variable: its schema and default (as the string a user would write). */
/** An IANA time zone name that this Node.js knows (full ICU). */
const timeZone = z
  .string()
  .trim()
  .refine((zone) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  }, 'must be an IANA time zone such as Asia/Shanghai or UTC');

const variables = {
  PORT: { schema: integer(1, 65535), default: '3000' },
  HOST: { schema: z.string().trim().min(1, 'must not be empty'), default: '0.0.0.0' },
  PUBLIC_URL: { schema: httpUrl.optional(), default: undefined },
  DATA_DIR: { schema: z.string().trim().min(1, 'must not be empty'), default: './data' },
  DATABASE_URL: { schema: databaseUrl.optional(), default: undefined },
  REDIS_URL: { schema: redisUrl.optional(), default: undefined },
  REDIS_PREFIX: {
    schema: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1 to 64 letters, digits, "_", ".", ":" or "-"'),
    default: 'servicesystem',
  },
  S3_ENDPOINT: { schema: httpUrl.optional(), default: undefined },
  S3_BUCKET: { schema: optionalText, default: undefined },
  S3_REGION: { schema: z.string().trim().min(1), default: 'us-east-1' },
  S3_ACCESS_KEY_ID: { schema: optionalText, default: undefined },
  S3_SECRET_ACCESS_KEY: { schema: optionalText, default: undefined },
  S3_FORCE_PATH_STYLE: { schema: booleanFlag, default: 'true' },
  FFMPEG_PATH: { schema: optionalText, default: undefined },
  FFPROBE_PATH: { schema: optionalText, default: undefined },
  ADMIN_USERNAME: { schema: adminUsername, default: 'admin' },
  ADMIN_PASSWORD: {
    schema: z.string().min(8, 'must be at least 8 characters').max(256).optional(),
    default: undefined,
  },
  MAX_UPLOAD_MB: { schema: integer(1, 2048), default: '20' },
  MAX_VIDEO_SECONDS: { schema: integer(1, 86400), default: '600' },
  MAX_IMAGE_MEGAPIXELS: { schema: integer(1, 1000), default: '50' },
  MEDIA_CONCURRENCY: { schema: integer(1, 256), default: String(os.availableParallelism()) },
  MEDIA_QUEUE_LENGTH: { schema: integer(0, 10000), default: '16' },
  VISITOR_UPLOADS_PER_10_MINUTES: { schema: integer(0, 100000), default: '20' },
  VISITOR_UPLOAD_MB_PER_DAY: { schema: integer(0, 1000000), default: '200' },
  SESSION_IDLE_DAYS: { schema: integer(1, 365), default: '7' },
  LOGIN_MAX_FAILURES: { schema: integer(1, 10000), default: '10' },
  LOGIN_MAX_FAILURES_PER_ADDRESS: { schema: integer(1, 100000), default: '30' },
  VISITOR_SESSIONS_PER_ADDRESS_PER_MINUTE: { schema: integer(0, 1000000), default: '120' },
  CONVERSATIONS_PER_ADDRESS_PER_MINUTE: { schema: integer(0, 1000000), default: '60' },
  SOCKETS_PER_ADDRESS: { schema: integer(0, 1000000), default: '1000' },
  SOCKET_EVENTS_BURST: { schema: integer(1, 100000), default: '60' },
  SOCKET_EVENTS_PER_MINUTE: { schema: integer(0, 1000000), default: '600' },
  LOGIN_WINDOW_MINUTES: { schema: integer(1, 1440), default: '15' },
  VISITOR_MESSAGE_BURST: { schema: integer(1, 10000), default: '20' },
  VISITOR_MESSAGES_PER_MINUTE: { schema: integer(0, 100000), default: '60' },
  AGENT_OFFLINE_GRACE_SECONDS: { schema: integer(0, 3600), default: '30' },
  TRUST_PROXY: { schema: trustProxy, default: 'false' },
  LOG_LEVEL: { schema: logLevel, default: 'info' },
  LOG_FORMAT: { schema: z.enum(['auto', 'pretty', 'json']), default: 'auto' },
  DEMO: { schema: booleanFlag, default: 'false' },
  SMTP_URL: { schema: smtpUrl.optional(), default: undefined },
  MAIL_FROM: { schema: mailFrom.optional(), default: undefined },
  MAIL_REPLY_DELAY_SECONDS: { schema: integer(0, 86400), default: '60' },
  // The server's own zone unless set.
  REPORT_TIME_ZONE: {
    schema: timeZone,
    default: Intl.DateTimeFormat().resolvedOptions().timeZone as string | undefined,
  },
  NODE_ENV: { schema: optionalText, default: undefined },
  METRICS_TOKEN: {
    schema: z
      .string()
      .trim()
      .regex(/^[\x21-\x7e]{16,256}$/, 'must be 16 to 256 visible characters, without spaces')
      .optional(),
    default: undefined,
  },
  METRICS_PORT: { schema: integer(1, 65535).optional(), default: undefined },
  WEBHOOK_ALLOW_PRIVATE: { schema: booleanFlag, default: 'false' },
  LLM_BASE_URL: { schema: httpUrl.optional(), default: undefined },
  LLM_MODEL: {
    schema: z.string().trim().min(1).max(200, 'must be at most 200 characters').optional(),
    default: undefined,
  },
  LLM_API_KEY: { schema: optionalText, default: undefined },
  LLM_TIMEOUT_MS: { schema: integer(1000, 600_000), default: '30000' },
  LLM_FIRST_TOKEN_TIMEOUT_MS: { schema: integer(500, 600_000), default: '10000' },
  LLM_CONCURRENCY: { schema: integer(1, 1000), default: '4' },
  LLM_MAX_TOKENS: { schema: integer(16, 32_768), default: '512' },
} as const;

/** Every environment variable the server reads (deployment files are checked against it). */
export const configVariableNames: readonly string[] = Object.keys(variables);

type VariableName = keyof typeof variables;
type Parsed = { [K in VariableName]: z.output<(typeof variables)[K]['schema']> };

function describe(value: string): string {
  const shown = value.length > 40 ? `${value.slice(0, 40)}...` : value;
  return JSON.stringify(shown);
}

/**
 * Reads every setting from `env`. Throws ConfigError whose message is one line naming each bad
 * variable, for example: `PORT must be a whole number from 1 to 65535 (got "abc")`.
 */
export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const parsed: Partial<Record<VariableName, unknown>> = {};
  for (const [name, spec] of Object.entries(variables) as [
    VariableName,
    (typeof variables)[VariableName],
  ][]) {
    const raw = env[name];
    const input = raw === undefined || raw === '' ? spec.default : raw;
    if (input === undefined) {
      parsed[name] = undefined;
      continue;
    }
    const result = (spec.schema as z.ZodType).safeParse(input);
    if (result.success) {
      parsed[name] = result.data;
    } else {
      const message = result.error.issues[0]?.message ?? 'is not valid';
      const secret =
        name.includes('PASSWORD') ||
        name.includes('SECRET') ||
        name.includes('TOKEN') ||
        name.includes('KEY') ||
        name === 'SMTP_URL';
      problems.push(`${name} ${message}${secret ? '' : ` (got ${describe(input)})`}`);
    }
  }
  const p = parsed as Parsed;

  if (problems.length === 0 && p.S3_BUCKET === undefined) {
    for (const name of ['S3_ENDPOINT', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'] as const) {
      if (p[name] !== undefined) problems.push(`${name} is set but S3_BUCKET is not`);
    }
  }
  if (problems.length === 0 && p.DEMO && p.DATABASE_URL !== undefined) {
    problems.push(
      'DEMO is set with DATABASE_URL: the demo writes sample agents and a channel, so it keeps its own SQLite database (unset DATABASE_URL)',
    );
  }
  if (problems.length === 0 && (p.SMTP_URL === undefined) !== (p.MAIL_FROM === undefined)) {
    problems.push(
      p.SMTP_URL === undefined
        ? 'MAIL_FROM is set but SMTP_URL is not'
        : 'SMTP_URL is set but MAIL_FROM is not (the address mails come from)',
    );
  }
  if (problems.length === 0 && p.METRICS_PORT !== undefined && p.METRICS_PORT === p.PORT) {
    problems.push('METRICS_PORT must differ from PORT (metrics get a port of their own)');
  }
  if (problems.length === 0 && (p.LLM_BASE_URL === undefined) !== (p.LLM_MODEL === undefined)) {
    problems.push(
      p.LLM_BASE_URL === undefined
        ? 'LLM_MODEL is set but LLM_BASE_URL is not (the OpenAI-compatible endpoint, such as http://127.0.0.1:11434/v1)'
        : 'LLM_BASE_URL is set but LLM_MODEL is not (the model to ask, such as qwen2.5:7b-instruct)',
    );
  }
  if (problems.length === 0 && p.LLM_BASE_URL === undefined && p.LLM_API_KEY !== undefined) {
    problems.push('LLM_API_KEY is set but LLM_BASE_URL is not');
  }
  if (problems.length > 0) {
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }

  // The demo keeps its own data, so trying it leaves nothing in a real install's database.
  const dataDir = path.resolve(
    p.DEMO && (env.DATA_DIR === undefined || env.DATA_DIR === '') ? './data-demo' : p.DATA_DIR,
  );
  const databaseUrlValue = p.DATABASE_URL;
  let database: DatabaseConfig;
  if (databaseUrlValue === undefined) {
    database = { engine: 'sqlite', file: path.join(dataDir, 'servicesystem.db') };
  } else if (databaseUrlValue.startsWith('sqlite:')) {
    database = { engine: 'sqlite', file: path.resolve(databaseUrlValue.slice('sqlite:'.length)) };
  } else {
    database = { engine: 'postgres', url: databaseUrlValue };
  }

  const s3: S3Config | undefined =
    p.S3_BUCKET === undefined
      ? undefined
      : {
          endpoint: p.S3_ENDPOINT,
          bucket: p.S3_BUCKET,
          region: p.S3_REGION,
          accessKeyId: p.S3_ACCESS_KEY_ID,
          secretAccessKey: p.S3_SECRET_ACCESS_KEY,
          forcePathStyle: p.S3_FORCE_PATH_STYLE,
        };

  const localHost = p.HOST === '0.0.0.0' || p.HOST === '::' ? 'localhost' : p.HOST;
  return {
    port: p.PORT,
    host: p.HOST,
    publicUrl: p.PUBLIC_URL ?? `http://${localHost}:${p.PORT}`,
    dataDir,
    database,
    redisUrl: p.REDIS_URL,
    redisPrefix: p.REDIS_PREFIX,
    s3,
    ffmpegPath: p.FFMPEG_PATH,
    ffprobePath: p.FFPROBE_PATH,
    adminUsername: p.ADMIN_USERNAME,
    adminPassword: p.ADMIN_PASSWORD,
    maxUploadMb: p.MAX_UPLOAD_MB,
    maxVideoSeconds: p.MAX_VIDEO_SECONDS,
    maxImageMegapixels: p.MAX_IMAGE_MEGAPIXELS,
    mediaConcurrency: p.MEDIA_CONCURRENCY,
    mediaQueueLength: p.MEDIA_QUEUE_LENGTH,
    visitorUploadsPer10Minutes: p.VISITOR_UPLOADS_PER_10_MINUTES,
    visitorUploadMbPerDay: p.VISITOR_UPLOAD_MB_PER_DAY,
    sessionIdleDays: p.SESSION_IDLE_DAYS,
    loginMaxFailures: p.LOGIN_MAX_FAILURES,
    loginMaxFailuresPerAddress: p.LOGIN_MAX_FAILURES_PER_ADDRESS,
    visitorSessionsPerAddressPerMinute: p.VISITOR_SESSIONS_PER_ADDRESS_PER_MINUTE,
    conversationsPerAddressPerMinute: p.CONVERSATIONS_PER_ADDRESS_PER_MINUTE,
    socketsPerAddress: p.SOCKETS_PER_ADDRESS,
    socketEventsBurst: p.SOCKET_EVENTS_BURST,
    socketEventsPerMinute: p.SOCKET_EVENTS_PER_MINUTE,
    visitorMessageBurst: p.VISITOR_MESSAGE_BURST,
    visitorMessagesPerMinute: p.VISITOR_MESSAGES_PER_MINUTE,
    loginWindowMinutes: p.LOGIN_WINDOW_MINUTES,
    agentOfflineGraceSeconds: p.AGENT_OFFLINE_GRACE_SECONDS,
    trustProxy: p.TRUST_PROXY,
    searchPath: env.PATH ?? '',
    logLevel: p.LOG_LEVEL,
    writeChecks: p.NODE_ENV !== 'production',
    logFormat: p.LOG_FORMAT,
    demo: p.DEMO,
    webhookAllowPrivate: p.WEBHOOK_ALLOW_PRIVATE,
    mail:
      p.SMTP_URL !== undefined && p.MAIL_FROM !== undefined
        ? { smtpUrl: p.SMTP_URL, from: p.MAIL_FROM }
        : undefined,
    mailReplyDelaySeconds: p.MAIL_REPLY_DELAY_SECONDS,
    // Canonical spelling (asia/shanghai is accepted, Asia/Shanghai is stored).
    reportTimeZone: new Intl.DateTimeFormat('en-US', {
      timeZone: p.REPORT_TIME_ZONE ?? 'UTC',
    }).resolvedOptions().timeZone,
    metrics:
      p.METRICS_TOKEN === undefined && p.METRICS_PORT === undefined
        ? undefined
        : { token: p.METRICS_TOKEN, port: p.METRICS_PORT },
    llm:
      p.LLM_BASE_URL !== undefined && p.LLM_MODEL !== undefined
        ? {
            baseUrl: p.LLM_BASE_URL,
            model: p.LLM_MODEL,
            apiKey: p.LLM_API_KEY,
            timeoutMs: p.LLM_TIMEOUT_MS,
            // A first word later than the whole answer's limit would never be waited for.
            firstTokenTimeoutMs: Math.min(p.LLM_FIRST_TOKEN_TIMEOUT_MS, p.LLM_TIMEOUT_MS),
            concurrency: p.LLM_CONCURRENCY,
            maxTokens: p.LLM_MAX_TOKENS,
          }
        : undefined,
  };
}
