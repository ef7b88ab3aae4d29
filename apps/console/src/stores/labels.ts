import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { ConversationLabel, Label } from '@servicesystem/protocol/wire';
import { api } from '../api/http';

/** Every label, kept live by `labels.changed`: chips show the current name and colour. */
export const useLabelsStore = defineStore('labels', () => {
  const all = ref<Label[]>([]);
  const byId = computed(() => new Map(all.value.map((l) => [l.id, l])));

  async function load(): Promise<void> {
    all.value = (await api.labels()).labels;
  }

  function replace(labels: Label[]): void {
    all.value = labels;
  }

  /** A conversation's labels as they are now: renamed ones renamed, deleted ones gone. */
  function current(labels: ConversationLabel[] | undefined): ConversationLabel[] {
    return (labels ?? []).flatMap((l) => {
      const now = byId.value.get(l.id);
      return now ? [now] : all.value.length ? [] : [l];
    });
  }

  return { all, byId, load, replace, current };
});
