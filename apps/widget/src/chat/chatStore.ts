/**
 * The visitor's chat: session, conversations, messages, the outbox, typing and read state. Built
 * on the one API module; components read this state and call its actions.
 */
import { computed, reactive, shallowRef, watch } from 'vue';
import type { Message, VisitorConversation } from '@servicesystem/protocol';
import {
  ApiError,
  createSession,
  listConversations,
  listMessages,
  uploadFile,
  VisitorSocket,
  type SendInput,
  type VisitorSession,
} from '../api/client';
import { downscaleImage } from './downscaleImage';
import { loadOutbox, newClientMsgId, saveOutbox, type OutboxItem } from './outbox';
import type { HostBridge } from './hostBridge';

export type LoadState =
  | { kind: 'loading' }
  | { kind: 'ready' }
  | { kind: 'error'; reason: 'noChannel' | 'loadFailed' | 'identityFailed' | 'channelMissing' };

interface LoadedConversation {
  hasMore: boolean;
}

export interface ChatOptions {
  channelId: string | null;
  identity: string | null;
  bridge: HostBridge;
}

const tokenKey = (channelId: string) => `servicesystem.visitor.${channelId}`;

export function createChatStore(options: ChatOptions) {
  const state = reactive({
    load: { kind: 'loading' } as LoadState,
    channelName: '',
    /** False outside the channel's business hours (from the session). */
    channelOpen: true,
    offHoursMessage: '',
    visitorId: '',
    /** The visitor's conversations, newest first. */
    conversations: [] as VisitorConversation[],
    /** Shown messages of every loaded conversation, oldest first. */
    messages: [] as Message[],
    outbox: [] as OutboxItem[],
    connected: false,
    browserOnline: navigator.onLine,
    agentTyping: false,
    loadingOlder: false,
    /** The page is visible to the visitor (tab visible, and the embed panel open). */
    visible: document.visibilityState === 'visible',
    panelOpen: !options.bridge.embedded,
  });
  const loaded = reactive(new Map<string, LoadedConversation>());
  const socket = shallowRef<VisitorSocket | null>(null);
  let session: VisitorSession | null = null;
  let identity = options.identity;
  let outboxKey = '';
  let flushing = false;
  /** Bumped when the visitor changes (setUser, logout): answers that arrive for the previous
   * visitor are dropped instead of showing up in the new one's chat. */
  let generation = 0;
  let typingTimer: ReturnType<typeof setTimeout> | undefined;
  let lastTypingSent = 0;
  let selfTypingStop: ReturnType<typeof setTimeout> | undefined;

  const current = computed<VisitorConversation | null>(() => state.conversations[0] ?? null);
  const hasOlder = computed(() => {
    const oldestLoaded = [...state.conversations].reverse().find((c) => loaded.has(c.id));
    if (!oldestLoaded) return false;
    if (loaded.get(oldestLoaded.id)?.hasMore) return true;
    const index = state.conversations.indexOf(oldestLoaded);
    return index < state.conversations.length - 1;
  });
  const unread = computed(() => current.value?.unread ?? 0);

  // ---- messages and conversations

  function orderMessages(a: Message, b: Message): number {
    if (a.conversationId === b.conversationId) return a.seq - b.seq;
    return a.createdAt - b.createdAt;
  }

  function addMessages(messages: Message[]) {
    const known = new Set(state.messages.map((m) => m.id));
    const fresh = messages.filter((m) => !known.has(m.id));
    if (fresh.length === 0) return;
    state.messages = [...state.messages, ...fresh].sort(orderMessages);
    const ids = new Set(fresh.map((m) => m.clientMsgId).filter(Boolean));
    if (ids.size > 0) {
      state.outbox = state.outbox.filter((item) => !ids.has(item.clientMsgId));
      persistOutbox();
    }
  }

  function upsertConversation(conversation: VisitorConversation) {
    const index = state.conversations.findIndex((c) => c.id === conversation.id);
    if (index >= 0) {
      const previous = state.conversations[index]!;
      // Read positions and seqs only move forward, whatever order events arrive in.
      const merged: VisitorConversation = {
        ...conversation,
        lastSeq: Math.max(previous.lastSeq, conversation.lastSeq),
        agentReadSeq: Math.max(previous.agentReadSeq, conversation.agentReadSeq),
        visitorReadSeq: Math.max(previous.visitorReadSeq, conversation.visitorReadSeq),
      };
      merged.unread = Math.max(0, merged.lastSeq - merged.visitorReadSeq);
      const next = [...state.conversations];
      next[index] = merged;
      state.conversations = next;
    } else {
      state.conversations = [conversation, ...state.conversations].sort(
        (a, b) => b.createdAt - a.createdAt,
      );
      if (!loaded.has(conversation.id)) {
        loaded.set(conversation.id, { hasMore: false });
        void fetchAfter(conversation.id, 0);
      }
    }
  }

  function lastSeqShown(conversationId: string): number {
    let seq = 0;
    for (const m of state.messages)
      if (m.conversationId === conversationId && m.seq > seq) seq = m.seq;
    return seq;
  }

  async function fetchAfter(conversationId: string, after: number) {
    if (!session) return;
    const gen = generation;
    let cursor = after;
    for (let i = 0; i < 20; i++) {
      const page = await listMessages(session.visitorToken, conversationId, {
        after: cursor,
        limit: 100,
      });
      if (gen !== generation) return;
      addMessages(page.messages);
      const last = page.messages[page.messages.length - 1];
      if (!page.hasMore || !last) break;
      cursor = last.seq;
    }
  }

  async function loadNewest(conversationId: string) {
    if (!session) return;
    const gen = generation;
    const page = await listMessages(session.visitorToken, conversationId, { limit: 30 });
    if (gen !== generation) return;
    loaded.set(conversationId, { hasMore: page.hasMore });
    addMessages(page.messages);
  }

  /** Pull-to-refresh: the page before the oldest shown message, or the previous conversation. */
  async function loadOlder() {
    if (!session || state.loadingOlder) return;
    state.loadingOlder = true;
    try {
      const oldest = [...state.conversations].reverse().find((c) => loaded.has(c.id));
      if (!oldest) return;
      const info = loaded.get(oldest.id)!;
      if (info.hasMore) {
        const first = state.messages.find((m) => m.conversationId === oldest.id);
        const gen = generation;
        const page = await listMessages(session.visitorToken, oldest.id, {
          before: first?.seq ?? oldest.lastSeq + 1,
          limit: 30,
        });
        if (gen !== generation) return;
        info.hasMore = page.hasMore;
        addMessages(page.messages);
      } else {
        const index = state.conversations.indexOf(oldest);
        const previous = state.conversations[index + 1];
        if (previous) await loadNewest(previous.id);
      }
    } catch {
      // offline: the visitor can pull again
    } finally {
      state.loadingOlder = false;
    }
  }

  // ---- session and socket

  async function start() {
    if (!options.channelId) {
      state.load = { kind: 'error', reason: 'noChannel' };
      return;
    }
    state.load = { kind: 'loading' };
    const channelId = options.channelId;
    try {
      if (identity) {
        session = await createSession(channelId, identity);
      } else {
        const stored = safeGet(tokenKey(channelId));
        try {
          session = await createSession(channelId, undefined, stored ?? undefined);
        } catch (error) {
          if (!(error instanceof ApiError) || error.code !== 'UNAUTHENTICATED' || !stored)
            throw error;
          session = await createSession(channelId);
        }
        safeSet(tokenKey(channelId), session.visitorToken);
      }
    } catch (error) {
      const code = error instanceof ApiError ? error.code : '';
      state.load = {
        kind: 'error',
        reason: code.startsWith('IDENTITY')
          ? 'identityFailed'
          : code === 'NOT_FOUND' || code === 'VALIDATION_FAILED'
            ? 'channelMissing'
            : 'loadFailed',
      };
      return;
    }
    state.channelName = session.channel.name;
    state.channelOpen = session.channel.open;
    state.offHoursMessage = session.channel.offHoursMessage;
    state.visitorId = session.visitor.id;
    outboxKey = `servicesystem.outbox.${channelId}.${session.visitor.id}`;
    state.outbox = loadOutbox(outboxKey);
    try {
      state.conversations = await listConversations(session.visitorToken);
      const newest = state.conversations[0];
      if (newest) await loadNewest(newest.id);
    } catch {
      state.load = { kind: 'error', reason: 'loadFailed' };
      return;
    }
    state.load = { kind: 'ready' };
    connect(session.visitorToken);
    options.bridge.post({ type: 'ready' });
    options.bridge.post({ type: 'unread', count: unread.value });
  }

  function connect(token: string) {
    socket.value?.close();
    socket.value = new VisitorSocket(token, {
      onConnect: (first) => {
        state.connected = true;
        // Where each conversation's catch-up starts, read now: a live message that arrives while
        // the list loads would move lastSeqShown past what was missed while away.
        const shownAtConnect = new Map([...loaded.keys()].map((id) => [id, lastSeqShown(id)]));
        const resumeFrom = (id: string) => shownAtConnect.get(id) ?? 0;
        void (async () => {
          if (!first && session) {
            try {
              // Catch up on what happened while we were away, then send what waited.
              const conversations = await listConversations(session.visitorToken);
              for (const c of conversations) upsertConversation(c);
              for (const c of state.conversations) {
                if (loaded.has(c.id) && c.state !== 'ended')
                  await fetchAfter(c.id, resumeFrom(c.id));
              }
              const newest = state.conversations[0];
              if (newest) await fetchAfter(newest.id, resumeFrom(newest.id));
            } catch {
              // the next reconnect tries again
            }
          }
          await flush();
        })();
      },
      onDisconnect: () => {
        state.connected = false;
        state.agentTyping = false;
      },
      onAuthFailed: () => {
        // An expired or revoked token: start over with a fresh session.
        state.connected = false;
        void restart();
      },
      onMessage: ({ message, conversation }) => {
        upsertConversation(conversation as VisitorConversation);
        addMessages([message]);
        if (message.sender.type === 'agent') {
          state.agentTyping = false;
          options.bridge.post({
            type: 'message',
            message: {
              type: message.type,
              body: message.body,
              senderName: message.sender.name,
              createdAt: message.createdAt,
            },
          });
        }
      },
      onConversation: (conversation) => upsertConversation(conversation),
      onRead: ({ conversationId, side, seq }) => {
        const c = state.conversations.find((x) => x.id === conversationId);
        if (!c) return;
        upsertConversation(
          side === 'agent'
            ? { ...c, agentReadSeq: Math.max(c.agentReadSeq, seq) }
            : { ...c, visitorReadSeq: Math.max(c.visitorReadSeq, seq) },
        );
      },
      onTyping: ({ conversationId, side, isTyping }) => {
        if (side !== 'agent' || conversationId !== current.value?.id) return;
        state.agentTyping = isTyping;
        clearTimeout(typingTimer);
        if (isTyping) typingTimer = setTimeout(() => (state.agentTyping = false), 6000);
      },
      onQueuePosition: ({ conversationId, position }) => {
        const c = state.conversations.find((x) => x.id === conversationId);
        if (c) upsertConversation({ ...c, queuePosition: position });
      },
    });
  }

  async function restart(newIdentity?: string | null) {
    if (newIdentity !== undefined) identity = newIdentity;
    generation += 1;
    socket.value?.close();
    socket.value = null;
    session = null;
    loaded.clear();
    state.conversations = [];
    state.messages = [];
    state.outbox = [];
    state.connected = false;
    await start();
  }

  // ---- sending

  function persistOutbox() {
    if (outboxKey) saveOutbox(outboxKey, state.outbox);
  }

  function patchItem(clientMsgId: string, patch: Partial<OutboxItem>) {
    state.outbox = state.outbox.map((item) =>
      item.clientMsgId === clientMsgId ? { ...item, ...patch } : item,
    );
    persistOutbox();
  }

  function sendText(text: string) {
    const body = text.trim();
    if (!body) return;
    state.outbox = [
      ...state.outbox,
      {
        clientMsgId: newClientMsgId(),
        type: 'text',
        body,
        createdAt: Date.now(),
        state: 'waiting',
      },
    ];
    persistOutbox();
    stopTyping();
    void flush();
  }

  async function sendFile(file: File) {
    const type = file.type.startsWith('video/')
      ? 'video'
      : file.type.startsWith('image/')
        ? 'image'
        : null;
    if (!type) return;
    const clientMsgId = newClientMsgId();
    const localUrl = URL.createObjectURL(file);
    state.outbox = [
      ...state.outbox,
      {
        clientMsgId,
        type,
        body: '',
        createdAt: Date.now(),
        state: 'waiting',
        localUrl,
        progress: 0,
      },
    ];
    const prepared =
      type === 'image' ? await downscaleImage(file) : { blob: file, name: file.name };
    patchItem(clientMsgId, { blob: prepared.blob, name: prepared.name });
    void flush();
  }

  /** Sends the outbox in order, one at a time, while connected. */
  async function flush() {
    if (flushing) return;
    flushing = true;
    try {
      for (;;) {
        const sock = socket.value;
        if (!sock?.connected || !session) return;
        const item = state.outbox.find(
          (i) => i.state === 'waiting' && (i.type === 'text' || i.file || i.blob),
        );
        if (!item) return;
        const outcome = await deliver(sock, session.visitorToken, item);
        if (outcome === 'stop') return;
      }
    } finally {
      flushing = false;
    }
  }

  async function deliver(
    sock: VisitorSocket,
    token: string,
    item: OutboxItem,
  ): Promise<'next' | 'stop'> {
    const id = item.clientMsgId;
    const gen = generation;
    patchItem(id, { state: 'sending', errorCode: undefined });
    try {
      let input: SendInput;
      if (item.type === 'text') {
        input = { clientMsgId: id, type: 'text', body: item.body };
      } else {
        let file = item.file;
        if (!file) {
          file = await uploadFile(token, item.blob!, item.name ?? 'file', (p) =>
            patchItem(id, { progress: p }),
          );
          patchItem(id, { file, blob: undefined, progress: 1 });
        }
        input = { clientMsgId: id, type: item.type, fileId: file.id };
      }
      const answer = await sock.send(input);
      // The visitor changed meanwhile: this answer belongs to the previous one.
      if (gen !== generation) return 'stop';
      upsertConversation(answer.conversation);
      addMessages([answer.message]);
      return 'next';
    } catch (error) {
      const apiError = error instanceof ApiError ? error : new ApiError('INTERNAL', String(error));
      if (apiError.transient) {
        patchItem(id, { state: 'waiting' });
        return 'stop';
      }
      if (apiError.code === 'RATE_LIMITED') {
        // Sending too fast: the message waits its turn and goes out by itself.
        patchItem(id, { state: 'waiting' });
        setTimeout(() => void flush(), (apiError.retryAfterSeconds ?? 2) * 1000);
        return 'stop';
      }
      patchItem(id, { state: 'failed', errorCode: apiError.code });
      return 'next';
    }
  }

  function retry(clientMsgId: string) {
    patchItem(clientMsgId, { state: 'waiting' });
    void flush();
  }

  function discard(clientMsgId: string) {
    const item = state.outbox.find((i) => i.clientMsgId === clientMsgId);
    if (item?.localUrl) URL.revokeObjectURL(item.localUrl);
    state.outbox = state.outbox.filter((i) => i.clientMsgId !== clientMsgId);
    persistOutbox();
  }

  // ---- typing and reading

  function typing() {
    const c = current.value;
    if (!c || c.state === 'ended' || !socket.value) return;
    const now = Date.now();
    if (now - lastTypingSent > 2000) {
      lastTypingSent = now;
      socket.value.typing(c.id, true);
    }
    clearTimeout(selfTypingStop);
    selfTypingStop = setTimeout(stopTyping, 3000);
  }

  function stopTyping() {
    clearTimeout(selfTypingStop);
    const c = current.value;
    if (lastTypingSent && c && socket.value) socket.value.typing(c.id, false);
    lastTypingSent = 0;
  }

  async function markRead() {
    const c = current.value;
    const sock = socket.value;
    if (!c || !sock?.connected || !state.visible || !state.panelOpen) return;
    const seq = lastSeqShown(c.id);
    if (seq <= c.visitorReadSeq) return;
    try {
      const answer = await sock.markRead(c.id, seq);
      const latest = state.conversations.find((x) => x.id === c.id);
      if (latest)
        upsertConversation({
          ...latest,
          visitorReadSeq: Math.max(latest.visitorReadSeq, answer.seq),
        });
    } catch {
      // tried again on the next change
    }
  }

  watch(
    () => [
      state.messages.length,
      state.visible,
      state.panelOpen,
      state.connected,
      current.value?.id,
    ],
    () => void markRead(),
  );
  watch(unread, (count) => options.bridge.post({ type: 'unread', count }));

  document.addEventListener('visibilitychange', () => {
    state.visible = document.visibilityState === 'visible';
  });
  window.addEventListener('online', () => {
    state.browserOnline = true;
    void flush();
  });
  window.addEventListener('offline', () => (state.browserOnline = false));

  options.bridge.onCommand((command) => {
    if (command.type === 'visibility') state.panelOpen = command.open;
    else if (command.type === 'setUser') void restart(command.identity);
    else if (command.type === 'logout') {
      if (options.channelId) safeRemove(tokenKey(options.channelId));
      void restart(null);
    }
  });

  return {
    state,
    current,
    hasOlder,
    unread,
    start,
    loadOlder,
    sendText,
    sendFile,
    retry,
    discard,
    typing,
  };
}

export type ChatStore = ReturnType<typeof createChatStore>;

function safeGet(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}
function safeSet(key: string, value: string) {
  try {
    localStorage.setItem(key, value);
  } catch {
    // storage blocked: the visitor stays anonymous for this page only
  }
}
function safeRemove(key: string) {
  try {
    localStorage.removeItem(key);
  } catch {
    // ignore
  }
}
