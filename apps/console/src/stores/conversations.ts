import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { applyRead as withRead, mergeConversation } from '@servicesystem/chat-client';
import type { Conversation, ConversationState, ReadSide } from '@servicesystem/protocol/wire';
import { api } from '../api/http';
import { live } from '../api/socket';
import { useSessionStore } from './session';

export interface MonitorFilter {
  state?: ConversationState;
  agentId?: string;
  channelId?: string;
}

/** Conversations the console knows, the one open, drafts and typing indicators. */
export const useConversationsStore = defineStore('conversations', () => {
  const byId = ref<Record<string, Conversation>>({});
  const selectedId = ref<string | null>(null);
  const drafts = ref<Record<string, string>>({});
  const visitorTyping = ref<Record<string, boolean>>({});
  const ended = ref<Conversation[]>([]);
  const endedQuery = ref('');
  const monitorFilter = ref<MonitorFilter>({});
  const monitor = ref<Conversation[]>([]);
  const queue = ref<Conversation[]>([]);

  const session = useSessionStore();

  const selected = computed(() => (selectedId.value ? byId.value[selectedId.value] : undefined));

  /** My active conversations, latest activity first. */
  const mine = computed(() =>
    Object.values(byId.value)
      .filter((c) => c.state === 'active' && c.agent?.id === session.account?.id)
      .sort((a, b) => b.lastActivityAt - a.lastActivityAt),
  );

  const unreadTotal = computed(() => mine.value.reduce((n, c) => n + c.unread, 0));

  /** Merges a fresh copy in (events and fetched lists arrive in any order; see chat-client). */
  function upsert(c: Conversation): void {
    byId.value[c.id] = mergeConversation(byId.value[c.id], c, 'agent');
    const patchList = (list: Conversation[]) => {
      const i = list.findIndex((x) => x.id === c.id);
      if (i >= 0) list[i] = byId.value[c.id]!;
    };
    patchList(ended.value);
    patchList(monitor.value);
    if (session.isAdmin) {
      refreshMonitorLocally(byId.value[c.id]!);
    }
  }

  function refreshMonitorLocally(c: Conversation): void {
    const f = monitorFilter.value;
    const matches =
      (!f.state || c.state === f.state) &&
      (!f.agentId || c.agent?.id === f.agentId) &&
      (!f.channelId || c.channelId === f.channelId);
    const i = monitor.value.findIndex((x) => x.id === c.id);
    if (matches && i < 0) monitor.value.unshift(c);
    if (!matches && i >= 0) monitor.value.splice(i, 1);
    monitor.value.sort((a, b) => b.lastActivityAt - a.lastActivityAt);
    const q = queue.value.findIndex((x) => x.id === c.id);
    if (c.state === 'queued' && q < 0) queue.value.push(c);
    if (c.state !== 'queued' && q >= 0) queue.value.splice(q, 1);
  }

  async function loadMine(): Promise<void> {
    const { conversations, agents } = await live.conversations({ state: 'active', limit: 100 });
    for (const c of conversations) upsert(c);
    // Conversations no longer mine (ended elsewhere, transferred away while offline).
    for (const c of Object.values(byId.value)) {
      if (
        c.state === 'active' &&
        c.agent?.id === session.account?.id &&
        !conversations.some((x) => x.id === c.id)
      ) {
        const { conversation } = await api.conversation(c.id).catch(() => ({ conversation: c }));
        byId.value[c.id] = mergeConversation(byId.value[c.id], conversation, 'agent');
      }
    }
    session.setPresence(agents);
  }

  async function searchEnded(q = endedQuery.value): Promise<void> {
    endedQuery.value = q;
    const { conversations } = await api.conversations({
      state: 'ended',
      q: q.trim() || undefined,
      agentId: session.isAdmin ? undefined : session.account?.id,
      limit: 50,
    });
    for (const c of conversations) if (!byId.value[c.id]) byId.value[c.id] = c;
    ended.value = conversations;
  }

  async function loadMonitor(filter: MonitorFilter = monitorFilter.value): Promise<void> {
    monitorFilter.value = filter;
    const [list, queued] = await Promise.all([
      live.conversations({ ...filter, limit: 100 }),
      live.conversations({ state: 'queued', limit: 100 }),
    ]);
    for (const c of [...list.conversations, ...queued.conversations])
      byId.value[c.id] = mergeConversation(byId.value[c.id], c, 'agent');
    monitor.value = list.conversations.map((c) => byId.value[c.id]!);
    queue.value = queued.conversations.map((c) => byId.value[c.id]!);
    session.setPresence(list.agents);
  }

  async function open(id: string): Promise<void> {
    selectedId.value = id;
    if (!byId.value[id]) upsert((await api.conversation(id)).conversation);
  }

  async function markRead(id: string): Promise<void> {
    const c = byId.value[id];
    if (!c || session.isAdmin || c.agent?.id !== session.account?.id) return;
    if (c.agentReadSeq >= c.lastSeq && c.unread === 0) return;
    const seq = c.lastSeq;
    byId.value[id] = withRead(c, 'agent', seq, 'agent');
    try {
      await live.read(id, seq);
    } catch {
      // retried on the next message or reconnect
    }
  }

  function applyRead(conversationId: string, side: ReadSide, seq: number): void {
    const c = byId.value[conversationId];
    if (c) byId.value[conversationId] = withRead(c, side, seq, 'agent');
  }

  async function end(id: string): Promise<void> {
    upsert((await live.end(id)).conversation);
  }

  async function transfer(id: string, agentId: string): Promise<void> {
    upsert((await live.transfer(id, agentId)).conversation);
  }

  async function assign(id: string, agentId: string): Promise<void> {
    upsert((await live.assign(id, agentId)).conversation);
  }

  /** The visitor's conversations this console user may see (agents: their own). */
  async function visitorHistory(visitorId: string): Promise<Conversation[]> {
    const { conversations } = await api.conversations({ visitorId, limit: 50 });
    return conversations;
  }

  /** Back to the list (on a narrow screen the list and the chat take turns). */
  function close(): void {
    selectedId.value = null;
  }

  function reset(): void {
    byId.value = {};
    selectedId.value = null;
    drafts.value = {};
    ended.value = [];
    monitor.value = [];
    queue.value = [];
  }

  return {
    byId,
    selectedId,
    selected,
    close,
    drafts,
    visitorTyping,
    ended,
    endedQuery,
    monitor,
    monitorFilter,
    queue,
    mine,
    unreadTotal,
    upsert,
    loadMine,
    searchEnded,
    loadMonitor,
    open,
    markRead,
    applyRead,
    end,
    transfer,
    assign,
    visitorHistory,
    reset,
  };
});
