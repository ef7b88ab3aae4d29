import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { Message } from '@servicesystem/protocol';
import { upload, type UploadHandle } from '../api/http';
import { live } from '../api/socket';
import { useConversationsStore } from './conversations';

/** A message I sent that the server has not acknowledged yet (or refused). */
export interface PendingMessage {
  clientMsgId: string;
  conversationId: string;
  type: 'text' | 'image' | 'video';
  body: string;
  status: 'uploading' | 'sending' | 'failed';
  error?: string;
  /** 0..1 while uploading. */
  progress: number;
  file?: File;
  fileId?: string;
  localUrl?: string;
  createdAt: number;
}

interface Thread {
  items: Message[];
  hasMoreBefore: boolean;
  loaded: boolean;
  loadingOlder: boolean;
}

const uploads = new Map<string, UploadHandle>();

export function newClientMsgId(): string {
  return 'c' + Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
}

/** Message history per conversation, deduplicated by id and seq, plus my pending sends. */
export const useMessagesStore = defineStore('messages', () => {
  const threads = ref<Record<string, Thread>>({});
  const pending = ref<Record<string, PendingMessage[]>>({});

  function thread(id: string): Thread {
    let t = threads.value[id];
    if (!t) {
      t = { items: [], hasMoreBefore: true, loaded: false, loadingOlder: false };
      threads.value[id] = t;
    }
    return t;
  }

  function lastSeq(id: string): number {
    const items = threads.value[id]?.items;
    return items && items.length ? items[items.length - 1]!.seq : 0;
  }

  /** Adds messages, keeping seq order, never twice; an acked message replaces its pending copy. */
  function add(conversationId: string, messages: Message[]): void {
    const t = thread(conversationId);
    let changed = false;
    for (const m of messages) {
      if (t.items.some((x) => x.id === m.id || x.seq === m.seq)) continue;
      t.items.push(m);
      changed = true;
      if (m.clientMsgId) dropPending(conversationId, m.clientMsgId);
    }
    if (changed) t.items.sort((a, b) => a.seq - b.seq);
  }

  function dropPending(conversationId: string, clientMsgId: string): void {
    const list = pending.value[conversationId];
    if (!list) return;
    const i = list.findIndex((p) => p.clientMsgId === clientMsgId);
    if (i >= 0) {
      const [p] = list.splice(i, 1);
      if (p?.localUrl) URL.revokeObjectURL(p.localUrl);
    }
  }

  async function loadLatest(id: string): Promise<void> {
    const t = thread(id);
    if (t.loaded) return catchUp(id);
    const page = await live.list({ conversationId: id, limit: 30 });
    add(id, page.messages);
    t.hasMoreBefore = page.hasMore;
    t.loaded = true;
  }

  async function loadOlder(id: string): Promise<boolean> {
    const t = thread(id);
    if (!t.hasMoreBefore || t.loadingOlder || !t.items.length) return false;
    t.loadingOlder = true;
    try {
      const page = await live.list({ conversationId: id, before: t.items[0]!.seq, limit: 30 });
      add(id, page.messages);
      t.hasMoreBefore = page.hasMore;
      return page.messages.length > 0;
    } finally {
      t.loadingOlder = false;
    }
  }

  /**
   * The last seq shown in each loaded thread: where a resync starts. Read it at `connect`, before
   * any await: a live event arriving meanwhile moves lastSeq past the messages that were missed.
   */
  function resyncPoints(): Record<string, number> {
    const points: Record<string, number> = {};
    for (const [id, t] of Object.entries(threads.value)) if (t.loaded) points[id] = lastSeq(id);
    return points;
  }

  /**
   * Everything after `after`, page by page, each page from the previous one's last seq (not from
   * lastSeq, which live events move while we page).
   */
  async function catchUp(id: string, after = lastSeq(id)): Promise<void> {
    if (!threads.value[id]?.loaded) return;
    let cursor = after;
    for (let guard = 0; guard < 100; guard++) {
      const page = await live.list({ conversationId: id, after: cursor, limit: 100 });
      add(id, page.messages);
      const last = page.messages.at(-1);
      if (!page.hasMore || !last) break;
      cursor = last.seq;
    }
  }

  /** After a reconnect: catches up each thread from its point in `resyncPoints()`, then resends. */
  async function resyncAll(points: Record<string, number>): Promise<void> {
    await Promise.all(
      Object.entries(points).map(([id, after]) => catchUp(id, after).catch(() => undefined)),
    );
    for (const list of Object.values(pending.value)) {
      for (const p of list) if (p.status === 'sending' || p.status === 'failed') void deliver(p);
    }
  }

  function pendingList(id: string): PendingMessage[] {
    return (pending.value[id] ??= []);
  }

  async function deliver(p: PendingMessage): Promise<void> {
    const conversations = useConversationsStore();
    p.status = 'sending';
    p.error = undefined;
    try {
      const { message, conversation } =
        p.type === 'text'
          ? await live.send({
              conversationId: p.conversationId,
              clientMsgId: p.clientMsgId,
              type: 'text',
              body: p.body,
            })
          : await live.send({
              conversationId: p.conversationId,
              clientMsgId: p.clientMsgId,
              type: p.type,
              fileId: p.fileId!,
              body: p.body,
            });
      add(p.conversationId, [message]);
      conversations.upsert(conversation);
    } catch (e) {
      const current = pending.value[p.conversationId]?.find((x) => x.clientMsgId === p.clientMsgId);
      if (current) {
        current.status = 'failed';
        current.error = (e as { code?: string }).code;
      }
    }
  }

  function sendText(conversationId: string, body: string): void {
    const p: PendingMessage = {
      clientMsgId: newClientMsgId(),
      conversationId,
      type: 'text',
      body,
      status: 'sending',
      progress: 0,
      createdAt: Date.now(),
    };
    pendingList(conversationId).push(p);
    void deliver(pendingList(conversationId).at(-1)!);
  }

  function sendFile(conversationId: string, file: File): void {
    const type = file.type.startsWith('video/') ? 'video' : 'image';
    pendingList(conversationId).push({
      clientMsgId: newClientMsgId(),
      conversationId,
      type,
      body: '',
      status: 'uploading',
      progress: 0,
      file,
      localUrl: URL.createObjectURL(file),
      createdAt: Date.now(),
    });
    void uploadAndSend(pendingList(conversationId).at(-1)!);
  }

  async function uploadAndSend(p: PendingMessage): Promise<void> {
    if (!p.file) return;
    p.status = 'uploading';
    p.error = undefined;
    p.progress = 0;
    const handle = upload(p.file, (f) => (p.progress = f));
    uploads.set(p.clientMsgId, handle);
    try {
      const info = await handle.promise;
      p.fileId = info.id;
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'CANCELLED') dropPending(p.conversationId, p.clientMsgId);
      else {
        p.status = 'failed';
        p.error = code;
      }
      return;
    } finally {
      uploads.delete(p.clientMsgId);
    }
    await deliver(p);
  }

  function cancel(p: PendingMessage): void {
    const handle = uploads.get(p.clientMsgId);
    if (handle) handle.cancel();
    else dropPending(p.conversationId, p.clientMsgId);
  }

  function retry(p: PendingMessage): void {
    if (p.type !== 'text' && !p.fileId) void uploadAndSend(p);
    else void deliver(p);
  }

  function reset(): void {
    threads.value = {};
    pending.value = {};
  }

  return {
    threads,
    pending,
    thread,
    lastSeq,
    add,
    loadLatest,
    loadOlder,
    catchUp,
    resyncPoints,
    resyncAll,
    pendingList,
    sendText,
    sendFile,
    cancel,
    retry,
    reset,
  };
});
