import { defineStore } from 'pinia';
import { computed, shallowRef } from 'vue';
import { ChatMessages, type OutboxItem, type RobotPreview } from '@servicesystem/chat-client';
import type { Conversation, Message, RobotStreamPayload } from '@servicesystem/protocol/wire';
import { upload } from '../api/http';
import { isConnected, live } from '../api/socket';
import { useConversationsStore } from './conversations';

/** A message I wrote that the server has not stored yet (see chat-client's outbox). */
export type PendingMessage = OutboxItem;

/**
 * Message history per conversation and my pending sends: chat-client's ChatMessages over the
 * console's socket, its state mirrored for Vue.
 */
export const useMessagesStore = defineStore('messages', () => {
  const conversations = useConversationsStore();
  const chat = new ChatMessages<Conversation>({
    transport: {
      listMessages: (conversationId, page) => live.list({ conversationId, ...page }),
      send: (message) => live.send(message),
      upload: (file, name, onProgress) => upload(file, onProgress, name),
      canSend: isConnected,
    },
    onSent: (conversation) => conversations.upsert(conversation),
    releaseLocalUrl: (url) => URL.revokeObjectURL(url),
    clientMsgIdPrefix: 'c',
  });
  const state = shallowRef(chat.state);
  chat.subscribe((next) => (state.value = next));

  const threads = computed(() => state.value.threads);
  /** Pending sends per conversation, in the order written. */
  const pending = computed(() => {
    const byConversation: Record<string, PendingMessage[]> = {};
    for (const item of state.value.outbox) {
      if (item.conversationId) (byConversation[item.conversationId] ??= []).push(item);
    }
    return byConversation;
  });

  function sendFile(conversationId: string, file: File): void {
    chat.sendFile(conversationId, {
      type: file.type.startsWith('video/') ? 'video' : 'image',
      source: { blob: file, name: file.name },
      localUrl: URL.createObjectURL(file),
    });
  }

  /** Robot answers being written (robot.stream), per conversation, in the order begun. */
  const robotPreviews = computed(() => {
    const byConversation: Record<string, RobotPreview[]> = {};
    for (const p of state.value.robotPreviews) (byConversation[p.conversationId] ??= []).push(p);
    return byConversation;
  });

  return {
    threads,
    pending,
    robotPreviews,
    robotStream: (event: RobotStreamPayload) => chat.robotStream(event),
    /** Stored messages from a live event or an answer. */
    add: (messages: Message[]) => chat.add(messages),
    /** Opens a thread: its newest page, or what came since it was open. */
    loadLatest: (id: string) => chat.loadNewest(id),
    loadOlder: (id: string) => chat.loadOlder(id),
    /** Read as the socket connects, before anything is awaited (see ChatMessages). */
    resyncPoints: () => chat.resyncPoints(),
    /** After a reconnect: catches every open thread up, then sends what waits. */
    resyncAll: (points: Record<string, number>) => chat.resync(points),
    sendText: (conversationId: string, body: string) => void chat.sendText(conversationId, body),
    sendFile,
    cancel: (p: PendingMessage) => chat.discard(p.clientMsgId),
    retry: (p: PendingMessage) => chat.retry(p.clientMsgId),
    reset: () => chat.reset(),
  };
});
