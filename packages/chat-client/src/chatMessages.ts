import type {
  FileInfo,
  Message,
  MessagePage,
  RobotStreamPayload,
  SocketSendMessage,
} from '@servicesystem/protocol/wire';
import { ApiError } from './apiError.js';
import { newClientMsgId } from './clientMsgId.js';
import type { UploadHandle } from './http.js';
import type { OutboxItem } from './outbox.js';
import { applyRobotStream, dropStoredPreviews, type RobotPreview } from './robot.js';
import { lastSeqOf, mergeMessages } from './timeline.js';

/** One conversation's history as far as this client has it. */
export interface ThreadState {
  /** Stored messages, in seq order, each once. */
  readonly messages: readonly Message[];
  /**
   * The newest page (or everything from the first message) is here: live messages and
   * resyncs continue it. A thread that only holds live messages is not loaded yet.
   */
  readonly loaded: boolean;
  /** Older messages exist before the first one here. */
  readonly hasMoreBefore: boolean;
  readonly loadingOlder: boolean;
}

/** Everything a ChatMessages holds. Replaced as a whole on every change, never changed in place. */
export interface ChatMessagesState {
  readonly threads: Readonly<Record<string, ThreadState>>;
  /** Messages written here and not stored yet, in the order they were written. */
  readonly outbox: readonly OutboxItem[];
  /** Robot answers a language model is writing (`robot.stream`), until each is stored. */
  readonly robotPreviews: readonly RobotPreview[];
}

export interface PageRequest {
  before?: number;
  after?: number;
  limit: number;
}

/** Media to upload: the bytes and the file name the server is told. */
export interface UploadSource {
  blob: Blob;
  name: string;
}

/** How a ChatMessages reaches the server (`C`: the app's conversation type). */
export interface ChatTransport<C> {
  /** GET .../messages or the socket's `messages.list`. */
  listMessages(conversationId: string, page: PageRequest): Promise<MessagePage>;
  /** The socket's `message.send`; rejects with an ApiError. */
  send(message: SocketSendMessage): Promise<{ message: Message; conversation: C }>;
  upload(file: Blob, name: string, onProgress: (fraction: number) => void): UploadHandle;
  /** True while sends can go out (the socket is connected). */
  canSend(): boolean;
}

export interface ChatMessagesOptions<C> {
  transport: ChatTransport<C>;
  /** A send was acknowledged: the conversation as the message left it. */
  onSent?(conversation: C, message: Message): void;
  /** Frees a blob: URL once nothing shows it (URL.revokeObjectURL). */
  releaseLocalUrl?(url: string): void;
  /** Starts every clientMsgId this client makes. */
  clientMsgIdPrefix?: string;
  /** Messages in the newest page and in each older page (30). */
  pageSize?: number;
  /** Messages per catch-up page (100, the server's largest). */
  catchUpPageSize?: number;
  /** At most this many catch-up pages in a row (100). */
  maxCatchUpPages?: number;
  /** The first wait before trying again after a passing failure while connected (2 s). */
  retryDelayMs?: number;
}

type DeliveryOutcome = 'next' | 'stop';

const emptyThread: ThreadState = {
  messages: [],
  loaded: false,
  hasMoreBefore: true,
  loadingOlder: false,
};

/** The longest wait between tries after passing failures. */
const maxRetryDelayMs = 30_000;

/**
 * Message history per conversation and the outbox, without any UI framework: the console's and
 * the visitor page's stores wrap one of these and show `state`.
 *
 * - History: messages merged by seq (each once, in order), loaded newest first, older pages on
 *   demand, and after a reconnect everything after the last seq seen, page by page.
 * - Outbox: each message keeps its clientMsgId for every try. Per conversation they go out one
 *   at a time, in the order written, while `transport.canSend()`; files upload as soon as they
 *   are added. A passing failure (no connection, timeout, server busy) puts the message back to
 *   wait; a rate limit waits the time the server says; a refusal marks it failed until retried.
 *   The server's copy, however it comes, replaces the pending one.
 */
export class ChatMessages<C> {
  private current: ChatMessagesState = { threads: {}, outbox: [], robotPreviews: [] };
  private readonly listeners = new Set<(state: ChatMessagesState) => void>();
  /** Bumped by reset(): answers to requests made before it are dropped. */
  private epoch = 0;
  /** Media not uploaded yet, by clientMsgId (a Promise while it is being prepared). */
  private readonly sources = new Map<string, UploadSource | Promise<UploadSource>>();
  private readonly uploads = new Map<string, { cancel(): void }>();
  /** Outbox lanes (one per conversation) with a flush running. */
  private readonly flushing = new Set<string>();
  /** Passing failures in a row, by clientMsgId: how long the next wait is. */
  private readonly failures = new Map<string, number>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();

  private readonly transport: ChatTransport<C>;
  private readonly pageSize: number;
  private readonly catchUpPageSize: number;
  private readonly maxCatchUpPages: number;
  private readonly retryDelayMs: number;

  constructor(private readonly options: ChatMessagesOptions<C>) {
    this.transport = options.transport;
    this.pageSize = options.pageSize ?? 30;
    this.catchUpPageSize = options.catchUpPageSize ?? 100;
    this.maxCatchUpPages = options.maxCatchUpPages ?? 100;
    this.retryDelayMs = options.retryDelayMs ?? 2000;
  }

  get state(): ChatMessagesState {
    return this.current;
  }

  /** Calls `listener` with the new state after every change; answers the unsubscribe. */
  subscribe(listener: (state: ChatMessagesState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  thread(conversationId: string): ThreadState | undefined {
    return this.current.threads[conversationId];
  }

  /** The last seq shown in a conversation, 0 when none is. */
  lastSeq(conversationId: string): number {
    return lastSeqOf(this.thread(conversationId)?.messages ?? []);
  }

  // ---- history

  /**
   * Stored messages from anywhere (an acknowledgement, a live event, a page): each goes to its
   * conversation's thread once, in seq order, and replaces its pending copy in the outbox.
   */
  add(messages: readonly Message[]): void {
    if (messages.length === 0) return;
    const byConversation = new Map<string, Message[]>();
    for (const m of messages) {
      const list = byConversation.get(m.conversationId);
      if (list) list.push(m);
      else byConversation.set(m.conversationId, [m]);
    }
    let threads = this.current.threads;
    for (const [id, incoming] of byConversation) {
      const thread = threads[id] ?? emptyThread;
      const merged = mergeMessages(thread.messages, incoming);
      if (merged !== thread.messages)
        threads = { ...threads, [id]: { ...thread, messages: merged } };
    }
    const stored = messages.filter((m) => m.clientMsgId !== null);
    const outbox = stored.length
      ? this.current.outbox.filter((item) => !stored.some((m) => isCopyOf(m, item)))
      : this.current.outbox;
    for (const item of this.current.outbox) if (!outbox.includes(item)) this.forget(item);
    const robotPreviews = dropStoredPreviews(this.current.robotPreviews, messages);
    this.commit({ threads, outbox, robotPreviews });
  }

  /**
   * A `robot.stream` event: the answer being written grows (its whole text so far), and goes
   * when the model gives up; its stored message, whenever it comes, takes its place.
   */
  robotStream(event: RobotStreamPayload): void {
    const thread = this.thread(event.conversationId)?.messages ?? [];
    const robotPreviews = applyRobotStream(this.current.robotPreviews, event, thread);
    this.commit({ ...this.current, robotPreviews });
  }

  /** Opens a conversation: its newest page; when it is loaded already, what came since. */
  async loadNewest(conversationId: string): Promise<void> {
    if (this.thread(conversationId)?.loaded) return this.catchUp(conversationId);
    const epoch = this.epoch;
    const page = await this.transport.listMessages(conversationId, { limit: this.pageSize });
    if (epoch !== this.epoch) return;
    this.add(page.messages);
    this.patchThread(conversationId, { loaded: true, hasMoreBefore: page.hasMore });
  }

  /**
   * A conversation that has just begun: everything from its first message. Answers at once
   * (marked loaded, so live messages and resyncs continue it) and fetches in the background.
   */
  loadFromStart(conversationId: string): Promise<void> {
    this.patchThread(conversationId, { loaded: true, hasMoreBefore: false });
    return this.catchUp(conversationId, 0);
  }

  /** The page before the first message shown. Answers whether it brought any message. */
  async loadOlder(conversationId: string): Promise<boolean> {
    const thread = this.thread(conversationId);
    if (!thread?.loaded || !thread.hasMoreBefore || thread.loadingOlder) return false;
    const epoch = this.epoch;
    const first = thread.messages[0];
    this.patchThread(conversationId, { loadingOlder: true });
    try {
      const page = await this.transport.listMessages(conversationId, {
        ...(first ? { before: first.seq } : {}),
        limit: this.pageSize,
      });
      if (epoch !== this.epoch) return false;
      this.add(page.messages);
      this.patchThread(conversationId, { hasMoreBefore: page.hasMore });
      return page.messages.length > 0;
    } finally {
      if (epoch === this.epoch) this.patchThread(conversationId, { loadingOlder: false });
    }
  }

  /**
   * Everything after `after`, page by page. Each page starts from the previous page's last seq,
   * not from the thread's last seq, which live messages move on while we page.
   */
  async catchUp(conversationId: string, after = this.lastSeq(conversationId)): Promise<void> {
    if (!this.thread(conversationId)?.loaded) return;
    const epoch = this.epoch;
    let cursor = after;
    for (let pages = 0; pages < this.maxCatchUpPages; pages++) {
      const page = await this.transport.listMessages(conversationId, {
        after: cursor,
        limit: this.catchUpPageSize,
      });
      if (epoch !== this.epoch) return;
      this.add(page.messages);
      const reached = Math.max(cursor, ...page.messages.map((m) => m.seq));
      // A server that says "more" without moving on would keep us here for ever.
      if (!page.hasMore || reached === cursor) return;
      cursor = reached;
    }
  }

  /**
   * Where each loaded thread's resync starts: its last seq. Read it as the socket connects,
   * before anything is awaited: a live message that arrives meanwhile moves the last seq past
   * the messages that were missed.
   */
  resyncPoints(): Record<string, number> {
    const points: Record<string, number> = {};
    for (const [id, thread] of Object.entries(this.current.threads)) {
      if (thread.loaded) points[id] = lastSeqOf(thread.messages);
    }
    return points;
  }

  /**
   * After a reconnect: every thread catches up from its point, then the outbox goes out (a
   * send whose acknowledgement was lost shows up in the catch-up and is not sent again).
   * A thread that cannot catch up now is caught up by the next reconnect or open.
   */
  async resync(points: Record<string, number>): Promise<void> {
    // An answer being written when the connection dropped may have been stored or given up
    // since: the catch-up brings the stored one, and one still being written sends its whole
    // text again with its next event.
    if (this.current.robotPreviews.length > 0) this.commit({ ...this.current, robotPreviews: [] });
    await Promise.all(
      Object.entries(points).map(([id, after]) => this.catchUp(id, after).catch(() => undefined)),
    );
    await this.flush();
  }

  // ---- the outbox

  /**
   * Queues a text message (already checked: see checkMessageText); answers its clientMsgId.
   * `choice`: the visitor answers the robot (a choice's entry id, or `handoff`).
   */
  sendText(conversationId: string | null, body: string, choice?: string): string {
    const clientMsgId = newClientMsgId(this.options.clientMsgIdPrefix);
    this.commit({
      ...this.current,
      outbox: [
        ...this.current.outbox,
        {
          clientMsgId,
          conversationId,
          type: 'text',
          body,
          ...(choice ? { choice } : {}),
          createdAt: Date.now(),
          state: 'waiting',
        },
      ],
    });
    void this.flush();
    return clientMsgId;
  }

  /**
   * Queues an image or a video and starts uploading it. `source` may still be in the making
   * (a picture being downscaled): the message shows at once, with `localUrl` as its preview.
   */
  sendFile(
    conversationId: string | null,
    media: {
      type: 'image' | 'video';
      source: UploadSource | Promise<UploadSource>;
      localUrl?: string;
      body?: string;
    },
  ): string {
    const clientMsgId = newClientMsgId(this.options.clientMsgIdPrefix);
    this.sources.set(clientMsgId, media.source);
    this.commit({
      ...this.current,
      outbox: [
        ...this.current.outbox,
        {
          clientMsgId,
          conversationId,
          type: media.type,
          body: media.body ?? '',
          createdAt: Date.now(),
          state: 'waiting',
          progress: 0,
          ...(media.localUrl ? { localUrl: media.localUrl } : {}),
        },
      ],
    });
    this.startUpload(clientMsgId);
    return clientMsgId;
  }

  /** Tries a failed or waiting message again now, with the same clientMsgId. */
  retry(clientMsgId: string): void {
    const item = this.item(clientMsgId);
    if (!item || item.state === 'sending' || item.state === 'uploading') return;
    this.failures.delete(clientMsgId);
    if (item.type !== 'text' && !item.file) {
      if (this.sources.has(clientMsgId)) this.startUpload(clientMsgId);
      return;
    }
    this.patchItem(clientMsgId, { state: 'waiting', errorCode: undefined });
    void this.flush();
  }

  /** Drops a message that is not sent (an upload on its way is cancelled). */
  discard(clientMsgId: string): void {
    this.uploads.get(clientMsgId)?.cancel();
    this.removeItem(clientMsgId);
  }

  /** Puts back messages kept from an earlier page load (see outboxFromJson); sends them. */
  restoreOutbox(items: readonly OutboxItem[]): void {
    const known = new Set(this.current.outbox.map((i) => i.clientMsgId));
    const fresh = items.filter((i) => !known.has(i.clientMsgId));
    if (fresh.length === 0) return;
    this.commit({ ...this.current, outbox: [...fresh, ...this.current.outbox] });
    void this.flush();
  }

  /**
   * Sends what waits, one at a time per conversation, in the order written, while the
   * transport can send. Call it when the socket connects; adding and retrying call it too.
   */
  async flush(): Promise<void> {
    const lanes = new Set(this.current.outbox.map(laneOf));
    await Promise.all([...lanes].map((lane) => this.flushLane(lane)));
  }

  /** Forgets everything (another visitor, a sign-out); answers still on their way are dropped. */
  reset(): void {
    this.epoch++;
    for (const upload of this.uploads.values()) upload.cancel();
    this.uploads.clear();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const item of this.current.outbox) this.forget(item);
    this.sources.clear();
    this.failures.clear();
    this.flushing.clear();
    this.commit({ threads: {}, outbox: [], robotPreviews: [] });
  }

  // ---- inside

  private async flushLane(lane: string): Promise<void> {
    if (this.flushing.has(lane)) return;
    this.flushing.add(lane);
    const epoch = this.epoch;
    try {
      while (epoch === this.epoch && this.transport.canSend()) {
        const head = this.current.outbox.find((i) => laneOf(i) === lane && i.state !== 'failed');
        // Nothing to send, or the first in line is on its way: its end flushes again.
        if (!head || head.state !== 'waiting') return;
        if (head.type !== 'text' && !head.file) {
          this.startUpload(head.clientMsgId);
          return;
        }
        if ((await this.deliver(head, epoch)) === 'stop') return;
      }
    } finally {
      if (epoch === this.epoch) this.flushing.delete(lane);
    }
  }

  private async deliver(item: OutboxItem, epoch: number): Promise<DeliveryOutcome> {
    const id = item.clientMsgId;
    this.patchItem(id, { state: 'sending', errorCode: undefined });
    const target = item.conversationId ? { conversationId: item.conversationId } : {};
    const message: SocketSendMessage =
      item.type === 'text'
        ? {
            ...target,
            clientMsgId: id,
            type: 'text',
            body: item.body,
            ...(item.choice ? { choice: item.choice } : {}),
          }
        : { ...target, clientMsgId: id, type: item.type, fileId: item.file!.id, body: item.body };
    try {
      const answer = await this.transport.send(message);
      if (epoch !== this.epoch) return 'stop';
      this.failures.delete(id);
      this.options.onSent?.(answer.conversation, answer.message);
      this.add([answer.message]);
      this.removeItem(id);
      return 'next';
    } catch (thrown) {
      if (epoch !== this.epoch) return 'stop';
      // Discarded, or its stored copy came some other way, while we waited.
      if (!this.item(id)) return 'next';
      const error = ApiError.from(thrown);
      if (error.code === 'RATE_LIMITED') {
        // Sending too fast: it waits its turn and goes out by itself.
        this.patchItem(id, { state: 'waiting', errorCode: error.code });
        this.flushLater((error.retryAfterSeconds ?? 2) * 1000);
        return 'stop';
      }
      if (error.transient) {
        this.patchItem(id, { state: 'waiting', errorCode: error.code });
        this.retryLater(id);
        return 'stop';
      }
      this.patchItem(id, { state: 'failed', errorCode: error.code });
      return 'next';
    }
  }

  private startUpload(clientMsgId: string): void {
    const source = this.sources.get(clientMsgId);
    if (this.uploads.has(clientMsgId) || !source) return;
    const epoch = this.epoch;
    let handle: UploadHandle | null = null;
    let cancelled = false;
    this.uploads.set(clientMsgId, {
      cancel: () => {
        cancelled = true;
        handle?.cancel();
      },
    });
    this.patchItem(clientMsgId, { state: 'uploading', progress: 0, errorCode: undefined });
    void (async () => {
      let file: FileInfo;
      try {
        const { blob, name } = await source;
        if (cancelled) throw new ApiError('CANCELLED', 'cancelled');
        handle = this.transport.upload(blob, name, (fraction) => {
          if (epoch === this.epoch) this.patchItem(clientMsgId, { progress: fraction });
        });
        file = await handle.promise;
      } catch (thrown) {
        if (epoch !== this.epoch) return;
        this.uploads.delete(clientMsgId);
        const error = ApiError.from(thrown);
        if (error.code === 'CANCELLED') return this.removeItem(clientMsgId);
        this.patchItem(clientMsgId, {
          state: error.transient ? 'waiting' : 'failed',
          errorCode: error.code,
        });
        if (error.transient) this.retryLater(clientMsgId);
        return;
      }
      if (epoch !== this.epoch) return;
      this.uploads.delete(clientMsgId);
      this.sources.delete(clientMsgId);
      this.failures.delete(clientMsgId);
      this.patchItem(clientMsgId, { state: 'waiting', file, progress: 1 });
      void this.flush();
    })();
  }

  /** After a passing failure: try again later, waiting longer each time, if still connected. */
  private retryLater(clientMsgId: string): void {
    const failures = (this.failures.get(clientMsgId) ?? 0) + 1;
    this.failures.set(clientMsgId, failures);
    // Not connected: the reconnect flushes.
    if (!this.transport.canSend()) return;
    this.flushLater(Math.min(maxRetryDelayMs, this.retryDelayMs * 2 ** (failures - 1)));
  }

  private flushLater(ms: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.flush();
    }, ms);
    this.timers.add(timer);
  }

  private item(clientMsgId: string): OutboxItem | undefined {
    return this.current.outbox.find((i) => i.clientMsgId === clientMsgId);
  }

  private patchItem(clientMsgId: string, patch: Partial<OutboxItem>): void {
    if (!this.item(clientMsgId)) return;
    this.commit({
      ...this.current,
      outbox: this.current.outbox.map((i) => {
        if (i.clientMsgId !== clientMsgId) return i;
        const next: Record<string, unknown> = { ...i, ...patch };
        // Fields set to undefined are removed, so the items stay plain data.
        for (const key of Object.keys(next)) if (next[key] === undefined) delete next[key];
        return next as unknown as OutboxItem;
      }),
    });
  }

  private removeItem(clientMsgId: string): void {
    const item = this.item(clientMsgId);
    if (!item) return;
    this.forget(item);
    this.commit({
      ...this.current,
      outbox: this.current.outbox.filter((i) => i !== item),
    });
  }

  /** Lets go of what an outbox item held outside the state. */
  private forget(item: OutboxItem): void {
    this.sources.delete(item.clientMsgId);
    this.failures.delete(item.clientMsgId);
    this.uploads.delete(item.clientMsgId);
    if (item.localUrl) this.options.releaseLocalUrl?.(item.localUrl);
  }

  private patchThread(conversationId: string, patch: Partial<ThreadState>): void {
    const thread = this.current.threads[conversationId] ?? emptyThread;
    this.commit({
      ...this.current,
      threads: { ...this.current.threads, [conversationId]: { ...thread, ...patch } },
    });
  }

  private commit(next: ChatMessagesState): void {
    if (
      next.threads === this.current.threads &&
      next.outbox === this.current.outbox &&
      next.robotPreviews === this.current.robotPreviews
    )
      return;
    this.current = next;
    for (const listener of this.listeners) listener(next);
  }
}

/** Messages to one conversation go out in order; the visitor's (no conversation named) too. */
function laneOf(item: OutboxItem): string {
  return item.conversationId ?? '';
}

/** `message` is the stored copy of `item`. */
function isCopyOf(message: Message, item: OutboxItem): boolean {
  return (
    message.clientMsgId === item.clientMsgId &&
    (item.conversationId === null || item.conversationId === message.conversationId)
  );
}
