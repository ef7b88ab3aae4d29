import { messageTextMaxLength } from '@servicesystem/protocol/wire';

export { messageTextMaxLength };

export type MessageTextCheck =
  { ok: true; body: string } | { ok: false; reason: 'empty' | 'tooLong' };

/**
 * What a composer may send: the text trimmed, not empty, at most `messageTextMaxLength` UTF-16
 * code units (what the server's MessageText schema counts). The server removes control
 * characters itself.
 */
export function checkMessageText(text: string): MessageTextCheck {
  const body = text.trim();
  if (body.length === 0) return { ok: false, reason: 'empty' };
  if (body.length > messageTextMaxLength) return { ok: false, reason: 'tooLong' };
  return { ok: true, body };
}

/** A message body on one line, for conversation lists and notifications. */
export function previewLine(body: string): string {
  return body.replace(/\s+/g, ' ').trim();
}
