import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type {
  CreateSavedReplyRequest,
  SavedReply,
  UpdateSavedReplyRequest,
} from '@servicesystem/protocol';
import { api } from '../api/http';
import { useSessionStore } from './session';

/** The saved replies this console user sees: their personal ones, then the shared ones. */
export const useSavedRepliesStore = defineStore('savedReplies', () => {
  const session = useSessionStore();
  const list = ref<SavedReply[]>([]);
  /** Whose list it is: after a sign-out and another sign-in, the last person's is not shown. */
  const loadedFor = ref<string | null>(null);
  let loading: Promise<void> | null = null;

  const loaded = computed(
    () => loadedFor.value !== null && loadedFor.value === session.account?.id,
  );
  const items = computed(() => (loaded.value ? list.value : []));

  const personal = computed(() => items.value.filter((r) => r.scope === 'personal'));
  const shared = computed(() => items.value.filter((r) => r.scope === 'shared'));

  /** Fetches the list again (another admin may have changed the shared ones); one at a time. */
  function load(): Promise<void> {
    const accountId = session.account?.id ?? null;
    loading ??= api
      .savedReplies()
      .then(({ savedReplies }) => {
        list.value = savedReplies;
        loadedFor.value = accountId;
      })
      .finally(() => (loading = null));
    return loading;
  }

  async function create(body: CreateSavedReplyRequest): Promise<SavedReply> {
    const { savedReply } = await api.createSavedReply(body);
    await load().catch(() => undefined);
    return savedReply;
  }

  async function update(id: string, body: UpdateSavedReplyRequest): Promise<SavedReply> {
    const { savedReply } = await api.updateSavedReply(id, body);
    await load().catch(() => undefined);
    return savedReply;
  }

  async function remove(id: string): Promise<void> {
    await api.deleteSavedReply(id);
    list.value = list.value.filter((r) => r.id !== id);
  }

  return { items, loaded, personal, shared, load, create, update, remove };
});
