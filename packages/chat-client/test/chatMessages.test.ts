import { afterEach, describe, expect, it, vi } from 'vitest';
import type {
  Conversation,
  FileInfo,
  Message,
  SocketSendMessage,
} from '@servicesystem/protocol/wire';
import { ApiError } from '../src/apiError.js';
import {
  ChatMessages,
  type ChatTransport,
  type PageRequest,
  type UploadSource,
} from '../src/chatMessages.js';
import type { UploadHandle } from '../src/http.js';
import { conversation, fileInfo, message, messages, pageOf } from './factories.js';

/** Lets every settled promise run its callbacks. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A server in memory, with the real one's rules: seqs per conversation, a send with a
 * clientMsgId it has stored is answered with the stored message, pages as the protocol says.
 */
function fakeServer() {
  const stored: Message[] = [];
  const lists: Array<{ conversationId: string } & PageRequest> = [];
  const sends: SocketSendMessage[] = [];
  const uploads: Array<{
    name: string;
    progress(f: number): void;
    finish(f: FileInfo): void;
    fail(e: ApiError): void;
    cancelled: boolean;
  }> = [];
  const control = {
    connected: true,
    /** Answer for a send instead of storing it. */
    refuse: null as null | ((m: SocketSendMessage) => ApiError | null),
    /** Store the message but lose the acknowledgement (the socket dropped). */
    loseAck: false,
    /** Sends wait on this before they are answered. */
    gate: null as null | Promise<void>,
  };

  function store(conversationId: string, fields: Partial<Message>): Message {
    const seq = stored.filter((m) => m.conversationId === conversationId).length + 1;
    const m = message(seq, { id: `${conversationId}-${seq}`, conversationId, ...fields });
    stored.push(m);
    return m;
  }
  const of = (id: string) => stored.filter((m) => m.conversationId === id);

  const transport: ChatTransport<Conversation> = {
    async listMessages(conversationId, page) {
      lists.push({ conversationId, ...page });
      return pageOf(of(conversationId), page);
    },
    async send(input) {
      sends.push(input);
      if (!control.connected) throw new ApiError('NETWORK', 'not connected');
      if (control.gate) await control.gate;
      const refusal = control.refuse?.(input);
      if (refusal) throw refusal;
      const conversationId = input.conversationId ?? 'c1';
      const m =
        stored.find((x) => x.clientMsgId === input.clientMsgId) ??
        store(conversationId, {
          clientMsgId: input.clientMsgId,
          type: input.type,
          body: input.body ?? '',
          sender: { type: 'agent', id: 'a1', name: 'Alice', avatarUrl: null },
          attachment: 'fileId' in input ? fileInfo(input.fileId) : null,
        });
      if (control.loseAck) throw new ApiError('TIMEOUT', 'no answer');
      return {
        message: m,
        conversation: conversation({ id: conversationId, lastSeq: of(conversationId).length }),
      };
    },
    upload(_file, name, onProgress): UploadHandle {
      let finish!: (f: FileInfo) => void;
      let fail!: (e: ApiError) => void;
      const promise = new Promise<FileInfo>((resolve, reject) => {
        finish = resolve;
        fail = reject;
      });
      const upload = { name, progress: onProgress, finish, fail, cancelled: false };
      uploads.push(upload);
      return {
        promise,
        cancel: () => {
          upload.cancelled = true;
          fail(new ApiError('CANCELLED', 'cancelled'));
        },
      };
    },
    canSend: () => control.connected,
  };
  return { stored, lists, sends, uploads, control, transport, store, of };
}

function setup(options: { pageSize?: number } = {}) {
  const server = fakeServer();
  const sent: Array<[Conversation, Message]> = [];
  const released: string[] = [];
  const chat = new ChatMessages<Conversation>({
    transport: server.transport,
    onSent: (c, m) => sent.push([c, m]),
    releaseLocalUrl: (url) => released.push(url),
    clientMsgIdPrefix: 't',
    retryDelayMs: 1000,
    ...options,
  });
  const shown = (id = 'c1') => (chat.thread(id)?.messages ?? []).map((m) => m.seq);
  const bodies = (id = 'c1') => (chat.thread(id)?.messages ?? []).map((m) => m.body);
  return { server, chat, sent, released, shown, bodies };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('history', () => {
  it('opens with the newest page and pages back until the first message', async () => {
    const { server, chat, shown } = setup({ pageSize: 30 });
    for (let i = 0; i < 70; i++) server.store('c1', {});
    await chat.loadNewest('c1');
    expect(shown()).toEqual(messages(41, 70).map((m) => m.seq));
    expect(chat.thread('c1')).toMatchObject({ loaded: true, hasMoreBefore: true });
    expect(await chat.loadOlder('c1')).toBe(true);
    expect(await chat.loadOlder('c1')).toBe(true);
    expect(chat.thread('c1')).toMatchObject({ hasMoreBefore: false, loadingOlder: false });
    expect(await chat.loadOlder('c1')).toBe(false);
    expect(shown()).toEqual(messages(1, 70).map((m) => m.seq));
    expect(server.lists.map((q) => q.before)).toEqual([undefined, 41, 11]);
  });

  it('shows live messages that come out of order or twice once each, in seq order', async () => {
    const { server, chat, shown } = setup();
    for (let i = 0; i < 3; i++) server.store('c1', {});
    await chat.loadNewest('c1');
    const [m4, m5, m6] = [4, 5, 6].map(() => server.store('c1', {}));
    chat.add([m6!]);
    chat.add([m4!, m6!]);
    chat.add([m5!, m4!]);
    expect(shown()).toEqual([1, 2, 3, 4, 5, 6]);
    // Messages of other conversations go to their own threads.
    chat.add([message(1, { id: 'x1', conversationId: 'c2' })]);
    expect(shown()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(shown('c2')).toEqual([1]);
  });

  it('fills the gap left while away, page by page from each page, with live messages racing', async () => {
    const { server, chat, shown } = setup();
    for (let i = 0; i < 3; i++) server.store('c1', {});
    await chat.loadNewest('c1');
    // Away: 250 messages are stored. Back: the points are read as the socket connects...
    for (let i = 0; i < 250; i++) server.store('c1', {});
    const points = chat.resyncPoints();
    expect(points).toEqual({ c1: 3 });
    // ...and a live message arrives before the catch-up asks anything.
    const live = server.store('c1', { body: 'live' });
    chat.add([live]);
    expect(shown()).toEqual([1, 2, 3, 254]);
    server.lists.length = 0;
    await chat.resync(points);
    expect(server.lists.map((q) => [q.after, q.limit])).toEqual([
      [3, 100],
      [103, 100],
      [203, 100],
    ]);
    expect(shown()).toEqual(messages(1, 254).map((m) => m.seq));
  });

  it('catches up only loaded threads, and the others still when one fails', async () => {
    const { server, chat, shown } = setup();
    server.store('c1', {});
    server.store('c2', {});
    await chat.loadNewest('c1');
    await chat.loadNewest('c2');
    chat.add([message(1, { id: 'c3-1', conversationId: 'c3' })]); // live only: not loaded
    server.store('c1', {});
    server.store('c2', {});
    const points = chat.resyncPoints();
    expect(points).toEqual({ c1: 1, c2: 1 });
    const list = server.transport.listMessages;
    server.transport.listMessages = (id, page) =>
      id === 'c1' ? Promise.reject(new ApiError('TIMEOUT', 'no answer')) : list(id, page);
    await chat.resync(points);
    expect(shown('c1')).toEqual([1]);
    expect(shown('c2')).toEqual([1, 2]);
    // Opening a loaded thread again catches it up.
    server.transport.listMessages = list;
    await chat.loadNewest('c1');
    expect(shown('c1')).toEqual([1, 2]);
  });

  it('stops paging when a page says "more" but does not move on', async () => {
    const { server, chat } = setup();
    server.store('c1', {});
    await chat.loadNewest('c1');
    server.transport.listMessages = async (_id, page) => {
      server.lists.push({ conversationId: 'c1', ...page });
      return { messages: [], hasMore: true };
    };
    server.lists.length = 0;
    await chat.catchUp('c1');
    expect(server.lists).toHaveLength(1);
  });

  it('loads a conversation that has just begun from its first message', async () => {
    const { server, chat, shown } = setup();
    for (let i = 0; i < 3; i++) server.store('c1', {});
    await chat.loadFromStart('c1');
    expect(shown()).toEqual([1, 2, 3]);
    expect(chat.thread('c1')).toMatchObject({ loaded: true, hasMoreBefore: false });
    expect(server.lists[0]).toMatchObject({ after: 0 });
  });

  it('drops answers that come after a reset', async () => {
    const { server, chat } = setup();
    server.store('c1', {});
    const loading = chat.loadNewest('c1');
    chat.reset();
    await loading;
    expect(chat.state.threads).toEqual({});
  });

  it('tells listeners about each change with a new state', async () => {
    const { server, chat } = setup();
    server.store('c1', {});
    const states: unknown[] = [];
    const stop = chat.subscribe((s) => states.push(s));
    const before = chat.state;
    await chat.loadNewest('c1');
    expect(states.length).toBeGreaterThan(0);
    expect(states.at(-1)).toBe(chat.state);
    expect(chat.state).not.toBe(before);
    // Nothing new: no change, no call.
    const count = states.length;
    chat.add(chat.thread('c1')!.messages);
    expect(states).toHaveLength(count);
    stop();
    chat.add([message(9)]);
    expect(states).toHaveLength(count);
  });
});

describe('the outbox', () => {
  it('shows a message as pending and replaces it with the acknowledged copy', async () => {
    const { server, chat, sent, bodies } = setup();
    let release!: () => void;
    server.control.gate = new Promise((resolve) => (release = resolve));
    const id = chat.sendText('c1', 'hello');
    await settle();
    expect(chat.state.outbox).toMatchObject([
      { clientMsgId: id, conversationId: 'c1', type: 'text', body: 'hello', state: 'sending' },
    ]);
    expect(id).toMatch(/^t[A-Za-z0-9]{8,47}$/);
    release();
    await settle();
    expect(chat.state.outbox).toEqual([]);
    expect(bodies()).toEqual(['hello']);
    expect(server.sends).toEqual([
      { conversationId: 'c1', clientMsgId: id, type: 'text', body: 'hello' },
    ]);
    expect(sent.map(([c, m]) => [c.id, m.clientMsgId])).toEqual([['c1', id]]);
  });

  it('keeps what is written offline, in order, and sends it once connected, same ids', async () => {
    const { server, chat, bodies } = setup();
    server.control.connected = false;
    const ids = ['one', 'two', 'three'].map((t) => chat.sendText('c1', t));
    await settle();
    expect(chat.state.outbox.map((i) => [i.body, i.state])).toEqual([
      ['one', 'waiting'],
      ['two', 'waiting'],
      ['three', 'waiting'],
    ]);
    expect(server.sends).toEqual([]);
    server.control.connected = true;
    await chat.resync(chat.resyncPoints());
    expect(server.sends.map((s) => s.clientMsgId)).toEqual(ids);
    expect(bodies()).toEqual(['one', 'two', 'three']);
    expect(chat.state.outbox).toEqual([]);
  });

  it('sends one at a time per conversation; conversations do not wait for each other', async () => {
    const { server, chat } = setup();
    let release!: () => void;
    server.control.gate = new Promise((resolve) => (release = resolve));
    chat.sendText('c1', 'a1');
    chat.sendText('c1', 'a2');
    chat.sendText('c2', 'b1');
    await settle();
    expect(server.sends.map((s) => s.body)).toEqual(['a1', 'b1']);
    release();
    server.control.gate = null;
    await settle();
    await settle();
    expect(server.sends.map((s) => s.body)).toEqual(['a1', 'b1', 'a2']);
  });

  it('retries after a lost connection with the same clientMsgId: stored once', async () => {
    const { server, chat, bodies } = setup();
    // Stored, but the acknowledgement never came.
    server.control.loseAck = true;
    const id = chat.sendText('c1', 'are you there?');
    await settle();
    expect(chat.state.outbox).toMatchObject([{ state: 'waiting', errorCode: 'TIMEOUT' }]);
    server.control.loseAck = false;
    await chat.flush();
    expect(server.sends.map((s) => s.clientMsgId)).toEqual([id, id]);
    expect(server.of('c1')).toHaveLength(1);
    expect(bodies()).toEqual(['are you there?']);
    expect(chat.state.outbox).toEqual([]);
  });

  it('does not send again what the resync found stored', async () => {
    const { server, chat, bodies } = setup();
    server.store('c1', { body: 'first' });
    await chat.loadNewest('c1');
    server.control.loseAck = true;
    chat.sendText('c1', 'sent while the line dropped');
    await settle();
    expect(server.sends).toHaveLength(1);
    server.control.loseAck = false;
    await chat.resync(chat.resyncPoints());
    expect(server.sends).toHaveLength(1);
    expect(bodies()).toEqual(['first', 'sent while the line dropped']);
    expect(chat.state.outbox).toEqual([]);
  });

  it('takes the live event of its own message as the acknowledgement', async () => {
    const { server, chat, shown } = setup();
    let release!: () => void;
    server.control.gate = new Promise((resolve) => (release = resolve));
    const id = chat.sendText('c1', 'twice?');
    await settle();
    // Another tab's copy of the event arrives before the acknowledgement.
    const copy = message(1, { id: 'c1-1', clientMsgId: id, body: 'twice?' });
    server.stored.push(copy);
    chat.add([copy]);
    expect(chat.state.outbox).toEqual([]);
    release();
    await settle();
    expect(shown()).toEqual([1]);
  });

  it('marks a refused message failed, goes on with the next, and retries it on demand', async () => {
    const { server, chat, bodies } = setup();
    server.control.refuse = (m) =>
      m.body === 'bad' ? new ApiError('CONVERSATION_ENDED', 'ended', { status: 409 }) : null;
    const bad = chat.sendText('c1', 'bad');
    chat.sendText('c1', 'good');
    await settle();
    await settle();
    expect(chat.state.outbox).toMatchObject([
      { clientMsgId: bad, state: 'failed', errorCode: 'CONVERSATION_ENDED' },
    ]);
    expect(bodies()).toEqual(['good']);
    // A reconnect does not resend what the server refused...
    await chat.flush();
    expect(server.sends.filter((s) => s.body === 'bad')).toHaveLength(1);
    // ...the user's retry does, with the same id.
    server.control.refuse = null;
    chat.retry(bad);
    await settle();
    expect(server.sends.filter((s) => s.clientMsgId === bad)).toHaveLength(2);
    expect(bodies()).toEqual(['good', 'bad']);
    expect(chat.state.outbox).toEqual([]);
  });

  it('waits out a rate limit and sends by itself, never failed', async () => {
    vi.useFakeTimers();
    const { server, chat, bodies } = setup();
    let allowed = 2;
    server.control.refuse = () =>
      allowed-- > 0 ? null : new ApiError('RATE_LIMITED', 'slow', { retryAfterSeconds: 1 });
    for (const text of ['one', 'two', 'three', 'four']) chat.sendText('c1', text);
    await vi.advanceTimersByTimeAsync(0);
    expect(bodies()).toEqual(['one', 'two']);
    expect(chat.state.outbox.map((i) => [i.body, i.state])).toEqual([
      ['three', 'waiting'],
      ['four', 'waiting'],
    ]);
    allowed = 1;
    await vi.advanceTimersByTimeAsync(1000);
    expect(bodies()).toEqual(['one', 'two', 'three']);
    allowed = 1;
    await vi.advanceTimersByTimeAsync(1000);
    expect(bodies()).toEqual(['one', 'two', 'three', 'four']);
    expect(chat.state.outbox).toEqual([]);
  });

  it('tries again by itself after a passing failure while connected, waiting longer each time', async () => {
    vi.useFakeTimers();
    const { server, chat } = setup();
    let busy = 2;
    server.control.refuse = () =>
      busy-- > 0 ? new ApiError('SERVICE_UNAVAILABLE', 'busy', { status: 503 }) : null;
    chat.sendText('c1', 'hi');
    await vi.advanceTimersByTimeAsync(0);
    expect(server.sends).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(server.sends).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(server.sends).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1999);
    expect(server.sends).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(server.sends).toHaveLength(3);
    expect(chat.state.outbox).toEqual([]);
  });

  it('uploads a file at once, then sends it in its turn with the stored file id', async () => {
    const { server, chat, released, bodies } = setup();
    server.control.connected = false;
    let prepared!: (s: UploadSource) => void;
    const source = new Promise<UploadSource>((resolve) => (prepared = resolve));
    const id = chat.sendFile('c1', { type: 'image', source, localUrl: 'blob:local-1' });
    chat.sendText('c1', 'after the picture');
    await settle();
    expect(chat.state.outbox[0]).toMatchObject({
      state: 'uploading',
      progress: 0,
      localUrl: 'blob:local-1',
    });
    prepared({ blob: new Blob(['x']), name: 'small.jpg' });
    await settle();
    expect(server.uploads.map((u) => u.name)).toEqual(['small.jpg']);
    server.uploads[0]!.progress(0.5);
    expect(chat.state.outbox[0]!.progress).toBe(0.5);
    server.uploads[0]!.finish(fileInfo('f1'));
    await settle();
    expect(chat.state.outbox[0]).toMatchObject({ state: 'waiting', file: fileInfo('f1') });
    // Uploaded while offline; sent, in order, once connected.
    server.control.connected = true;
    await chat.flush();
    expect(server.sends.map((s) => [s.type, 'fileId' in s ? s.fileId : s.body])).toEqual([
      ['image', 'f1'],
      ['text', 'after the picture'],
    ]);
    expect(server.sends[0]!.clientMsgId).toBe(id);
    expect(bodies()).toEqual(['', 'after the picture']);
    expect(released).toEqual(['blob:local-1']);
  });

  it('uploads again after a passing failure; a refused file fails; a cancel drops it', async () => {
    const { server, chat, released } = setup();
    const source = { blob: new Blob(['x']), name: 'a.png' };
    chat.sendFile('c1', { type: 'image', source });
    await settle();
    server.uploads[0]!.fail(new ApiError('NETWORK', 'network error'));
    await settle();
    expect(chat.state.outbox[0]).toMatchObject({ state: 'waiting', errorCode: 'NETWORK' });
    await chat.flush();
    expect(server.uploads).toHaveLength(2);
    server.uploads[1]!.fail(new ApiError('IMAGE_TOO_LARGE', 'too big', { status: 422 }));
    await settle();
    expect(chat.state.outbox[0]).toMatchObject({ state: 'failed', errorCode: 'IMAGE_TOO_LARGE' });
    await chat.flush();
    expect(server.uploads).toHaveLength(2);

    const video = chat.sendFile('c1', { type: 'video', source, localUrl: 'blob:v' });
    await settle();
    chat.discard(video);
    expect(server.uploads[2]!.cancelled).toBe(true);
    await settle();
    expect(chat.state.outbox.map((i) => i.type)).toEqual(['image']);
    expect(released).toEqual(['blob:v']);
    expect(server.sends).toEqual([]);
  });

  it('puts back a kept outbox and sends it with the ids it had', async () => {
    const { server, chat, bodies } = setup();
    chat.restoreOutbox([
      {
        clientMsgId: 'kept1',
        conversationId: null,
        type: 'text',
        body: 'from before',
        createdAt: 1,
        state: 'waiting',
      },
      {
        clientMsgId: 'kept2',
        conversationId: null,
        type: 'text',
        body: 'refused',
        createdAt: 2,
        state: 'failed',
        errorCode: 'X',
      },
    ]);
    await settle();
    expect(server.sends).toEqual([{ clientMsgId: 'kept1', type: 'text', body: 'from before' }]);
    expect(bodies()).toEqual(['from before']);
    expect(chat.state.outbox.map((i) => i.clientMsgId)).toEqual(['kept2']);
  });

  it('forgets everything on reset, and late acknowledgements with it', async () => {
    const { server, chat, released } = setup();
    let release!: () => void;
    server.control.gate = new Promise((resolve) => (release = resolve));
    chat.sendText('c1', 'for the old visitor');
    chat.sendFile('c2', {
      type: 'image',
      source: { blob: new Blob(['x']), name: 'a' },
      localUrl: 'blob:old',
    });
    await settle();
    chat.reset();
    expect(server.uploads[0]!.cancelled).toBe(true);
    release();
    await settle();
    expect(chat.state).toEqual({ threads: {}, outbox: [], robotPreviews: [] });
    expect(released).toEqual(['blob:old']);
  });
});

describe('the robot', () => {
  const robotSender = { type: 'robot' as const, name: 'Xiaozhi', avatarUrl: null };
  const stream = (
    text: string,
    state: 'writing' | 'done' | 'abandoned',
    streamId = 's1',
    conversationId = 'c1',
  ) => ({ conversationId, streamId, text, state });
  const robotAnswer = (streamId: string | null, body: string) => ({
    type: 'robot' as const,
    body,
    sender: robotSender,
    meta: {
      kind: 'robot' as const,
      reply: 'answer' as const,
      source: 'model' as const,
      entryId: null,
      choices: [],
      streamId,
    },
  });

  it('sends a choice with the text, and keeps it through a wait for the connection', async () => {
    const { server, chat, bodies } = setup();
    server.control.connected = false;
    const id = chat.sendText('c1', '如何退货？', 'faq-7');
    chat.sendText('c1', '转人工', 'handoff');
    chat.sendText('c1', 'plain text');
    expect(chat.state.outbox.map((i) => i.choice)).toEqual(['faq-7', 'handoff', undefined]);
    server.control.connected = true;
    await chat.resync(chat.resyncPoints());
    expect(server.sends).toEqual([
      { conversationId: 'c1', clientMsgId: id, type: 'text', body: '如何退货？', choice: 'faq-7' },
      expect.objectContaining({ body: '转人工', choice: 'handoff' }),
      expect.not.objectContaining({ choice: expect.anything() }),
    ]);
    expect(bodies()).toEqual(['如何退货？', '转人工', 'plain text']);
  });

  it('grows an answer being written and replaces it with the stored message', async () => {
    const { server, chat, shown } = setup();
    server.store('c1', {});
    await chat.loadNewest('c1');
    chat.robotStream(stream('退货', 'writing'));
    chat.robotStream(stream('退货请在', 'writing'));
    expect(chat.state.robotPreviews).toEqual([
      { conversationId: 'c1', streamId: 's1', text: '退货请在', state: 'writing' },
    ]);
    // The same text again changes nothing.
    const before = chat.state;
    chat.robotStream(stream('退货请在', 'writing'));
    expect(chat.state).toBe(before);
    chat.robotStream(stream('退货请在七天内申请。', 'done'));
    expect(chat.state.robotPreviews).toMatchObject([
      { text: '退货请在七天内申请。', state: 'done' },
    ]);
    // Another answer's message does not take this one's place.
    chat.add([server.store('c1', robotAnswer('s0', 'older answer'))]);
    expect(chat.state.robotPreviews).toHaveLength(1);
    chat.add([server.store('c1', robotAnswer('s1', '退货请在七天内申请。'))]);
    expect(chat.state.robotPreviews).toEqual([]);
    expect(shown()).toEqual([1, 2, 3]);
    // A late event for a stored answer brings nothing back.
    chat.robotStream(stream('退货请在七天内申请。', 'done'));
    expect(chat.state.robotPreviews).toEqual([]);
  });

  it('drops an answer the model gave up on, and keeps others apart', () => {
    const { chat } = setup();
    chat.robotStream(stream('Let me', 'writing', 's1'));
    chat.robotStream(stream('Other', 'writing', 's2', 'c2'));
    chat.robotStream(stream('Let me check', 'writing', 's1'));
    expect(chat.state.robotPreviews.map((p) => [p.streamId, p.text])).toEqual([
      ['s1', 'Let me check'],
      ['s2', 'Other'],
    ]);
    chat.robotStream(stream('Let me check', 'abandoned', 's1'));
    expect(chat.state.robotPreviews.map((p) => p.streamId)).toEqual(['s2']);
    // Abandoning what is not shown changes nothing.
    const before = chat.state;
    chat.robotStream(stream('', 'abandoned', 's9'));
    expect(chat.state).toBe(before);
  });

  it('forgets answers being written on a resync, which brings the stored ones', async () => {
    const { server, chat, bodies } = setup();
    server.store('c1', {});
    await chat.loadNewest('c1');
    chat.robotStream(stream('half an answ', 'writing'));
    // Away: the answer is stored (or given up on) and its last events are missed.
    server.store('c1', robotAnswer('s1', 'half an answer, finished'));
    await chat.resync(chat.resyncPoints());
    expect(chat.state.robotPreviews).toEqual([]);
    expect(bodies()).toEqual(['message 1', 'half an answer, finished']);
    chat.robotStream(stream('x', 'writing', 's2'));
    chat.reset();
    expect(chat.state.robotPreviews).toEqual([]);
  });
});
