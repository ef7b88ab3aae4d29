import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import { Note, NoteList, NoteResponse } from '@servicesystem/protocol';
import {
  eventually,
  newClientMsgId,
  nextEvent,
  record,
  request,
  startLiveApp,
  type LiveApp,
} from '../support/liveApp.js';

/**
 * Internal notes: the conversation's agent and administrators write and read them, live; the
 * visitor never gets a byte of them, on any path, and their messages stay numbered without gaps.
 */
describe('internal notes', () => {
  let t: LiveApp;
  let X: Awaited<ReturnType<LiveApp['agent']>>;
  let Y: Awaited<ReturnType<LiveApp['agent']>>;
  let visitor: Awaited<ReturnType<LiveApp['visitor']>>;
  let conversationId: string;

  const note = (token: string, id: string, body: unknown, clientNoteId = newClientMsgId()) =>
    t.request('POST', `/api/v1/conversations/${id}/notes`, { token, body: { clientNoteId, body } });
  const notesOf = (token: string, id: string) =>
    t.request('GET', `/api/v1/conversations/${id}/notes`, { token });
  /** The token of the agent serving `id` (the visitor's answer does not name the agent's id). */
  const servingToken = async (id: string) => {
    const seen = await t.request('GET', `/api/v1/conversations/${id}`, { token: t.adminToken });
    return seen.body.conversation.agent.id === X.id ? X.token : Y.token;
  };

  beforeAll(async () => {
    t = await startLiveApp();
    X = await t.agent({ status: 'online', displayName: 'Xavier' });
    visitor = await t.visitor();
    const first = await t.request('POST', '/api/v1/visitor/messages', {
      token: visitor.token,
      body: { clientMsgId: newClientMsgId(), type: 'text', body: 'My parcel is late' },
    });
    conversationId = first.body.conversation.id as string;
    Y = await t.agent({ status: 'online', displayName: 'Yvonne' });
  });
  afterAll(() => t.close());

  it('are written by the agent and admins, heard live by console users only, once each', async () => {
    const xSocket = await t.connect(X.token);
    const xOther = await t.connect(X.token);
    const adminSocket = await t.connect(t.adminToken);
    const ySocket = await t.connect(Y.token);
    const heardByY = record(ySocket, 'note.created');
    const heardByWriter = record(xSocket, 'note.created');

    const otherHears = nextEvent<{ note: Note }>(xOther, 'note.created');
    const adminHears = nextEvent<{ note: Note }>(adminSocket, 'note.created');
    const ack = await request(xSocket, 'note.create', {
      conversationId,
      clientNoteId: newClientMsgId(),
      body: 'Checked the courier: delayed in Shanghai',
    });
    expect(ack.ok).toBe(true);
    const written = Note.parse(ack.note);
    expect(written).toMatchObject({
      conversationId,
      author: { id: X.id, name: 'Xavier' },
      body: 'Checked the courier: delayed in Shanghai',
      afterSeq: 3,
    });
    expect((await otherHears).note).toEqual(written);
    expect((await adminHears).note).toEqual(written);

    const byAdmin = await note(t.adminToken, conversationId, '请优先处理这位客户');
    expect(byAdmin.status).toBe(201);
    const adminNote = NoteResponse.parse(byAdmin.body).note;
    expect(adminNote.author.name).not.toBe('Xavier');
    await eventually(() => expect(heardByWriter.map((p) => p.note.id)).toEqual([adminNote.id]));

    const listed = NoteList.parse((await notesOf(X.token, conversationId)).body);
    expect(listed.notes.map((n) => n.id)).toEqual([written.id, adminNote.id]);
    expect(NoteList.parse((await notesOf(t.adminToken, conversationId)).body)).toEqual(listed);
    // Agent Y does not serve it: refused, and heard nothing.
    expect((await notesOf(Y.token, conversationId)).status).toBe(403);
    expect((await note(Y.token, conversationId, 'let me in')).status).toBe(403);
    // A visitor's token is no console session.
    expect((await notesOf(visitor.token, conversationId)).status).toBe(401);
    expect((await note(visitor.token, conversationId, 'me too')).status).toBe(401);
    expect((await t.request('GET', `/api/v1/conversations/${conversationId}/notes`)).status).toBe(
      401,
    );
    const visitorSocket = await t.connect(visitor.token);
    const refused = await request(visitorSocket, 'note.create', {
      conversationId,
      clientNoteId: newClientMsgId(),
      body: 'hi',
    });
    expect(refused).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(heardByY).toEqual([]);
  });

  it('are stored once however often a write is retried', async () => {
    const clientNoteId = newClientMsgId();
    const first = await note(X.token, conversationId, 'once', clientNoteId);
    const again = await note(X.token, conversationId, 'once', clientNoteId);
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body.note.id).toBe(first.body.note.id);
    const raced = await Promise.all(
      Array.from({ length: 5 }, () => note(X.token, conversationId, 'raced', 'same-race-id')),
    );
    expect(new Set(raced.map((r) => r.body.note.id)).size).toBe(1);
    expect(raced.filter((r) => r.status === 201)).toHaveLength(1);
  });

  it('refuse bad input clearly', async () => {
    const cases: [unknown, string][] = [
      ['', 'body'],
      ['   ', 'body'],
      ['x'.repeat(5001), 'body'],
      [42, 'body'],
      [null, 'body'],
    ];
    for (const [body, path] of cases) {
      const answer = await note(X.token, conversationId, body);
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe('VALIDATION_FAILED');
      expect(answer.body.error.issues[0].path).toBe(path);
    }
    const badId = await t.request('POST', `/api/v1/conversations/${conversationId}/notes`, {
      token: X.token,
      body: { clientNoteId: 'not ok!', body: 'x' },
    });
    expect(badId.status).toBe(400);
    const extra = await t.request('POST', `/api/v1/conversations/${conversationId}/notes`, {
      token: X.token,
      body: { clientNoteId: newClientMsgId(), body: 'x', visibleToVisitor: true },
    });
    expect(extra.status).toBe(400);
    expect((await note(X.token, 'no-such-conversation', 'x')).status).toBe(404);
    // A client id already used in another conversation is not taken for a retry.
    const elsewhere = await t.visitor();
    const other = await t.request('POST', '/api/v1/visitor/messages', {
      token: elsewhere.token,
      body: { clientMsgId: newClientMsgId(), type: 'text', body: 'hello' },
    });
    const otherId = other.body.conversation.id as string;
    const otherAgentToken = await servingToken(otherId);
    const reused = newClientMsgId();
    expect((await note(X.token, conversationId, 'here', reused)).status).toBe(201);
    if (otherAgentToken === X.token) {
      const clash = await note(X.token, otherId, 'there', reused);
      expect(clash.status).toBe(400);
      expect(clash.body.error.issues[0].path).toBe('clientNoteId');
    }
    const socket = await t.connect(X.token);
    const badAck = await request(socket, 'note.create', { conversationId, body: 'no id' });
    expect(badAck).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
  });

  it('never reach the visitor: not live, not in history, unread counts, previews or lists', async () => {
    const marker = 'INTERNAL-7f3a';
    const guest = await t.visitor();
    const seen: unknown[] = [];
    const guestSocket: Socket = await t.connect(guest.token);
    guestSocket.onAny((event: string, payload: unknown) => seen.push({ event, payload }));
    const start = await t.request('POST', '/api/v1/visitor/messages', {
      token: guest.token,
      body: { clientMsgId: newClientMsgId(), type: 'text', body: 'question 0' },
    });
    seen.push(start.body);
    const id = start.body.conversation.id as string;
    const agentToken = await servingToken(id);
    const agentSocket = await t.connect(agentToken);
    const before = await t.request('GET', `/api/v1/conversations/${id}`, { token: agentToken });
    for (let i = 1; i <= 10; i++) {
      await note(agentToken, id, `${marker} agent note ${i}`);
      await note(t.adminToken, id, `${marker} admin note ${i}`);
      const ack = await request(agentSocket, 'note.create', {
        conversationId: id,
        clientNoteId: newClientMsgId(),
        body: `${marker} socket note ${i}`,
      });
      expect(ack.ok).toBe(true);
      const reply = await t.request('POST', `/api/v1/conversations/${id}/messages`, {
        token: agentToken,
        body: { clientMsgId: newClientMsgId(), type: 'text', body: `answer ${i}` },
      });
      expect(reply.status).toBe(201);
      const more = await request(guestSocket, 'message.send', {
        clientMsgId: newClientMsgId(),
        type: 'text',
        body: `question ${i}`,
      });
      seen.push(more);
    }
    // The last word is a note: the previews must still show the last message.
    await note(agentToken, id, `${marker} last word`);

    for (const url of [
      `/api/v1/conversations/${id}/messages?limit=100`,
      `/api/v1/conversations/${id}/messages?after=0&limit=100`,
      `/api/v1/conversations/${id}/messages?before=5&limit=100`,
      '/api/v1/visitor/conversations',
      '/api/v1/visitor/unread',
      `/api/v1/conversations/${id}/notes`,
    ]) {
      seen.push(await t.request('GET', url, { token: guest.token }));
    }
    seen.push(await request(guestSocket, 'messages.list', { conversationId: id, limit: 100 }));
    seen.push(await request(guestSocket, 'messages.list', { conversationId: id, after: 0 }));
    const session = await t.request('POST', '/api/v1/visitor/session', {
      token: guest.token,
      body: { channelId: t.channelId },
    });
    seen.push(session.body);

    const everything = JSON.stringify(seen);
    expect(everything).toContain('answer 10');
    expect(everything).not.toContain(marker);
    expect(everything).not.toMatch(/note/i);

    // Seqs without gaps for the visitor: 1..n, every one there.
    const history = await t.request('GET', `/api/v1/conversations/${id}/messages?limit=100`, {
      token: guest.token,
    });
    const seqs = (history.body.messages as { seq: number }[]).map((m) => m.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    const listed = await t.request('GET', '/api/v1/visitor/conversations', { token: guest.token });
    expect(listed.body.conversations[0].lastMessage.body).toBe('question 10');
    // Notes move no unread count on either side.
    const after = await t.request('GET', `/api/v1/conversations/${id}`, { token: agentToken });
    expect(after.body.conversation.lastMessage.body).toBe('question 10');
    expect(after.body.conversation.lastSeq).toBe(before.body.conversation.lastSeq + 20);
  });

  it('go with the conversation: its new agent reads them, its old one no longer, and notes go on after the end', async () => {
    const written = await note(X.token, conversationId, 'for whoever takes over');
    expect(written.status).toBe(201);
    const moved = await t.request('POST', `/api/v1/conversations/${conversationId}/transfer`, {
      token: X.token,
      body: { agentId: Y.id },
    });
    expect(moved.status).toBe(200);
    const byY = NoteList.parse((await notesOf(Y.token, conversationId)).body);
    expect(byY.notes.map((n) => n.body)).toContain('for whoever takes over');
    expect((await notesOf(X.token, conversationId)).status).toBe(403);
    const ended = await t.request('POST', `/api/v1/conversations/${conversationId}/end`, {
      token: Y.token,
    });
    expect(ended.status).toBe(200);
    const late = await note(Y.token, conversationId, 'Called the customer back afterwards');
    expect(late.status).toBe(201);
    expect(late.body.note.afterSeq).toBeGreaterThan(byY.notes.at(-1)!.afterSeq);
  });
});
