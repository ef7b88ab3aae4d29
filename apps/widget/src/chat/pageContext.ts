/**
 * Where the visitor is, for the agents: the website's page (from embed.js), or, on the chat page
 * by itself, the `page=` the linking site passed, with the browser's language and time zone.
 * Cleaned to what the server takes (http(s) URLs of at most 2048 characters, titles cut to 300),
 * sent only when it changed, at most once a second, and again after every (re)connection and
 * when the tab is shown again.
 */
import {
  pageTitleMaxLength,
  type HostPage,
  type VisitorContextReport,
} from '@servicesystem/protocol/wire';

/** The fewest milliseconds between two reports: a burst of page changes sends its last one. */
const reportIntervalMs = 1000;

function httpUrl(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 2048) return undefined;
  try {
    const { protocol } = new URL(value);
    return protocol === 'https:' || protocol === 'http:' ? value : undefined;
  } catch {
    return undefined;
  }
}

const matching = (value: unknown, pattern: RegExp, max: number) =>
  typeof value === 'string' && value.length <= max && pattern.test(value) ? value : undefined;

/** What the server would take of a page report; the rest is left out. */
export function cleanReport(page: Partial<Record<keyof HostPage, unknown>>): VisitorContextReport {
  const report: VisitorContextReport = {};
  const url = httpUrl(page.url);
  if (url) {
    report.url = url;
    // eslint-disable-next-line no-control-regex -- control characters are dropped server-side
    const title = typeof page.title === 'string' ? page.title.replace(/[\u0000-\u001f]/g, ' ') : '';
    report.title = title.slice(0, pageTitleMaxLength);
  }
  const referrer = httpUrl(page.referrer);
  if (referrer) report.referrer = referrer;
  const language = matching(page.language, /^[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*$/, 35);
  if (language) report.language = language;
  const timeZone = matching(page.timeZone, /^[A-Za-z0-9_+\-/]+$/, 64);
  if (timeZone) report.timeZone = timeZone;
  return report;
}

/** This browser's own part: language and time zone; on the chat page alone, `page=` too. */
export function ownPage(params: URLSearchParams, embedded: boolean): VisitorContextReport {
  let timeZone: string | undefined;
  try {
    timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch {
    // an old browser: no time zone
  }
  return cleanReport({
    language: navigator.language,
    timeZone,
    ...(embedded ? {} : { url: params.get('page'), referrer: document.referrer }),
  });
}

export interface ContextReporter {
  /** A new report from the website (or the page's own at the start). */
  update(report: VisitorContextReport): void;
  /**
   * The server hears the latest report again: a connection is up (the first, or again), or this
   * tab is shown again (with the website open in two tabs, the one the visitor looks at is the
   * page they are on).
   */
  resend(): void;
}

export function createContextReporter(
  send: (report: VisitorContextReport) => Promise<void>,
  canSend: () => boolean,
): ContextReporter {
  let latest: VisitorContextReport = {};
  /** What this connection's server has (or was refused); '' after a (re)connection. */
  let sent = '';
  let lastSentAt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  function flush() {
    timer = undefined;
    const key = JSON.stringify(latest);
    if (key === '{}' || key === sent || !canSend()) return;
    const wait = lastSentAt + reportIntervalMs - Date.now();
    if (wait > 0) {
      timer = setTimeout(flush, wait);
      return;
    }
    sent = key;
    lastSentAt = Date.now();
    send(latest).catch(() => {
      // Not answered, or too many events just now: once more a moment later, or on the next
      // connection.
      if (sent !== key) return;
      sent = '';
      timer ??= setTimeout(flush, 5 * reportIntervalMs);
    });
  }
  const schedule = () => {
    if (timer === undefined) timer = setTimeout(flush, 0);
  };

  return {
    update(report) {
      latest = { ...latest, ...report };
      // A page without a URL in the report keeps no title of the one before.
      if (report.url !== undefined && report.title === undefined) delete latest.title;
      schedule();
    },
    resend() {
      sent = '';
      schedule();
    },
  };
}
