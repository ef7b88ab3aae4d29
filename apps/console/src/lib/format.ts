import { previewLine } from '@servicesystem/chat-client';
import type { Message } from '@servicesystem/protocol/wire';

const locale = () => navigator.language || 'zh-CN';

export function formatTime(ms: number): string {
  return new Date(ms).toLocaleTimeString(locale(), { hour: '2-digit', minute: '2-digit' });
}

export function formatDay(ms: number): string {
  return new Date(ms).toLocaleDateString(locale(), {
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    weekday: 'short',
  });
}

export function formatDateTime(ms: number): string {
  return new Date(ms).toLocaleString(locale(), {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
}

/** Time for a list row: the time today, else the date. */
export function formatListTime(ms: number): string {
  const d = new Date(ms);
  const now = new Date();
  if (d.toDateString() === now.toDateString()) return formatTime(ms);
  return d.toLocaleDateString(locale(), { month: 'numeric', day: 'numeric' });
}

export function dayKey(ms: number): string {
  return new Date(ms).toDateString();
}

export function formatDuration(ms: number | null): string {
  if (ms === null) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

/** The preview of a message in lists: its text, or a label for media. */
export function previewOf(m: Message | null, t: (key: string) => string): string {
  if (!m) return '';
  if (m.type === 'image') return t('msg.imageTag');
  if (m.type === 'video') return t('msg.videoTag');
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
