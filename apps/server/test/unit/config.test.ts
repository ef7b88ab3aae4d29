import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('loadConfig', () => {
  it('gives the embedded defaults with an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      host: '0.0.0.0',
      publicUrl: 'http://localhost:3000',
      dataDir: path.resolve('data'),
      database: { engine: 'sqlite', file: path.resolve('data', 'servicesystem.db') },
      redisUrl: undefined,
      s3: undefined,
      adminUsername: 'admin',
      adminPassword: undefined,
      maxUploadMb: 20,
      sessionIdleDays: 7,
      loginMaxFailures: 10,
      loginWindowMinutes: 15,
      trustProxy: false,
      logFormat: 'auto',
      demo: false,
      webhookAllowPrivate: false,
    });
  });

  it('lets webhooks reach private addresses only when WEBHOOK_ALLOW_PRIVATE is set', () => {
    expect(loadConfig({ WEBHOOK_ALLOW_PRIVATE: '1' }).webhookAllowPrivate).toBe(true);
    expect(loadConfig({ WEBHOOK_ALLOW_PRIVATE: '0' }).webhookAllowPrivate).toBe(false);
    expect(() => loadConfig({ WEBHOOK_ALLOW_PRIVATE: 'maybe' })).toThrow(/WEBHOOK_ALLOW_PRIVATE/);
  });

  it('demo mode keeps its own data, and never writes into a database named for real use', () => {
    expect(loadConfig({ DEMO: '1' })).toMatchObject({
      demo: true,
      dataDir: path.resolve('data-demo'),
      database: { engine: 'sqlite', file: path.resolve('data-demo', 'servicesystem.db') },
    });
    expect(loadConfig({ DEMO: 'true', DATA_DIR: '/tmp/my-demo' }).dataDir).toBe('/tmp/my-demo');
    expect(() => loadConfig({ DEMO: '1', DATABASE_URL: 'postgres://db/prod' })).toThrow(
      /DEMO is set with DATABASE_URL/,
    );
  });

  it('trusts the proxies named, never any', () => {
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '127.0.0.1, 10.0.0.0/8,::1' }).trustProxy).toEqual([
      '127.0.0.1',
      '10.0.0.0/8',
      '::1',
    ]);
  });

  it('reads the log format', () => {
    expect(loadConfig({ LOG_FORMAT: 'json' }).logFormat).toBe('json');
    expect(loadConfig({ LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty');
    expect(() => loadConfig({ LOG_FORMAT: 'xml' })).toThrow(/LOG_FORMAT/);
  });

  it('reads the reports time zone: by default the server zone, checked, spelled canonically', () => {
    expect(loadConfig({}).reportTimeZone).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
    expect(loadConfig({ REPORT_TIME_ZONE: 'Asia/Shanghai' }).reportTimeZone).toBe('Asia/Shanghai');
    expect(loadConfig({ REPORT_TIME_ZONE: 'asia/shanghai' }).reportTimeZone).toBe('Asia/Shanghai');
    expect(() => loadConfig({ REPORT_TIME_ZONE: 'Mars/Olympus' })).toThrow(
      /REPORT_TIME_ZONE must be an IANA time zone .*\(got "Mars\/Olympus"\)/,
    );
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '127.0.0.1',
      PUBLIC_URL: 'https://chat.example.com/',
      DATA_DIR: '/srv/ss',
      DATABASE_URL: 'postgres://u:p@db:5432/ss',
      REDIS_URL: 'redis://cache:6379',
      S3_ENDPOINT: 'http://minio:9000',
      S3_BUCKET: 'chat',
      S3_REGION: 'eu-west-1',
      S3_ACCESS_KEY_ID: 'key',
      S3_SECRET_ACCESS_KEY: 'secret',
      FFMPEG_PATH: '/usr/bin/ffmpeg',
      FFPROBE_PATH: '/usr/bin/ffprobe',
      ADMIN_USERNAME: 'Root',
      ADMIN_PASSWORD: 'long-enough',
      MAX_UPLOAD_MB: '50',
      SESSION_IDLE_DAYS: '30',
      TRUST_PROXY: '1',
      LOG_LEVEL: 'warn',
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      publicUrl: 'https://chat.example.com',
      dataDir: '/srv/ss',
      database: { engine: 'postgres', url: 'postgres://u:p@db:5432/ss' },
      redisUrl: 'redis://cache:6379',
      s3: {
        endpoint: 'http://minio:9000',
        bucket: 'chat',
        region: 'eu-west-1',
        accessKeyId: 'key',
        secretAccessKey: 'secret',
        forcePathStyle: true,
      },
      ffmpegPath: '/usr/bin/ffmpeg',
      adminUsername: 'root',
      adminPassword: 'long-enough',
      maxUploadMb: 50,
      sessionIdleDays: 30,
      trustProxy: 1,
      logLevel: 'warn',
    });
    expect(loadConfig({ DATABASE_URL: 'sqlite:/tmp/x.db' }).database).toEqual({
      engine: 'sqlite',
      file: '/tmp/x.db',
    });
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT must be a whole number from 1 to 65535 (got "abc")'],
    [{ PORT: '70000' }, 'PORT must be at most 65535 (got "70000")'],
    [
      { DATABASE_URL: 'mysql://x' },
      'DATABASE_URL must be sqlite:<file path> or a postgres:// URL (got "mysql://x")',
    ],
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL must be a redis:// or rediss:// URL'],
    [{ PUBLIC_URL: 'ftp://x' }, 'PUBLIC_URL must be an http:// or https:// URL'],
    [{ MAX_UPLOAD_MB: '0' }, 'MAX_UPLOAD_MB must be at least 1'],
    [{ TRUST_PROXY: 'maybe' }, 'TRUST_PROXY must be false, a number of proxies'],
    [{ TRUST_PROXY: 'true' }, 'TRUST_PROXY must not be true'],
    [{ TRUST_PROXY: '11' }, 'TRUST_PROXY must be false, a number of proxies'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ ADMIN_USERNAME: 'a b' }, 'ADMIN_USERNAME must be 2 to 32 letters'],
    [{ S3_ENDPOINT: 'http://minio:9000' }, 'S3_ENDPOINT is set but S3_BUCKET is not'],
  ])('refuses %o with a line naming the variable', (env, expected) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    try {
      loadConfig(env);
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain(expected);
      expect(message).not.toContain('\n');
    }
  });

  it('never repeats a secret in its error', () => {
    expect(() => loadConfig({ ADMIN_PASSWORD: 'short' })).toThrow(
      /^Invalid configuration: ADMIN_PASSWORD must be at least 8 characters$/,
    );
  });

  it('reads the mail settings: both or neither, never repeating the SMTP password', () => {
    expect(loadConfig({}).mail).toBeUndefined();
    expect(loadConfig({}).mailReplyDelaySeconds).toBe(60);
    const config = loadConfig({
      SMTP_URL: 'smtps://user:pw@mail.example.com:465',
      MAIL_FROM: 'Shop Support <support@shop.example>',
      MAIL_REPLY_DELAY_SECONDS: '0',
    });
    expect(config.mail).toEqual({
      smtpUrl: 'smtps://user:pw@mail.example.com:465',
      from: 'Shop Support <support@shop.example>',
    });
    expect(config.mailReplyDelaySeconds).toBe(0);
    expect(() => loadConfig({ SMTP_URL: 'smtp://mail.example.com' })).toThrow(
      /SMTP_URL is set but MAIL_FROM is not/,
    );
    expect(() => loadConfig({ MAIL_FROM: 'a@example.com' })).toThrow(
      /MAIL_FROM is set but SMTP_URL is not/,
    );
    expect(() => loadConfig({ MAIL_FROM: 'nobody', SMTP_URL: 'smtp://m.example' })).toThrow(
      /MAIL_FROM must be an address/,
    );
    let message = '';
    try {
      loadConfig({ SMTP_URL: 'http://user:secret-pw@mail.example.com', MAIL_FROM: 'a@b.example' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^Invalid configuration: SMTP_URL must be an smtp:\/\//);
    expect(message).not.toContain('secret-pw');
  });

  it('reads the metrics settings: off by default, a token, a port of their own', () => {
    expect(loadConfig({}).metrics).toBeUndefined();
    const token = 'scrape-me-0123456789';
    expect(loadConfig({ METRICS_TOKEN: token }).metrics).toEqual({ token, port: undefined });
    expect(loadConfig({ METRICS_PORT: '9464' }).metrics).toEqual({ token: undefined, port: 9464 });
    expect(loadConfig({ METRICS_PORT: '9464', METRICS_TOKEN: token }).metrics).toEqual({
      token,
      port: 9464,
    });
    expect(() => loadConfig({ METRICS_PORT: '3000' })).toThrow(
      /METRICS_PORT must differ from PORT/,
    );
    expect(() => loadConfig({ METRICS_PORT: '0' })).toThrow(/METRICS_PORT must be at least 1/);
    // A short token, or one with spaces, is refused without being repeated.
    for (const bad of ['short-secret', 'has spaces in it 0123456789']) {
      let message = '';
      try {
        loadConfig({ METRICS_TOKEN: bad });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toBe(
        'Invalid configuration: METRICS_TOKEN must be 16 to 256 visible characters, without spaces',
      );
    }
  });

  it('reads the language model settings: off without LLM_BASE_URL, both or neither', () => {
    expect(loadConfig({}).llm).toBeUndefined();
    expect(
      loadConfig({ LLM_BASE_URL: 'http://127.0.0.1:11434/v1/', LLM_MODEL: ' qwen2.5:7b-instruct ' })
        .llm,
    ).toEqual({
      baseUrl: 'http://127.0.0.1:11434/v1',
      model: 'qwen2.5:7b-instruct',
      apiKey: undefined,
      timeoutMs: 30_000,
      firstTokenTimeoutMs: 10_000,
      concurrency: 4,
      maxTokens: 512,
    });
    expect(
      loadConfig({
        LLM_BASE_URL: 'https://llm.internal/v1',
        LLM_MODEL: 'Qwen/Qwen2.5-7B-Instruct',
        LLM_API_KEY: 'sk-local',
        LLM_TIMEOUT_MS: '5000',
        // Never longer than the whole answer's limit.
        LLM_FIRST_TOKEN_TIMEOUT_MS: '8000',
        LLM_CONCURRENCY: '16',
        LLM_MAX_TOKENS: '256',
      }).llm,
    ).toEqual({
      baseUrl: 'https://llm.internal/v1',
      model: 'Qwen/Qwen2.5-7B-Instruct',
      apiKey: 'sk-local',
      timeoutMs: 5000,
      firstTokenTimeoutMs: 5000,
      concurrency: 16,
      maxTokens: 256,
    });
  });

  it.each([
    [
      { LLM_BASE_URL: 'localhost:11434', LLM_MODEL: 'm' },
      'LLM_BASE_URL must be an http:// or https:// URL',
    ],
    [{ LLM_BASE_URL: 'ftp://models.local/v1', LLM_MODEL: 'm' }, 'LLM_BASE_URL must be an http://'],
    [{ LLM_BASE_URL: 'http://127.0.0.1:11434/v1' }, 'LLM_BASE_URL is set but LLM_MODEL is not'],
    [{ LLM_MODEL: 'qwen2.5:7b-instruct' }, 'LLM_MODEL is set but LLM_BASE_URL is not'],
    [{ LLM_API_KEY: 'sk-1' }, 'LLM_API_KEY is set but LLM_BASE_URL is not'],
    [{ LLM_TIMEOUT_MS: '10' }, 'LLM_TIMEOUT_MS must be at least 1000'],
    [{ LLM_CONCURRENCY: '0' }, 'LLM_CONCURRENCY must be at least 1'],
    [{ LLM_MAX_TOKENS: 'lots' }, 'LLM_MAX_TOKENS must be a whole number'],
  ])('refuses the language model settings %o', (env, expected) => {
    expect(() => loadConfig(env)).toThrow(expected);
  });

  it('names every bad variable on the one line', () => {
    expect(() => loadConfig({ PORT: 'abc', DATABASE_URL: 'mysql://x' })).toThrow(
      /PORT must .*; DATABASE_URL must/,
    );
  });
});
