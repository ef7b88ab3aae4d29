import type { FileInfo } from '@servicesystem/protocol/wire';

/**
 * waiting: queued, goes out when its turn comes and the socket is connected (a passing failure
 *   puts it back here, with `errorCode` saying why);
 * uploading: its file is on the way to the server;
 * sending: sent, the acknowledgement has not come yet;
 * failed: the server refused it (`errorCode`); only the user's retry sends it again.
 */
export type OutboxState = 'waiting' | 'uploading' | 'sending' | 'failed';

/**
 * A message this client wrote that the server has not stored yet. It is shown as pending until
 * the server's copy (the acknowledgement, a live event or a resync page) comes with the same
 * clientMsgId, and every try sends that same clientMsgId, so the server stores it once.
 */
export interface OutboxItem {
  readonly clientMsgId: string;
  /** Where it goes; null on the visitor page: the visitor's open conversation, or a new one. */
  readonly conversationId: string | null;
  readonly type: 'text' | 'image' | 'video';
  /** The text, or a caption. */
  readonly body: string;
  /** Text answering the robot: the choice's entry id, or `handoff` (see TextMessageInput). */
  readonly choice?: string;
  readonly createdAt: number;
  readonly state: OutboxState;
  /** Why the last try did not go through (failed: the refusal; waiting: a passing failure). */
  readonly errorCode?: string;
  /** Media, once uploaded. */
  readonly file?: FileInfo;
  /** Media: a blob: URL that shows it before the server's copy exists (memory only). */
  readonly localUrl?: string;
  /** Media: 0..1 while uploading. */
  readonly progress?: number;
}

const types: ReadonlySet<unknown> = new Set(['text', 'image', 'video']);

/**
 * The outbox as stored across reloads (localStorage), or null when nothing is worth keeping.
 * Media that is not uploaded yet lives only in memory: its bytes cannot be stored.
 */
export function outboxToJson(items: readonly OutboxItem[]): string | null {
  const kept = items
    .filter((item) => item.type === 'text' || item.file)
    .map(
      ({ clientMsgId, conversationId, type, body, choice, createdAt, state, file, errorCode }) => ({
        clientMsgId,
        conversationId,
        type,
        body,
        ...(choice ? { choice } : {}),
        createdAt,
        // What was on its way may not have arrived: it is tried again, with the same id.
        state: state === 'failed' ? 'failed' : 'waiting',
        ...(file ? { file } : {}),
        ...(errorCode ? { errorCode } : {}),
      }),
    );
  return kept.length > 0 ? JSON.stringify(kept) : null;
}

/** What `outboxToJson` stored, checked item by item (anything malformed is dropped). */
export function outboxFromJson(json: string | null): OutboxItem[] {
  if (!json) return [];
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    return [];
  }
  if (!Array.isArray(data)) return [];
  const items: OutboxItem[] = [];
  for (const raw of data as unknown[]) {
    if (typeof raw !== 'object' || raw === null) continue;
    const item = raw as Record<string, unknown>;
    const file = item.file as FileInfo | undefined;
    if (typeof item.clientMsgId !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(item.clientMsgId))
      continue;
    if (!types.has(item.type) || typeof item.body !== 'string') continue;
    if (
      item.type !== 'text' &&
      (typeof file !== 'object' || file === null || typeof file.id !== 'string')
    )
      continue;
    items.push({
      clientMsgId: item.clientMsgId,
      conversationId: typeof item.conversationId === 'string' ? item.conversationId : null,
      type: item.type as OutboxItem['type'],
      body: item.body,
      ...(item.type === 'text' &&
      typeof item.choice === 'string' &&
      item.choice.length > 0 &&
      item.choice.length <= 64
        ? { choice: item.choice }
        : {}),
      createdAt: typeof item.createdAt === 'number' ? item.createdAt : Date.now(),
      state: item.state === 'failed' ? 'failed' : 'waiting',
      ...(item.type !== 'text' ? { file } : {}),
      ...(typeof item.errorCode === 'string' ? { errorCode: item.errorCode } : {}),
    });
  }
  return items;
}
