import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { SearchResult } from '@servicesystem/protocol/wire';
import { api } from '../api/http';
import { useConversationsStore } from './conversations';

/**
 * Full-text search (GET /api/v1/search): the query as typed, the latest answer, and where to
 * jump once a result opens its conversation. Answers that arrive out of order are dropped.
 */
export const useSearchStore = defineStore('search', () => {
  const query = ref('');
  const results = shallowRef<SearchResult[]>([]);
  const loading = ref(false);
  const failed = ref<string | null>(null);
  /** Open a conversation at this message (seq) or note, once: ChatPane takes it. */
  const jump = ref<{ conversationId: string; seq: number | null; noteId: string | null } | null>(
    null,
  );
  let asked = 0;

  async function run(q: string): Promise<void> {
    const mine = ++asked;
    const text = q.trim();
    if (Array.from(text).length < 2) {
      results.value = [];
      loading.value = false;
      failed.value = null;
      return;
    }
    loading.value = true;
    try {
      const answer = await api.search(text);
      if (mine !== asked) return;
      results.value = answer.results;
      failed.value = null;
    } catch (e) {
      if (mine !== asked) return;
      failed.value = (e as Error).message;
    } finally {
      if (mine === asked) loading.value = false;
    }
  }

  function clear(): void {
    asked++;
    query.value = '';
    results.value = [];
    loading.value = false;
    failed.value = null;
  }

  /**
   * A result chosen: its conversation joins the store and ChatPane is told where to jump. Answers
   * the conversation's id, for the caller to open it its own way (the workspace, the drawer).
   */
  function aim(result: SearchResult): string {
    useConversationsStore().upsert(result.conversation);
    jump.value = {
      conversationId: result.conversation.id,
      seq: result.match.seq,
      noteId: result.match.noteId,
    };
    return result.conversation.id;
  }

  return { query, results, loading, failed, jump, run, clear, aim };
});
