import { defineStore } from 'pinia';
import { shallowRef } from 'vue';
import { mergeNotes, newClientMsgId } from '@servicesystem/chat-client';
import type { Note } from '@servicesystem/protocol/wire';
import { api } from '../api/http';
import { live } from '../api/socket';

/**
 * Internal notes per conversation: loaded when a conversation opens (and again after a
 * reconnect, for those loaded), added to as `note.created` arrives or a note of mine is stored.
 */
export const useNotesStore = defineStore('notes', () => {
  const byConversation = shallowRef<Record<string, readonly Note[]>>({});

  function add(conversationId: string, notes: readonly Note[]): void {
    const current = byConversation.value[conversationId] ?? [];
    const merged = mergeNotes(current, notes);
    if (merged !== current) {
      byConversation.value = { ...byConversation.value, [conversationId]: merged };
    }
  }

  async function load(conversationId: string): Promise<void> {
    const { notes } = await api.notes(conversationId);
    add(conversationId, notes);
  }

  /** Writes a note; the answer is the stored note (a retry with the same id stores it once). */
  async function write(conversationId: string, body: string): Promise<void> {
    const { note } = await live.note(conversationId, newClientMsgId('n'), body);
    add(conversationId, [note]);
  }

  return {
    byConversation,
    load,
    write,
    /** A note heard live. */
    received: (note: Note) => add(note.conversationId, [note]),
    /** After a reconnect: notes written meanwhile. */
    reloadLoaded: () =>
      Promise.all(Object.keys(byConversation.value).map((id) => load(id).catch(() => undefined))),
    reset: () => (byConversation.value = {}),
  };
});
