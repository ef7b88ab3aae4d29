import { watch } from 'vue';
import { conversationOf } from '@servicesystem/chat-client';
import { api } from '../api/http';
import { connect, disconnect, on, resume, suspend } from '../api/socket';
import { chime, notify } from '../lib/alerts';
import { previewOf } from '../lib/format';
import { i18n } from '../i18n';
import { router } from '../router';
import { useConversationsStore } from './conversations';
import { useMessagesStore } from './messages';
import { useNotesStore } from './notes';
import { useLabelsStore } from './labels';
import { useSessionStore } from './session';
import { useVisitorContextsStore } from './visitorContexts';

const typingTimers = new Map<string, ReturnType<typeof setTimeout>>();
let started = false;
const goOffline = () => suspend();
const goOnline = () => resume();

function signedOut(): void {
  stopRealtime();
  useSessionStore().account = null;
  void router.replace({ name: 'login' });
}

/** Connects the socket and routes its events into the stores; resyncs after every reconnect. */
export function startRealtime(): void {
  if (started) return;
  started = true;
  const session = useSessionStore();
  const conversations = useConversationsStore();
  const messages = useMessagesStore();
  const notes = useNotesStore();

  connect({
    onConnect(first) {
      session.connected = true;
      session.everConnected = true;
      // Where each thread's catch-up starts, read now: live events that arrive while the list
      // loads would move it past what was missed while away.
      // (The first connection has nothing to catch up; what was written before it goes out.)
      const resyncFrom = first ? {} : messages.resyncPoints();
      void (async () => {
        if (session.isAdmin) await conversations.loadMonitor().catch(() => undefined);
        else await conversations.loadMine().catch(() => undefined);
        void conversations.loadCounts().catch(() => undefined);
        void useLabelsStore()
          .load()
          .catch(() => undefined);
        await messages.resyncAll(resyncFrom);
        if (!first) await notes.reloadLoaded();
        const open = conversations.selectedId;
        if (open && document.visibilityState === 'visible') void conversations.markRead(open);
      })();
    },
    onDisconnect(reason) {
      session.connected = false;
      // The server closed it: the session ended, or the server restarts. Check which.
      if (reason === 'io server disconnect') {
        api.me().then(
          ({ account }) => {
            // A role change also ends the socket: take the new role and its home page.
            const roleChanged = session.account?.role !== account.role;
            session.account = account;
            if (roleChanged) void router.replace('/');
            resume();
          },
          () => signedOut(),
        );
      }
    },
    onUnauthenticated: () => signedOut(),
  });
  window.addEventListener('offline', goOffline);
  window.addEventListener('online', goOnline);

  on('message.created', (event) => {
    const { message } = event;
    // The event's conversation comes without lastMessage: it is this message.
    const conversation = conversationOf(event);
    messages.add([message]);
    conversations.upsert(conversation);
    if (message.sender.type === 'visitor') {
      conversations.visitorTyping[conversation.id] = false;
    }
    const mine = conversation.agent?.id === session.account?.id && !session.isAdmin;
    if (!mine || message.sender.type !== 'visitor') return;
    const looking =
      conversations.selectedId === conversation.id && document.visibilityState === 'visible';
    if (looking) {
      void conversations.markRead(conversation.id);
      return;
    }
    // A left message's first words were announced with it (below): not twice.
    if (justAnnounced.has(conversation.id)) return;
    chime();
    notify(conversation.visitor.name, previewOf(message), () => {
      void router.push({ name: 'workspace' });
      void conversations.open(conversation.id);
    });
  });
  on('conversation.updated', ({ conversation }) => {
    const isNew = !conversations.byId[conversation.id];
    conversations.upsert(conversation);
    // A message left while nobody could answer: a sound and a desktop notification for whoever
    // hears of it first (admins while it waits, the agent it is routed to).
    if (!isNew || conversation.kind !== 'message' || conversation.state === 'ended') return;
    if (conversation.state === 'active' && conversation.agent?.id !== session.account?.id) return;
    justAnnounced.add(conversation.id);
    setTimeout(() => justAnnounced.delete(conversation.id), 5000);
    chime();
    notify(
      i18n.global.t('leftMessage.notify', { name: conversation.visitor.name }),
      conversation.leftMessage?.email ?? conversation.leftMessage?.phone ?? '',
      () => {
        void router.push({ name: 'workspace' });
        void conversations.open(conversation.id);
      },
    );
  });
  on('conversation.read', ({ conversationId, side, seq }) =>
    conversations.applyRead(conversationId, side, seq),
  );
  on('typing', ({ conversationId, side, isTyping }) => {
    if (side !== 'visitor') return;
    conversations.visitorTyping[conversationId] = isTyping;
    clearTimeout(typingTimers.get(conversationId));
    if (isTyping) {
      typingTimers.set(
        conversationId,
        setTimeout(() => (conversations.visitorTyping[conversationId] = false), 6000),
      );
    }
  });
  // An answer a language model is writing: chat-client keeps it beside the thread until the
  // stored message with its stream id replaces it, or the model gives up.
  on('robot.stream', (event) => messages.robotStream(event));
  on('agent.status', (p) => session.updatePresence(p));
  on('note.created', ({ note }) => notes.received(note));
  on('queue.count', ({ queued }) => conversations.queueCounted(queued));
  on('labels.changed', ({ labels }) => useLabelsStore().replace(labels));
  on('visitor.updated', (p) => useVisitorContextsStore().received(p));

  document.addEventListener('visibilitychange', () => {
    const open = conversations.selectedId;
    if (open && document.visibilityState === 'visible') void conversations.markRead(open);
  });

  // The tab's title: the server's unread counts (the visitor's messages only), and the left
  // messages waiting in the queue, in the language shown.
  const titleCount = () =>
    conversations.unreadTotal + conversations.queue.filter((c) => c.kind === 'message').length;
  watch(
    () => (titleCount() > 0 ? `(${titleCount()}) ` : '') + i18n.global.t('app.name'),
    (title) => (document.title = title),
    { immediate: true },
  );
}

/** Left messages announced in the last seconds (their first message is not chimed again). */
const justAnnounced = new Set<string>();

export function stopRealtime(): void {
  started = false;
  window.removeEventListener('offline', goOffline);
  window.removeEventListener('online', goOnline);
  disconnect();
  useConversationsStore().reset();
  useMessagesStore().reset();
  useNotesStore().reset();
  useSessionStore().connected = false;
}
