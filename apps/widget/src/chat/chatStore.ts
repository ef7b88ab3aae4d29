/**
 * The visitor's chat: session, conversations, messages, the outbox, typing and read state.
 * History, the outbox and resyncs are chat-client's ChatMessages over the page's API module;
 * components read this state and call its actions.
 */
import { computed, reactive, ref, shallowRef, watch, type Ref } from 'vue';
import {
  ApiError,
  ChatMessages,
  applyRead,
  checkMessageText,
  conversationOf,
  defaultRobotName,
  localRobotGreeting,
  mergeConversation,
  openRobotChoices,
  outboxFromJson,
  outboxToJson,
  readerLanguage,
  showsLocalGreeting,
  type Locale,
  type SessionRobot,
} from '@servicesystem/chat-client';
import type {
  LocalizedText,
  Message,
  VisitorContextReport,
  LeaveMessageRequest,
  VisitorConversation,
} from '@servicesystem/protocol/wire';
import {
  createSession,
  emailTranscript as postTranscript,
  leaveMessage as postLeftMessage,
  listConversations,
  listMessages,
  rateConversation,
  upload,
  VisitorSocket,
  type VisitorSession,
} from '../api/client';
import type { HostBridge } from './hostBridge';
import { cleanReport, createContextReporter } from './pageContext';
import { forgetVisitor, takeSession } from './openSession';
import { safeGet, safeRemove, safeSet } from './storage';

export type LoadState =
  | { kind: 'loading' }
  | { kind: 'ready' }
  | { kind: 'error'; reason: 'noChannel' | 'loadFailed' | 'identityFailed' | 'channelMissing' };

export interface ChatOptions {
  channelId: string | null;
  identity: string | null;
  /** A reply mail's link token (`resume` in the page's URL), used once. */
  resume?: string | null;
  bridge: HostBridge;
  /** What the page knows of where the visitor is before the website says more. */
  context: VisitorContextReport;
  /** The language the page shows: the robot greets, suggests and answers in it. */
  locale: Readonly<Ref<Locale>>;
  /** Called once the resume token has been used, to take it out of the address bar. */
  onResumeUsed?: () => void;
}

/** How old the channel's open/online answer may be when the visitor looks again. */
const channelRecheckMs = 30_000;

export function createChatStore(options: ChatOptions) {
  const socket = shallowRef<VisitorSocket | null>(null);
  let session: VisitorSession | null = null;
  let identity = options.identity;
  let resume = options.resume ?? null;
  /** Where the outbox is kept across reloads (per channel and visitor); '' while none is. */
  let outboxKey = '';
  let savedOutbox: string | null = null;
  let typingTimer: ReturnType<typeof setTimeout> | undefined;
  let lastTypingSent = 0;
  let selfTypingStop: ReturnType<typeof setTimeout> | undefined;
  let channelCheckedAt = 0;

  const notConnected = () => new ApiError('NETWORK', 'not connected');
  const pageContext = createContextReporter(
    (report) => socket.value?.reportContext(report) ?? Promise.reject(notConnected()),
    () => socket.value?.connected === true,
  );
  /** The browser's language as last reported (the website's report may name it too). */
  let browserLanguage = options.context.language;
  /** What the visitor reads, as the server is told: the robot speaks it (see readerLanguage). */
  const language = () => readerLanguage(browserLanguage, options.locale.value);
  /** A report with the language the visitor reads in place of the browser's. */
  function asRead(report: VisitorContextReport): VisitorContextReport {
    if (report.language) browserLanguage = report.language;
    return { ...report, language: language() };
  }
  pageContext.update(asRead(options.context));
  const chat = new ChatMessages<VisitorConversation>({
    transport: {
      listMessages: (conversationId, page) =>
        session
          ? listMessages(session.visitorToken, conversationId, page)
          : Promise.reject(notConnected()),
      send: (message) => socket.value?.send(message) ?? Promise.reject(notConnected()),
      upload: (file, name, onProgress) =>
        session
          ? upload(session.visitorToken, file, name, onProgress)
          : { promise: Promise.reject(notConnected()), cancel: () => undefined },
      canSend: () => session !== null && socket.value?.connected === true,
    },
    onSent: (conversation) => upsertConversation(conversation),
    releaseLocalUrl: (url) => URL.revokeObjectURL(url),
    clientMsgIdPrefix: 'w',
  });
  const chatState = shallowRef(chat.state);
  chat.subscribe((next) => {
    chatState.value = next;
    saveOutbox();
  });

  /** The visitor's conversations, newest first. */
  const conversations = ref<VisitorConversation[]>([]);
  /** Shown messages of every loaded conversation, oldest first. */
  const messages = computed<Message[]>(() => {
    const threads = chatState.value.threads;
    const oldestFirst = conversations.value.map((c) => c.id).reverse();
    return oldestFirst.flatMap((id) => threads[id]?.messages ?? []);
  });
  /** Robot answers being written in the shown conversations, in the order they began. */
  const robotPreviews = computed(() => {
    const shown = new Set(conversations.value.map((c) => c.id));
    return chatState.value.robotPreviews.filter((p) => shown.has(p.conversationId));
  });
  const state = reactive({
    load: { kind: 'loading' } as LoadState,
    channelName: '',
    /** False outside the channel's business hours (from the session). */
    channelOpen: true,
    /** Some agent was online when the session began (the empty state says so when not). */
    agentsOnline: true,
    welcomeMessage: null as LocalizedText | null,
    offHoursMessage: null as LocalizedText | null,
    /** Ask for a satisfaction rating when a conversation ends (the channel's setting). */
    ratingEnabled: false,
    /** Someone may answer now (open and an agent online); when not, the page offers the
     * leave-a-message form. */
    available: true,
    /** The server sends email: replies to a left message and transcripts can go by mail. */
    mail: false,
    /** The robot when it takes new conversations now (its greeting and suggestions are shown
     * before the first message), else null. */
    robot: null as SessionRobot | null,
    /** What became of a reply mail's link: `invalid` shows a notice (a fresh session instead). */
    resume: null as 'resumed' | 'invalid' | null,
    visitorId: '',
    conversations,
    messages,
    /** What the visitor wrote that the server has not stored yet, in the order written. */
    outbox: computed(() => chatState.value.outbox),
    connected: false,
    /** True once the socket has been up: before it the page says it is connecting, not back. */
    everConnected: false,
    browserOnline: navigator.onLine,
    agentTyping: false,
    robotPreviews,
    loadingOlder: false,
    /** The page is visible to the visitor (tab visible, and the embed panel open). */
    visible: document.visibilityState === 'visible',
    panelOpen: !options.bridge.embedded,
  });

  const current = computed<VisitorConversation | null>(() => state.conversations[0] ?? null);
  /** The oldest conversation whose messages are shown. */
  function oldestLoaded(): VisitorConversation | undefined {
    const threads = chatState.value.threads;
    return [...state.conversations].reverse().find((c) => threads[c.id]?.loaded);
  }
  const hasOlder = computed(() => {
    const oldest = oldestLoaded();
    if (!oldest) return false;
    if (chatState.value.threads[oldest.id]?.hasMoreBefore) return true;
    return state.conversations.indexOf(oldest) < state.conversations.length - 1;
  });
  /** The robot's questions the visitor may tap now (see openRobotChoices). */
  const robotChoices = computed(() => {
    const c = current.value;
    return c ? openRobotChoices(chatState.value.threads[c.id]?.messages ?? [], c.state) : null;
  });
  /**
   * The robot answers the conversation about to start: the page shows its greeting (and who
   * answers) itself until the stored greeting arrives (see showsLocalGreeting).
   */
  const robotFirst = computed(() => {
    const c = current.value;
    const thread = c ? (chatState.value.threads[c.id]?.messages ?? []) : [];
    return showsLocalGreeting(state.robot, c, thread);
  });
  /** The greeting the page shows before the first message, in the page's language; null when
   * there is none to show. */
  const localGreeting = computed(() =>
    robotFirst.value && state.robot ? localRobotGreeting(state.robot, options.locale.value) : null,
  );
  /**
   * The robot as the current conversation last showed it (its latest message's sender), or as
   * the session names it before the conversation starts; null when it is not in the picture.
   */
  const robot = computed(() => {
    if (robotFirst.value && state.robot)
      return { name: state.robot.name, avatarUrl: state.robot.avatarUrl };
    const c = current.value;
    const list = c ? (chatState.value.threads[c.id]?.messages ?? []) : [];
    for (let i = list.length - 1; i >= 0; i--) {
      const { sender } = list[i]!;
      if (sender.type === 'robot') return { name: sender.name, avatarUrl: sender.avatarUrl };
    }
    return c?.state === 'robot' ? { name: '', avatarUrl: null } : null;
  });
  /** The agents' (and the robot's) messages the visitor has not read: the server's count, kept,
   * never recomputed. */
  const unread = computed(() => state.conversations.reduce((sum, c) => sum + c.unread, 0));

  // ---- conversations

  function upsertConversation(conversation: VisitorConversation) {
    const index = state.conversations.findIndex((c) => c.id === conversation.id);
    if (index >= 0) {
      const next = [...state.conversations];
      next[index] = mergeConversation(state.conversations[index], conversation, 'visitor');
      state.conversations = next;
      return;
    }
    state.conversations = [
      mergeConversation(undefined, conversation, 'visitor'),
      ...state.conversations,
    ].sort((a, b) => b.createdAt - a.createdAt);
    // A conversation that has just begun (the visitor's first message, or another tab's).
    if (!chat.thread(conversation.id)?.loaded)
      void chat.loadFromStart(conversation.id).catch(() => undefined);
  }

  /** Pull-to-refresh: the page before the oldest shown message, or the previous conversation. */
  async function loadOlder() {
    if (!session || state.loadingOlder) return;
    state.loadingOlder = true;
    try {
      const oldest = oldestLoaded();
      if (!oldest) return;
      if (chatState.value.threads[oldest.id]?.hasMoreBefore) {
        await chat.loadOlder(oldest.id);
      } else {
        const previous = state.conversations[state.conversations.indexOf(oldest) + 1];
        if (previous) await chat.loadNewest(previous.id);
      }
    } catch {
      // offline: the visitor can pull again
    } finally {
      state.loadingOlder = false;
    }
  }

  // ---- session and socket

  function showChannel(channel: VisitorSession['channel']) {
    state.channelName = channel.name;
    state.channelOpen = channel.open;
    state.agentsOnline = channel.agentsOnline;
    state.welcomeMessage = channel.welcomeMessage;
    state.offHoursMessage = channel.offHoursMessage;
    // Older servers say nothing: no rating to ask for.
    state.ratingEnabled = channel.ratingEnabled === true;
    state.available = channel.available;
    state.mail = channel.mail;
    // Older servers say nothing of the robot.
    state.robot = channel.robot ?? null;
    channelCheckedAt = Date.now();
  }

  /**
   * Whether the channel is open and someone is online, asked again when the visitor comes back
   * to a page that has no conversation going (the empty state and the header say it): the
   * answer of the first load may be long out of date by then. `now`: asked at once (the visitor
   * chose another language: the robot's suggestions come in it).
   */
  async function refreshChannel(now = false) {
    const c = current.value;
    if (!session || !options.channelId || (c && c.state !== 'ended')) return;
    // While nobody can answer (the page offers the form), asked again sooner: an agent who has
    // come online since should be reachable.
    if (!now && Date.now() - channelCheckedAt < (state.available ? channelRecheckMs : 5000)) return;
    channelCheckedAt = Date.now();
    const asked = session;
    try {
      const fresh = identity
        ? await createSession(options.channelId, language(), identity)
        : await createSession(options.channelId, language(), undefined, asked.visitorToken);
      if (session === asked && fresh.visitor.id === asked.visitor.id) showChannel(fresh.channel);
    } catch {
      // the last known words stay
    }
  }

  async function start() {
    if (!options.channelId) {
      state.load = { kind: 'error', reason: 'noChannel' };
      return;
    }
    state.load = { kind: 'loading' };
    const channelId = options.channelId;
    const opened = takeSession(channelId, identity, resume, language());
    try {
      session = await opened.session;
      if (resume) {
        state.resume = session.resume ?? null;
        resume = null;
        options.onResumeUsed?.();
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
    showChannel(session.channel);
    state.visitorId = session.visitor.id;
    outboxKey = `servicesystem.outbox.${channelId}.${session.visitor.id}`;
    savedOutbox = safeGet(outboxKey);
    chat.restoreOutbox(outboxFromJson(savedOutbox));
    // The socket connects while the history loads: one round trip less before the page is live.
    // What it brings meanwhile is merged with the list, as after a reconnect.
    connect(session.visitorToken);
    try {
      const listed = await opened.conversations;
      const merged = listed.map((c) =>
        mergeConversation(
          state.conversations.find((x) => x.id === c.id),
          c,
          'visitor',
        ),
      );
      const begunMeanwhile = state.conversations.filter((x) => !listed.some((c) => c.id === x.id));
      state.conversations = [...merged, ...begunMeanwhile].sort(
        (a, b) => b.createdAt - a.createdAt,
      );
      const newest = state.conversations[0];
      if (newest) await chat.loadNewest(newest.id);
      // An earlier conversation with an agent's reply not read yet is shown too, to be read.
      for (const earlier of state.conversations.slice(1)) {
        if (earlier.unread > 0) await chat.loadNewest(earlier.id);
      }
    } catch {
      socket.value?.close();
      socket.value = null;
      state.connected = false;
      state.load = { kind: 'error', reason: 'loadFailed' };
      return;
    }
    state.load = { kind: 'ready' };
    options.bridge.post({ type: 'ready' });
    options.bridge.post({ type: 'unread', count: unread.value });
  }

  function connect(token: string) {
    socket.value?.close();
    socket.value = new VisitorSocket(token, {
      onConnect: (first) => {
        state.connected = true;
        state.everConnected = true;
        pageContext.resend();
        // Where each conversation's catch-up starts, read now: a live message that arrives while
        // the list loads would move the last seq shown past what was missed while away.
        const points = chat.resyncPoints();
        void (async () => {
          if (first || !session) return chat.flush();
          try {
            // What changed while we were away: states, agents, conversations begun elsewhere.
            for (const c of await listConversations(session.visitorToken)) upsertConversation(c);
          } catch {
            // the catch-up below still runs; the next reconnect tries again
          }
          // Every shown conversation from its point, then what waited in the outbox.
          await chat.resync(points);
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
      onMessage: (event) => {
        const { message } = event;
        upsertConversation(conversationOf(event));
        chat.add([message]);
        // The website hears of the robot's answers as of the agents' replies.
        if (message.sender.type === 'agent' || message.sender.type === 'robot') {
          if (message.sender.type === 'agent') state.agentTyping = false;
          options.bridge.post({
            type: 'message',
            message: {
              type: message.type,
              body: message.body,
              senderName:
                message.sender.type === 'robot' && !message.sender.name.trim()
                  ? defaultRobotName[pageLocale()]
                  : message.sender.name,
              createdAt: message.createdAt,
            },
          });
        }
      },
      onConversation: (conversation) => upsertConversation(conversation),
      onRead: ({ conversationId, side, seq }) => {
        const c = state.conversations.find((x) => x.id === conversationId);
        if (c) upsertConversation(applyRead(c, side, seq, 'visitor'));
      },
      onTyping: ({ conversationId, side, isTyping }) => {
        if (side !== 'agent' || conversationId !== current.value?.id) return;
        state.agentTyping = isTyping;
        clearTimeout(typingTimer);
        if (isTyping) typingTimer = setTimeout(() => (state.agentTyping = false), 6000);
      },
      onQueuePosition: ({ conversationId, position, reason }) => {
        const c = state.conversations.find((x) => x.id === conversationId);
        if (c) upsertConversation({ ...c, queuePosition: position, queueReason: reason ?? null });
      },
      onRobotStream: (payload) => chat.robotStream(payload),
    });
  }

  /** Another visitor (setUser, logout): what belonged to the previous one is dropped. */
  async function restart(newIdentity?: string | null) {
    if (newIdentity !== undefined) identity = newIdentity;
    socket.value?.close();
    socket.value = null;
    session = null;
    // The previous visitor's kept outbox stays where it is, for their return.
    outboxKey = '';
    chat.reset();
    state.conversations = [];
    state.connected = false;
    state.everConnected = false;
    await start();
  }

  // ---- sending

  function saveOutbox() {
    if (!outboxKey) return;
    const json = outboxToJson(chatState.value.outbox);
    if (json === savedOutbox) return;
    savedOutbox = json;
    if (json === null) safeRemove(outboxKey);
    else safeSet(outboxKey, json);
  }

  /** `choice`: the text answers the robot (a choice's entry id, or `handoff`). */
  function sendText(text: string, choice?: string) {
    const checked = checkMessageText(text);
    if (!checked.ok) return;
    chat.sendText(null, checked.body, choice);
    stopTyping();
  }

  function sendFile(file: File) {
    const type = file.type.startsWith('video/')
      ? 'video'
      : file.type.startsWith('image/')
        ? 'image'
        : null;
    if (!type) return;
    chat.sendFile(null, {
      type,
      // Shown at once from the original; big photos are made smaller before the upload (by code
      // loaded when the first photo is sent).
      source:
        type === 'image'
          ? import('./downscaleImage').then(({ downscaleImage }) => downscaleImage(file))
          : { blob: file, name: file.name },
      localUrl: URL.createObjectURL(file),
    });
  }

  function retry(clientMsgId: string) {
    chat.retry(clientMsgId);
  }

  function discard(clientMsgId: string) {
    chat.discard(clientMsgId);
  }

  // ---- leaving a message, and the transcript by email

  /** The form shown when nobody can answer: starts a left-message conversation. Throws the
   * server's refusal (ApiError) for the form to show. */
  async function leaveMessage(fields: Omit<LeaveMessageRequest, 'locale' | 'timeZone'>) {
    if (!session) throw notConnected();
    const left = await postLeftMessage(session.visitorToken, {
      ...fields,
      locale: pageLocale(),
      timeZone: visitorTimeZone(),
    });
    upsertConversation(left.conversation);
    chat.add([left.message]);
    return left;
  }

  /** Mails an ended conversation's transcript to `email`. Throws ApiError. */
  async function emailTranscript(conversationId: string, email: string) {
    if (!session) throw notConnected();
    await postTranscript(session.visitorToken, conversationId, {
      email,
      locale: pageLocale(),
      timeZone: visitorTimeZone(),
    });
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

  /** The visitor sees the page: every shown conversation is read up to its last shown message. */
  async function markRead() {
    const sock = socket.value;
    if (!sock?.connected || !state.visible || !state.panelOpen) return;
    for (const c of state.conversations) {
      if (!chat.thread(c.id)?.loaded) continue;
      const seq = chat.lastSeq(c.id);
      if (seq <= c.visitorReadSeq) continue;
      try {
        const answer = await sock.markRead(c.id, seq);
        const latest = state.conversations.find((x) => x.id === c.id);
        if (latest) upsertConversation(applyRead(latest, 'visitor', answer.seq, 'visitor'));
      } catch {
        // tried again on the next change
      }
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
    if (state.visible) pageContext.resend();
  });
  watch(
    () => state.visible && state.panelOpen,
    (looking) => {
      if (looking) void refreshChannel();
    },
  );
  window.addEventListener('online', () => {
    state.browserOnline = true;
    void chat.flush();
  });
  window.addEventListener('offline', () => (state.browserOnline = false));

  options.bridge.onCommand((command) => {
    if (command.type === 'visibility') state.panelOpen = command.open;
    else if (command.type === 'setUser') void restart(command.identity);
    else if (command.type === 'logout') {
      if (options.channelId) forgetVisitor(options.channelId);
      void restart(null);
    } else if (command.type === 'context') pageContext.update(asRead(cleanReport(command.page)));
  });

  // Another language chosen: the robot speaks it from now on, and the suggestions shown before
  // the first message come in it.
  watch(options.locale, () => {
    pageContext.update(asRead({}));
    void refreshChannel(true);
  });

  /**
   * The visitor rates a conversation that ended. Kept on the conversation at once (the server
   * says the same on every later load), and the website hears of it (the embed's `rating`).
   * Throws the server's refusal (ApiError) for the card to show.
   */
  async function rate(conversationId: string, score: number, comment: string): Promise<void> {
    if (!session) throw new Error('no session');
    const trimmed = comment.trim();
    const rating = await rateConversation(session.visitorToken, conversationId, {
      score,
      ...(trimmed ? { comment: trimmed } : {}),
    });
    const known = state.conversations.find((c) => c.id === conversationId);
    if (known) upsertConversation({ ...known, rating });
    options.bridge.post({ type: 'rating', conversationId, score: rating.score });
  }

  return {
    state,
    current,
    rate,
    hasOlder,
    unread,
    robot,
    robotChoices,
    robotFirst,
    localGreeting,
    start,
    loadOlder,
    sendText,
    sendFile,
    retry,
    discard,
    typing,
    leaveMessage,
    emailTranscript,
  };
}

/** The language the page shows (set on <html lang> by pageLanguage). */
function pageLocale(): 'en' | 'zh-CN' {
  return document.documentElement.lang === 'en' ? 'en' : 'zh-CN';
}

/** The browser's time zone, for the times in mails (UTC when it cannot say). */
function visitorTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

export type ChatStore = ReturnType<typeof createChatStore>;
