import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { applyRead as withRead, mergeConversation } from '@servicesystem/chat-client';
import type {
  Conversation,
  ConversationCounts,
  ConversationState,
  ReadSide,
} from '@servicesystem/protocol/wire';
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
  /** Each view's count (GET /conversations/counts), kept live by events. */
  const counts = ref<ConversationCounts>({ mine: 0, snoozed: 0, unassigned: 0, all: null });
  /** The workspace list's label filter (a label id), or null for every conversation. */
  const labelFilter = ref<string | null>(null);
  /** Hidden conversations that came back while this console watched: their ids, for a notice. */
  const woken = ref<string[]>([]);
  /** Conversations this console is showing again itself: their coming back is no news. */
  const showingAgain = new Set<string>();

  const session = useSessionStore();

  const selected = computed(() => (selectedId.value ? byId.value[selectedId.value] : undefined));

  const withLabel = (c: Conversation) =>
    labelFilter.value === null || (c.labels ?? []).some((l) => l.id === labelFilter.value);
  const myActive = (hidden: boolean) =>
    Object.values(byId.value)
      .filter(
        (c) =>
          c.state === 'active' &&
          c.agent?.id === session.account?.id &&
          (c.snooze !== null && c.snooze !== undefined) === hidden,
      )
      .sort((a, b) => b.lastActivityAt - a.lastActivityAt);

  /** My active conversations that are not hidden, latest activity first. */
  const mine = computed(() => myActive(false));
  /** My hidden (snoozed) conversations. */
  const snoozed = computed(() => myActive(true));
  /** The lists the workspace shows, with the label filter applied. */
  const mineShown = computed(() => mine.value.filter(withLabel));
  const snoozedShown = computed(() => snoozed.value.filter(withLabel));
  const queueShown = computed(() => queue.value.filter(withLabel));

  const unreadTotal = computed(() => mine.value.reduce((n, c) => n + c.unread, 0));

  /** Merges a fresh copy in (events and fetched lists arrive in any order; see chat-client). */
  function upsert(c: Conversation): void {
    const known = byId.value[c.id];
    const merged = mergeConversation(known, c, 'agent');
    // A message's copy carries no labels: keep the ones known.
    if (!c.labels && known?.labels) merged.labels = known.labels;
    // Hidden, then back without our doing (the visitor wrote, or its time came): say so.
    if (known?.snooze && !c.snooze && c.state === 'active' && !woken.value.includes(c.id)) {
      if (showingAgain.has(c.id)) showingAgain.delete(c.id);
      else if (c.agent?.id === session.account?.id) woken.value.push(c.id);
    }
    byId.value[c.id] = merged;
    if (!known || known.state !== c.state || !!known.snooze !== !!c.snooze) refreshCountsSoon();
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

  let countsTimer: ReturnType<typeof setTimeout> | undefined;
  /** Asks for the counts again, once, shortly after a burst of changes. */
  function refreshCountsSoon(): void {
    clearTimeout(countsTimer);
    countsTimer = setTimeout(() => void loadCounts().catch(() => undefined), 300);
  }

  async function loadCounts(): Promise<void> {
    counts.value = (await api.counts()).counts;
  }

  /** The queue changed size (`queue.count`): the count now, and the list if it is shown. */
  function queueCounted(queued: number): void {
    counts.value = { ...counts.value, unassigned: queued };
    if (queueWatched) void loadQueue().catch(() => undefined);
  }

  let queueWatched = false;
  async function loadQueue(): Promise<void> {
    queueWatched = true;
    const { conversations } = await api.conversations({ view: 'unassigned', limit: 100 });
    for (const c of conversations)
      byId.value[c.id] = mergeConversation(byId.value[c.id], c, 'agent');
    queue.value = conversations.map((c) => byId.value[c.id]!);
  }

  async function snooze(id: string, until?: number): Promise<void> {
    upsert((await api.snooze(id, until)).conversation);
    if (selectedId.value === id) selectedId.value = null;
  }

  async function unsnooze(id: string): Promise<void> {
    // Its conversation.updated may come before the answer: either one is ours.
    showingAgain.add(id);
    try {
      upsert((await api.unsnooze(id)).conversation);
    } finally {
      showingAgain.delete(id);
    }
  }

  async function addLabel(id: string, labelId: string): Promise<void> {
    upsert((await api.addLabel(id, labelId)).conversation);
  }

  async function removeLabel(id: string, labelId: string): Promise<void> {
    upsert((await api.removeLabel(id, labelId)).conversation);
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
    counts.value = { mine: 0, snoozed: 0, unassigned: 0, all: null };
    labelFilter.value = null;
    woken.value = [];
    queueWatched = false;
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
    snoozed,
    mineShown,
    snoozedShown,
    queueShown,
    counts,
    labelFilter,
    woken,
    loadCounts,
    loadQueue,
    queueCounted,
    snooze,
    unsnooze,
    addLabel,
    removeLabel,
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
