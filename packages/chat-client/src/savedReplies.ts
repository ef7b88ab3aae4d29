/**
 * Saved replies in a composer: where a `/shortcut` is being typed, which replies match it, and
 * the text a chosen one becomes. Pure functions; the console's picker is their view.
 */

/** What a saved reply's text may name, filled in when it is inserted. */
export interface PlaceholderValues {
  /** `{visitor.name}`: the visitor of the conversation. */
  visitorName?: string;
  /** `{agent.name}`: the agent writing. */
  agentName?: string;
}

const placeholder = /\{(visitor\.name|agent\.name)\}/g;

/**
 * `{visitor.name}` and `{agent.name}` replaced by their values. Any other `{…}`, and a
 * placeholder whose value is not known (or empty), stays exactly as typed, for the agent to see
 * and fix before sending.
 */
export function fillPlaceholders(text: string, values: PlaceholderValues): string {
  return text.replace(placeholder, (whole, name: string) => {
    const value = name === 'visitor.name' ? values.visitorName : values.agentName;
    return value ? value : whole;
  });
}

/** A `/query` being typed: the query, and the part of the text a chosen reply replaces. */
export interface SlashQuery {
  query: string;
  /** Where the `/` is. */
  start: number;
  /** The end of the word the caret is in. */
  end: number;
}

/**
 * The `/query` the caret is in, if any: a `/` at the start of the text or after whitespace,
 * followed by anything but whitespace and `/` up to the caret. The query is what lies between
 * the `/` and the caret; a chosen reply replaces the whole word.
 */
export function slashQueryAt(text: string, caret: number): SlashQuery | null {
  const before = text.slice(0, caret);
  const match = /(?:^|\s)\/([^\s/]*)$/u.exec(before);
  if (!match) return null;
  const query = match[1]!;
  const start = caret - query.length - 1;
  const rest = /^[^\s]*/u.exec(text.slice(caret))![0];
  return { query, start, end: caret + rest.length };
}

/** The fields a reply is found by. */
export interface FindableReply {
  shortcut: string;
  title: string;
  text: string;
}

/**
 * The replies that contain `query` (case-insensitively, anywhere: "退款" finds "退款说明") in
 * their shortcut, title or text, best first: shortcuts that start with it, shortcuts that contain
 * it, then titles, then texts; in their given order within each. An empty query matches all.
 */
export function matchSavedReplies<R extends FindableReply>(
  replies: readonly R[],
  query: string,
): R[] {
  const q = query.trim().toLowerCase();
  if (q === '') return [...replies];
  const ranked: { reply: R; rank: number; index: number }[] = [];
  replies.forEach((reply, index) => {
    const shortcut = reply.shortcut.toLowerCase();
    const rank = shortcut.startsWith(q)
      ? 0
      : shortcut.includes(q)
        ? 1
        : reply.title.toLowerCase().includes(q)
          ? 2
          : reply.text.toLowerCase().includes(q)
            ? 3
            : -1;
    if (rank >= 0) ranked.push({ reply, rank, index });
  });
  return ranked.sort((a, b) => a.rank - b.rank || a.index - b.index).map((r) => r.reply);
}

/** `text` with `start..end` replaced by `inserted`, and where the caret goes: after it. */
export function replaceRange(
  text: string,
  range: { start: number; end: number },
  inserted: string,
): { text: string; caret: number } {
  const start = Math.max(0, Math.min(range.start, text.length));
  const end = Math.max(start, Math.min(range.end, text.length));
  return {
    text: text.slice(0, start) + inserted + text.slice(end),
    caret: start + inserted.length,
  };
}
