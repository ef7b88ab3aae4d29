/**
 * Showing a visitor's context: URLs checked and shortened, the visitor's local time against the
 * agent's, names of languages. Visitor data is only ever rendered as text or as an http(s) href.
 */

/** The URL when it is an http(s) URL (the only links the panel draws), else null. */
export function safeHttpUrl(value: string | null | undefined): string | null {
  if (!value) return null;
  try {
    const { protocol } = new URL(value);
    return protocol === 'https:' || protocol === 'http:' ? value : null;
  } catch {
    return null;
  }
}

/** `shop.example.com/products/42?c=red` for a URL, cut in the middle past `max` characters. */
export function shortUrl(value: string, max = 48): string {
  let text = value;
  try {
    const u = new URL(value);
    const path = u.pathname === '/' ? '' : u.pathname;
    text = `${u.host.replace(/^www\./, '')}${path}${u.search}${u.hash}`;
    try {
      text = decodeURI(text);
    } catch {
      // shown encoded
    }
  } catch {
    // not a URL: shown as it is, cut
  }
  if (text.length <= max) return text;
  const tail = Math.floor(max / 3);
  return `${text.slice(0, max - tail - 1)}…${text.slice(-tail)}`;
}

/** The host of a URL without `www.`, or the text itself. */
export function hostOf(value: string): string {
  try {
    return new URL(value).host.replace(/^www\./, '');
  } catch {
    return value;
  }
}

/** Minutes a time zone is ahead of UTC at `at`; null for a zone this browser does not know. */
export function zoneOffsetMinutes(timeZone: string, at: number): number | null {
  try {
    const parts = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    }).formatToParts(at);
    const part = (type: Intl.DateTimeFormatPartTypes) =>
      Number(parts.find((p) => p.type === type)?.value ?? 0);
    const wall = Date.UTC(
      part('year'),
      part('month') - 1,
      part('day'),
      part('hour'),
      part('minute'),
    );
    return Math.round((wall - Math.floor(at / 60_000) * 60_000) / 60_000);
  } catch {
    return null;
  }
}

/** The clock in a time zone (`14:05`, `2:05 PM`) with its offset (`GMT+8`); null if unknown. */
export function clockIn(
  timeZone: string,
  at: number,
  locale: string,
): { time: string; zone: string } | null {
  try {
    const time = new Intl.DateTimeFormat(locale, {
      timeZone,
      hour: 'numeric',
      minute: '2-digit',
    }).format(at);
    const zone =
      new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'shortOffset' })
        .formatToParts(at)
        .find((p) => p.type === 'timeZoneName')?.value ?? timeZone;
    return { time, zone };
  } catch {
    return null;
  }
}

/** A language tag's name in the reader's language (`中文（中国）`, `English (United States)`). */
export function languageName(tag: string, locale: string): string {
  try {
    return new Intl.DisplayNames([locale], { type: 'language' }).of(tag) ?? tag;
  } catch {
    return tag;
  }
}

/** An attribute's value on one line: strings as they are, the rest as compact JSON. */
export function attributeText(value: unknown): string {
  if (typeof value === 'string') return value;
  return JSON.stringify(value) ?? String(value);
}
