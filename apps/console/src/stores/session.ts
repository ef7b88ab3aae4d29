import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { Account, AgentPresence, AgentStatus } from '@servicesystem/protocol';
import { api } from '../api/http';

/** Who is signed in, their status, the socket's state, and everyone's presence. */
export const useSessionStore = defineStore('session', () => {
  const account = ref<Account | null>(null);
  const checked = ref(false);
  /**
   * My status as the server reports it (presence lists, agent.status events); null until it has.
   * The server remembers the status an agent chose and applies it when their console connects,
   * so the console never assumes one.
   */
  const status = ref<AgentStatus | null>(null);
  const connected = ref(false);
  /** True once the first connection is up: before it no "disconnected" banner is shown. */
  const everConnected = ref(false);
  const presence = ref<Record<string, AgentPresence>>({});

  const isAdmin = computed(() => account.value?.role === 'admin');
  const agents = computed(() =>
    Object.values(presence.value).sort((a, b) => a.displayName.localeCompare(b.displayName)),
  );

  async function restore(): Promise<void> {
    if (checked.value) return;
    try {
      account.value = (await api.me()).account;
    } catch {
      account.value = null;
    }
    checked.value = true;
  }

  async function login(username: string, password: string): Promise<void> {
    status.value = null;
    account.value = (await api.login(username, password)).account;
    checked.value = true;
  }

  async function logout(): Promise<void> {
    try {
      await api.logout();
    } finally {
      account.value = null;
      presence.value = {};
      status.value = null;
    }
  }

  function setPresence(list: AgentPresence[]): void {
    const next: Record<string, AgentPresence> = {};
    for (const a of list) next[a.id] = a;
    presence.value = next;
    const mine = account.value && next[account.value.id];
    if (mine) status.value = mine.status;
  }

  function updatePresence(p: AgentPresence): void {
    presence.value = { ...presence.value, [p.id]: p };
    if (p.id === account.value?.id) status.value = p.status;
  }

  async function loadPresence(): Promise<void> {
    setPresence((await api.presence()).agents);
  }

  async function setStatus(next: AgentStatus): Promise<void> {
    // The socket module (and socket.io-client) comes with the pages that connect, never with the
    // login page, which also uses this store: by the time the socket is connected it is loaded.
    const { agent } = connected.value
      ? await (await import('../api/socket')).live.setStatus(next)
      : await api.setStatus(next);
    updatePresence(agent);
  }

  return {
    account,
    checked,
    status,
    connected,
    everConnected,
    presence,
    agents,
    isAdmin,
    restore,
    login,
    logout,
    setPresence,
    updatePresence,
    loadPresence,
    setStatus,
  };
});
