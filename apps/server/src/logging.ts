import { Writable } from 'node:stream';

/**
 * Logs on a terminal: one short line per entry, `13:14:05 WARN  message  key=value`, instead of
 * pino's JSON, and no line per request unless it went wrong. Production (not a terminal, or LOG_FORMAT=json) keeps JSON lines for collectors.
 */
const levels: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
};

/** Fields pino adds to every line, or that the line's head shows already. */
const skipped = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'reqId']);

function field(value: unknown): string {
  if (typeof value === 'string') return /\s/.test(value) ? JSON.stringify(value) : value;
  return JSON.stringify(value);
}

/**
 * One JSON log line as a human reads it (lines that are not JSON pass through); null for a
 * request's own lines below warning level, which would drown everything else on a terminal.
 */
export function prettyLine(line: string): string | null {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (('req' in entry || 'res' in entry) && Number(entry.level) < 40) return null;
  const time = new Date(typeof entry.time === 'number' ? entry.time : Date.now());
  const clock = time.toTimeString().slice(0, 8);
  const level = levels[Number(entry.level)] ?? 'INFO ';
  const parts = [`${clock} ${level} ${typeof entry.msg === 'string' ? entry.msg : ''}`];
  let stack: string | undefined;
  for (const [key, value] of Object.entries(entry)) {
    if (skipped.has(key) || value === undefined) continue;
    if (key === 'err' && value && typeof value === 'object') {
      const err = value as { message?: string; stack?: string };
      parts.push(`err=${field(err.message ?? '')}`);
      stack = err.stack;
      continue;
    }
    parts.push(`${key}=${field(value)}`);
  }
  return parts.join('  ') + (stack ? `\n${stack}` : '');
}

/** A stream for pino that writes pretty lines to `out`. */
export function prettyStream(out: NodeJS.WritableStream = process.stdout): Writable {
  let rest = '';
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      const text = rest + chunk.toString('utf8');
      const lines = text.split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        const pretty = line ? prettyLine(line) : null;
        if (pretty !== null) out.write(pretty + '\n');
      }
      done();
    },
  });
}

/** Query parameters that carry credentials: a host app's signed identity, tokens. */
const secretParameters = /([?&](?:identity|token|visitorToken|access_token|sig)=)[^&#]*/gi;

/** A request's URL as it may be logged: credentials in its query replaced by "[redacted]". */
export function redactUrl(url: string): string {
  return url.replace(secretParameters, '$1[redacted]');
}

/**
 * What a log line says about a request: Fastify's usual fields, with the URL redacted (a visitor
 * page opened as /chat/?identity=… must not leave a host app's signed identity in the logs).
 */
export const logSerializers = {
  req(request: {
    method: string;
    url: string;
    host?: string;
    ip?: string;
    socket?: { remotePort?: number };
  }) {
    return {
      method: request.method,
      url: redactUrl(request.url),
      host: request.host,
      remoteAddress: request.ip,
      remotePort: request.socket?.remotePort,
    };
  },
};
