import {
  formatClock,
  formatDateTime as dateTimeIn,
  formatDay as dayIn,
  formatListTime as listTimeIn,
  formatMessageTime as messageTimeIn,
  noticeText,
  previewLine,
} from '@servicesystem/chat-client';
import type { Message } from '@servicesystem/protocol/wire';
import { currentLocale, i18n } from '../i18n';

// Times in the console's language, the same as the visitor page's (chat-client formats them):
// zh-CN reads 13:14, en reads 1:14 PM. Each reads the current locale, so a template re-renders
// when the person switches language.

/** The time of day (beside a message; day headings carry the date). */
export function formatTime(ms: number): string {
  return formatClock(ms, currentLocale());
}

/** A message's time: the clock today, else the date and the clock. */
export function formatMessageTime(ms: number): string {
  return messageTimeIn(ms, currentLocale());
}

/** A day heading in a conversation. */
export function formatDay(ms: number): string {
  return dayIn(ms, currentLocale());
}

/** A date with its time (tables, the visitor panel). */
export function formatDateTime(ms: number): string {
  return dateTimeIn(ms, currentLocale());
}

/** Time for a list row: the time today, else the date. */
export function formatListTime(ms: number): string {
  return listTimeIn(ms, currentLocale());
}

export function dayKey(ms: number): string {
  return new Date(ms).toDateString();
}

/** A duration such as a wait: `45s`, `3m 20s`, `2h 5m` (`45秒`, `3分20秒`, `2小时5分`). */
export function formatDuration(ms: number | null, tenths = false): string {
  if (ms === null) return '—';
  const t = i18n.global.t;
  // With `tenths`, under ten seconds: a 0.5 s median is not "1 s" beside a chart that says 0.5.
  if (tenths && ms < 9_950) return t('duration.s', { s: Math.max(0, Math.round(ms / 100) / 10) });
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return t('duration.s', { s });
  const m = Math.floor(s / 60);
  if (m < 60) return t('duration.ms', { m, s: s % 60 });
  return t('duration.hm', { h: Math.floor(m / 60), m: m % 60 });
}

/** A system notice in the reader's language (see chat-client's noticeText). */
export function noticeOf(m: Pick<Message, 'body' | 'meta'>): string {
  return noticeText(m, currentLocale(), 'agent');
}

/** The preview of a message in lists and notifications: its text, or a label for media. */
export function previewOf(m: Message | null): string {
  if (!m) return '';
  const t = i18n.global.t;
  if (m.type === 'image') return t('msg.imageTag');
  if (m.type === 'video') return t('msg.videoTag');
  if (m.sender.type === 'system') return previewLine(noticeOf(m));
  return previewLine(m.body);
}

export function initials(name: string): string {
  const trimmed = name.trim();
  if (!trimmed) return '?';
  const words = trimmed.split(/\s+/);
  if (/^[\x20-\x7E]+$/.test(trimmed) && words.length > 1) {
    return (words[0]![0]! + words[words.length - 1]![0]!).toUpperCase();
  }
  return Array.from(trimmed)[0]!.toUpperCase();
}
