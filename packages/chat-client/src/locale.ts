import type { Locale } from '@servicesystem/protocol/wire';

export type { Locale };

export const locales: readonly Locale[] = ['zh-CN', 'en'];

/** The first of the browser's languages that we speak (`zh*` → zh-CN, `en*` → en); else en. */
export function localeFromLanguages(languages: readonly string[]): Locale {
  for (const language of languages) {
    const lower = language.toLowerCase();
    if (lower.startsWith('zh')) return 'zh-CN';
    if (lower.startsWith('en')) return 'en';
  }
  return 'en';
}

/** A value that names one of our languages (a saved choice, `data-locale`), else null. */
export function parseLocale(value: string | null | undefined): Locale | null {
  if (!value) return null;
  const lower = value.toLowerCase();
  if (lower.startsWith('zh')) return 'zh-CN';
  if (lower.startsWith('en')) return 'en';
  return null;
}

/**
 * The language a visitor reads, as the page reports it (the robot greets and answers in it):
 * the browser's when it names the page's language (`en-GB`, `zh-TW` say more), else the page's
 * own. A visitor with a French browser reading the English page reads English.
 */
export function readerLanguage(browserLanguage: string | null | undefined, page: Locale): string {
  return browserLanguage && parseLocale(browserLanguage) === page ? browserLanguage : page;
}

/**
 * The language an app shows: what the person chose (remembered), else what the page was told
 * (the embed's `data-locale`), else the browser's languages.
 */
export function chooseLocale(options: {
  chosen?: string | null;
  requested?: string | null;
  languages: readonly string[];
}): Locale {
  return (
    parseLocale(options.chosen) ??
    parseLocale(options.requested) ??
    localeFromLanguages(options.languages)
  );
}

/** The locale Intl formats with: zh-CN reads 13:14, en reads 1:14 PM. */
const intlLocale: Record<Locale, string> = { 'zh-CN': 'zh-CN', en: 'en-US' };

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(locale: Locale, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale}|${JSON.stringify(options)}`;
  let f = formatters.get(key);
  if (!f) formatters.set(key, (f = new Intl.DateTimeFormat(intlLocale[locale], options)));
  return f;
}

function sameDay(a: Date, b: Date): boolean {
  return a.toDateString() === b.toDateString();
}

/** The time of day: `13:14` in Chinese, `1:14 PM` in English. */
export function formatClock(at: number, locale: Locale): string {
  return formatter(locale, { hour: 'numeric', minute: '2-digit', hour12: locale === 'en' }).format(
    at,
  );
}

/** A day heading: `2026年12月1日 周二` / `Tue, Dec 1, 2026`. */
export function formatDay(at: number, locale: Locale): string {
  return formatter(locale, {
    year: 'numeric',
    month: locale === 'en' ? 'short' : 'long',
    day: 'numeric',
    weekday: 'short',
  }).format(at);
}

/** A date with its time: `12月1日 13:14` / `Dec 1, 1:14 PM`. */
export function formatDateTime(at: number, locale: Locale): string {
  return formatter(locale, {
    month: 'short',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    hour12: locale === 'en',
  }).format(at);
}

/** A message's time: the clock today, else the date and the clock. */
export function formatMessageTime(at: number, locale: Locale, now = Date.now()): string {
  return sameDay(new Date(at), new Date(now))
    ? formatClock(at, locale)
    : formatDateTime(at, locale);
}

/** A list row's time: the clock today, else the short date (`12/1` / `Dec 1`). */
export function formatListTime(at: number, locale: Locale, now = Date.now()): string {
  if (sameDay(new Date(at), new Date(now))) return formatClock(at, locale);
  return formatter(
    locale,
    locale === 'en'
      ? { month: 'short', day: 'numeric' }
      : {
          month: 'numeric',
          day: 'numeric',
        },
  ).format(at);
}
