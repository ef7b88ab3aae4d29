/**
 * A piece of message text: plain text, or a link to an http(s) URL. The apps render the text of
 * both with text interpolation and the href as an attribute binding: message text is never
 * parsed as HTML.
 */
export type TextSegment =
  { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string };

/** Where a link may begin: `http://` or `https://`, not in the middle of a word. */
const linkStart = /\bhttps?:\/\//gi;

/**
 * Characters a link never contains: white space, control and format characters (zero-width
 * spaces, bidi overrides), the quotes and brackets that close an HTML attribute or tag, the
 * backtick (an attribute delimiter to old parsers, and Markdown's code mark), and CJK or
 * full-width punctuation, which people type right after a URL.
 */
const stopCharacter =
  /[\s\p{Cc}\p{Cf}<>"'`\u00AB\u00BB\u2018-\u201F\u2026\u3000-\u303F\uFF01-\uFF0F\uFF1A-\uFF20\uFF3B-\uFF40\uFF5B-\uFF65]/u;

/**
 * Invisible characters: a URL run into one stays text, for what is shown would not be where the
 * link goes (`https://evil.example\u200B.bank.com` looks like a bank's subdomain).
 */
const invisible = /\p{Cf}/u;

/** Writing that ends a host name: Chinese, Japanese or Korean text typed right after a URL. */
const hostEnd = /[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}\p{sc=Hangul}]/u;

/**
 * A host (and port) the way it will be shown: ASCII letters, digits, dots and hyphens. No user
 * part (`https://bank.com@evil.example`), no percent escapes, no look-alike letters from other
 * scripts (`https://exаmple.com` with a Cyrillic а): those stay text.
 */
const plainAuthority = /^[A-Za-z0-9.-]+(?::[0-9]{1,5})?$/;

/** Punctuation that usually ends the sentence rather than the URL. */
const trailingPunctuation = new Set(['.', ',', ';', ':', '!', '?', '*', '_', '~']);
/** Closing brackets stay only when the URL opened them: `https://en.wikipedia.org/wiki/A_(b)`. */
const openerOf: Record<string, string> = { ')': '(', ']': '[', '}': '{' };

/**
 * Splits message text into text and link segments. Only http(s) URLs become links; their href
 * is the URL as the browser parses it, their text is what was written. Anything doubtful
 * (another scheme, a look-alike host, a user part, a host the URL parser rewrites) stays text.
 * Linear in the length of the text.
 */
export function linkify(text: string): TextSegment[] {
  const segments: TextSegment[] = [];
  let textFrom = 0;
  let scannedTo = 0;
  for (const match of text.matchAll(linkStart)) {
    const start = match.index;
    if (start < scannedTo) continue;
    const rawEnd = candidateEnd(text, start + match[0].length);
    scannedTo = rawEnd;
    const stoppedBy = text.codePointAt(rawEnd);
    if (stoppedBy !== undefined && invisible.test(String.fromCodePoint(stoppedBy))) continue;
    const written = withoutTrailingPunctuation(text.slice(start, rawEnd));
    const href = hrefOf(written, match[0].length);
    if (href === null) continue;
    if (start > textFrom) segments.push({ kind: 'text', text: text.slice(textFrom, start) });
    segments.push({ kind: 'link', text: written, href });
    textFrom = start + written.length;
  }
  if (textFrom < text.length) segments.push({ kind: 'text', text: text.slice(textFrom) });
  return segments;
}

/** Where the URL that starts before `from` (just after its `://`) stops. */
function candidateEnd(text: string, from: number): number {
  let i = from;
  let inHost = true;
  while (i < text.length) {
    const character = String.fromCodePoint(text.codePointAt(i)!);
    if (stopCharacter.test(character)) break;
    if (inHost) {
      if (character === '/' || character === '?' || character === '#') inHost = false;
      else if (hostEnd.test(character)) break;
    }
    i += character.length;
  }
  return i;
}

function withoutTrailingPunctuation(url: string): string {
  const open: Record<string, number> = { '(': 0, '[': 0, '{': 0 };
  const close: Record<string, number> = { ')': 0, ']': 0, '}': 0 };
  for (const character of url) {
    if (character in open) open[character]!++;
    else if (character in close) close[character]!++;
  }
  let end = url.length;
  while (end > 0) {
    const last = url[end - 1]!;
    const opener = openerOf[last];
    if (trailingPunctuation.has(last)) end--;
    else if (opener !== undefined && close[last]! > open[opener]!) {
      close[last]!--;
      end--;
    } else break;
  }
  return url.slice(0, end);
}

/** The href for `url` (which starts with its scheme and `://`), or null when it stays text. */
function hrefOf(url: string, schemeLength: number): string | null {
  const rest = url.slice(schemeLength);
  const authority = rest.split(/[/?#]/, 1)[0] ?? '';
  if (!plainAuthority.test(authority)) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
  // The parser rewrites some hosts (`http://2130706433` is 127.0.0.1): a link goes only where
  // its text says.
  if (parsed.hostname !== authority.replace(/:[0-9]+$/, '').toLowerCase()) return null;
  return parsed.href;
}
