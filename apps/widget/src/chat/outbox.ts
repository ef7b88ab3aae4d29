import type { FileInfo } from '@servicesystem/protocol';

/**
 * A message the visitor wrote that the server has not acknowledged yet. It stays visible (as
 * pending) until the server's copy arrives, and is kept in localStorage so a reload or a closed
 * tab does not lose it. `clientMsgId` makes every retry land once.
 */
export interface OutboxItem {
  clientMsgId: string;
  type: 'text' | 'image' | 'video';
  body: string;
  createdAt: number;
  state: 'waiting' | 'sending' | 'failed';
  /** Media: set once uploaded. */
  file?: FileInfo;
  /** Media not uploaded yet (memory only: a reload drops it). */
  blob?: Blob;
  name?: string;
  /** A blob: URL to show the picture or video before it is uploaded (memory only). */
  localUrl?: string;
  /** Upload progress 0..1 while uploading. */
  progress?: number;
  errorCode?: string;
}

export function newClientMsgId(): string {
  const random = crypto.getRandomValues(new Uint8Array(12));
  return `w${Date.now().toString(36)}${Array.from(random, (b) => b.toString(36).padStart(2, '0')).join('')}`.slice(
    0,
    48,
  );
}

export function loadOutbox(key: string): OutboxItem[] {
  try {
    const raw = localStorage.getItem(key);
    if (!raw) return [];
    const items = JSON.parse(raw) as OutboxItem[];
    if (!Array.isArray(items)) return [];
    return items
      .filter((item) => typeof item.clientMsgId === 'string' && (item.type === 'text' || item.file))
      .map((item) => ({ ...item, state: item.state === 'failed' ? 'failed' : 'waiting' }));
  } catch {
    return [];
  }
}

export function saveOutbox(key: string, items: OutboxItem[]): void {
  try {
    const kept = items
      .filter((item) => item.type === 'text' || item.file)
      .map(({ clientMsgId, type, body, createdAt, state, file, errorCode }) => ({
        clientMsgId,
        type,
        body,
        createdAt,
        state,
        file,
        errorCode,
      }));
    if (kept.length === 0) localStorage.removeItem(key);
    else localStorage.setItem(key, JSON.stringify(kept));
  } catch {
    // storage full or blocked (private mode): the outbox still works in memory
  }
}
