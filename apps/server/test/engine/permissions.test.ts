import fs from 'node:fs';
import path from 'node:path';
import { Manager, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AckError,
  apiKeyScopes,
  ClientEvent,
  ErrorBody,
  findApiRoute,
  type ApiKeyScope,
  type ErrorCode,
} from '@servicesystem/protocol';
import { pageRoots } from '../../src/http/routes/pages.js';
import { countRows } from '../support/databaseRows.js';
import { adminPassword } from '../support/testApp.js';
import {
  newClientMsgId,
  nextEvent,
  record,
  request,
  startLiveApp,
  uploadPng,
  type LiveApp,
} from '../support/liveApp.js';

/**
 * The authorization matrix: every REST route and every client → server socket event, called by
 * every kind of caller, with the exact answer each one gets.
 *
 * The world: visitor A's conversation CA is served by agent X (so is A's earlier, ended one,
 * CE); visitor B's conversation CB is served by agent Y. B and Y are outsiders to CA. The
 * disabled agent logged in (and connected a socket) before an admin disabled the account: its
 * old token must be refused everywhere and its socket dropped.
 *
 * A route or client event without a row fails the test, so nothing ships without a decision.
 */
const actors = [
  'anonymous',
  'visitorA',
  'visitorB',
  'agentX',
  'agentY',
  'disabledAgent',
  'admin',
] as const;
type Who = (typeof actors)[number];

/**
 * One cell: `401` and `403` are refusals (UNAUTHENTICATED, FORBIDDEN). Anything else is the
 * answer of an allowed call: its status, and its error code when the call was allowed past
 * authorization and then failed on purpose (an invalid body, a conversation already ended...),
 * which is how most allowed cells avoid changing anything.
 */
type Cell = 200 | 201 | 204 | 302 | 401 | 403 | `${400 | 404 | 409 | 415} ${ErrorCode}`;
/** An API key's cell: a route cell, or `scope` (403 KEY_SCOPE_MISSING). */
type KeyCell = Cell | 'scope';
/** Cells in the order of `actors`. */
type Row = [Cell, Cell, Cell, Cell, Cell, Cell, Cell];

interface Fixtures {
  CA: string;
  CB: string;
  CE: string;
  X: { id: string };
  Y: { id: string };
  channelId: string;
  fileId: string;
}

interface RestRow {
  cells: Row;
  /** The `:id` of the route. */
  id?: (fx: Fixtures) => string;
  query?: (fx: Fixtures) => string;
  /** Default for POST/PATCH/PUT: an invalid body, which an allowed caller hears about (400). */
  body?: (fx: Fixtures) => unknown;
  /** Console callers use a session made for this call (logout ends it). */
  freshSession?: true;
}

const invalidBody = { '': 'invalid' };
const V400 = '400 VALIDATION_FAILED';
/** Pages answer 404 until the browser apps are built. */
const built = (root: string, file: string): Cell =>
  fs.existsSync(path.join(root, file)) ? 200 : '404 NOT_FOUND';
const consolePage = built(pageRoots.console, 'index.html');
const chatPage = built(pageRoots.widget, 'index.html');
const embed = built(pageRoots.widget, 'embed.js');
const text = (body: string) => ({ clientMsgId: newClientMsgId(), type: 'text', body });

// prettier-ignore
const restMatrix: Record<string, RestRow> = {
  //                                             anonymous visitorA visitorB agentX agentY disabled admin
  'GET /healthz':                           { cells: [200, 200, 200, 200, 200, 200, 200] },
  'POST /api/v1/auth/login':                { cells: [V400, V400, V400, V400, V400, V400, V400] },
  'POST /api/v1/auth/logout':               { cells: [401, 401, 401, 204, 204, 401, 204], freshSession: true },
  'GET /api/v1/me':                         { cells: [401, 401, 401, 200, 200, 401, 200] },
  'PATCH /api/v1/me':                       { cells: [401, 401, 401, V400, V400, 401, V400] },
  'POST /api/v1/me/password':               { cells: [401, 401, 401, V400, V400, 401, V400] },
  'PUT /api/v1/me/status':                  { cells: [401, 401, 401, V400, V400, 401, 403] },
  'GET /api/v1/presence':                   { cells: [401, 401, 401, 200, 200, 401, 200] },
  'GET /api/v1/accounts':                   { cells: [401, 401, 401, 403, 403, 401, 200] },
  'POST /api/v1/accounts':                  { cells: [401, 401, 401, 403, 403, 401, V400] },
  'GET /api/v1/accounts/:id':               { cells: [401, 401, 401, 403, 403, 401, 200], id: (fx) => fx.X.id },
  'PATCH /api/v1/accounts/:id':             { cells: [401, 401, 401, 403, 403, 401, V400], id: (fx) => fx.X.id },
  'POST /api/v1/accounts/:id/password':     { cells: [401, 401, 401, 403, 403, 401, V400], id: (fx) => fx.X.id },
  'GET /api/v1/agents':                     { cells: [401, 401, 401, 403, 403, 401, 200] },
  'POST /api/v1/agents':                    { cells: [401, 401, 401, 403, 403, 401, V400] },
  'GET /api/v1/agents/:id':                 { cells: [401, 401, 401, 403, 403, 401, 200], id: (fx) => fx.X.id },
  'PATCH /api/v1/agents/:id':               { cells: [401, 401, 401, 403, 403, 401, V400], id: (fx) => fx.X.id },
  'POST /api/v1/agents/:id/password':       { cells: [401, 401, 401, 403, 403, 401, V400], id: (fx) => fx.X.id },
  'GET /api/v1/channels':                   { cells: [401, 401, 401, 200, 200, 401, 200] },
  'GET /api/v1/channels/:id':               { cells: [401, 401, 401, 200, 200, 401, 200] },
  'POST /api/v1/channels':                  { cells: [401, 401, 401, 403, 403, 401, V400] },
  'PATCH /api/v1/channels/:id':             { cells: [401, 401, 401, 403, 403, 401, V400] },
  'POST /api/v1/channels/:id/rotate-secret':{ cells: [401, 401, 401, 403, 403, 401, '404 NOT_FOUND'], id: () => 'no-such-channel' },
  'DELETE /api/v1/channels/:id':            { cells: [401, 401, 401, 403, 403, 401, '404 NOT_FOUND'], id: () => 'no-such-channel' },
  'POST /api/v1/visitor/session':           { cells: [V400, V400, V400, V400, V400, V400, V400] },
  'GET /api/v1/visitor/unread':             { cells: [401, 200, 200, 401, 401, 401, 401] },
  'GET /api/v1/visitor/conversations':      { cells: [401, 200, 200, 401, 401, 401, 401] },
  'POST /api/v1/visitor/messages':          { cells: [401, V400, V400, 401, 401, 401, 401] },
  'POST /api/v1/visitor/leave-message':     { cells: [401, V400, V400, 401, 401, 401, 401] },
  'POST /api/v1/visitor/conversations/:id/transcript': { cells: [401, '409 MAIL_NOT_CONFIGURED', '404 NOT_FOUND', 401, 401, 401, 401], body: () => ({ email: 'matrix@example.com' }) },
  'GET /api/v1/conversations':              { cells: [401, 401, 401, 200, 403, 401, 200], query: (fx) => `?agentId=${fx.X.id}` },
  'GET /api/v1/search':                     { cells: [401, 401, 401, 200, 200, 401, 200], query: () => '?q=matrix' },
  'GET /api/v1/conversations/:id':          { cells: [401, 401, 401, 200, 403, 401, 200] },
  'GET /api/v1/conversations/:id/messages': { cells: [401, 200, 403, 200, 403, 401, 200] },
  'POST /api/v1/conversations/:id/messages':{ cells: [401, 401, 401, 201, 403, 401, 403], body: () => text('from the matrix') },
  'GET /api/v1/conversations/:id/visitor-context': { cells: [401, 401, 401, 200, 403, 401, 200] },
  'GET /api/v1/conversations/:id/notes':    { cells: [401, 401, 401, 200, 403, 401, 200] },
  'POST /api/v1/conversations/:id/notes':   { cells: [401, 401, 401, 201, 403, 401, 201], body: () => ({ clientNoteId: newClientMsgId(), body: 'a note from the matrix' }) },
  'POST /api/v1/conversations/:id/read':    { cells: [401, 200, 403, 200, 403, 401, 403], body: () => ({ seq: 0 }) },
  'POST /api/v1/conversations/:id/rating':  { cells: [401, '409 CONVERSATION_NOT_ENDED', 403, 401, 401, 401, 401], body: () => ({ score: 5 }) },
  'POST /api/v1/conversations/:id/typing':  { cells: [401, 204, 403, 204, 403, 401, 403], body: () => ({ isTyping: false }) },
  'POST /api/v1/conversations/:id/end':     { cells: [401, 401, 401, '409 CONVERSATION_ENDED', 403, 401, '409 CONVERSATION_ENDED'], id: (fx) => fx.CE },
  'POST /api/v1/conversations/:id/transfer':{ cells: [401, 401, 401, '409 AGENT_UNAVAILABLE', 403, 401, '409 AGENT_UNAVAILABLE'], body: () => ({ agentId: 'no-such-agent' }) },
  'POST /api/v1/conversations/:id/assign':  { cells: [401, 401, 401, 403, 403, 401, '409 INVALID_STATE'], body: (fx) => ({ agentId: fx.Y.id }) },
  'GET /api/v1/conversations/counts':       { cells: [401, 401, 401, 200, 200, 401, 200] },
  'PUT /api/v1/conversations/:id/labels/:labelId':    { cells: [401, 401, 401, '404 NOT_FOUND', 403, 401, '404 NOT_FOUND'] },
  'DELETE /api/v1/conversations/:id/labels/:labelId': { cells: [401, 401, 401, '404 NOT_FOUND', 403, 401, '404 NOT_FOUND'] },
  'POST /api/v1/conversations/:id/snooze':  { cells: [401, 401, 401, '409 CONVERSATION_ENDED', 403, 401, 403], id: (fx) => fx.CE, body: () => ({}) },
  'POST /api/v1/conversations/:id/unsnooze':{ cells: [401, 401, 401, '409 CONVERSATION_ENDED', 403, 401, 403], id: (fx) => fx.CE, body: () => ({}) },
  'GET /api/v1/labels':                     { cells: [401, 401, 401, 200, 200, 401, 200] },
  'POST /api/v1/labels':                    { cells: [401, 401, 401, 403, 403, 401, V400] },
  'PATCH /api/v1/labels/:id':               { cells: [401, 401, 401, 403, 403, 401, V400], id: () => 'no-such-label' },
  'DELETE /api/v1/labels/:id':              { cells: [401, 401, 401, 403, 403, 401, '404 NOT_FOUND'], id: () => 'no-such-label' },
  'GET /api/v1/stats':                      { cells: [401, 401, 401, 403, 403, 401, 200] },
  'GET /api/v1/reports':                    { cells: [401, 401, 401, 403, 403, 401, 200], query: () => '?from=2026-03-01&to=2026-03-31' },
  'GET /api/v1/reports.csv':                { cells: [401, 401, 401, 403, 403, 401, 200], query: () => '?from=2026-03-01&to=2026-03-31' },
  'GET /api/v1/audit':                      { cells: [401, 401, 401, 403, 403, 401, 200] },
  'GET /api/v1/visitors':                   { cells: [401, 401, 401, 403, 403, 401, 200], query: () => '?query=nobody' },
  'GET /api/v1/visitors/:id/export':        { cells: [401, 401, 401, 403, 403, 401, '404 NOT_FOUND'], id: () => 'no-such-visitor' },
  'POST /api/v1/visitors/:id/erase':        { cells: [401, 401, 401, 403, 403, 401, V400], id: () => 'no-such-visitor' },
  'GET /api/v1/setup':                      { cells: [401, 401, 401, 403, 403, 401, 200] },
  'GET /api/v1/saved-replies':              { cells: [401, 401, 401, 200, 200, 401, 200] },
  'POST /api/v1/saved-replies':             { cells: [401, 401, 401, V400, V400, 401, V400] },
  'PATCH /api/v1/saved-replies/:id':        { cells: [401, 401, 401, V400, V400, 401, V400], id: () => 'no-such-reply' },
  'DELETE /api/v1/saved-replies/:id':       { cells: [401, 401, 401, '404 NOT_FOUND', '404 NOT_FOUND', 401, '404 NOT_FOUND'], id: () => 'no-such-reply' },
  'GET /api/v1/robot':                      { cells: [401, 401, 401, 200, 200, 401, 200] },
  'POST /api/v1/conversations/:id/suggest-reply': { cells: [401, 401, 401, '404 NO_SUGGESTION', 403, 401, 403] },
  'GET /api/v1/channels/:id/faq':           { cells: [401, 401, 401, 403, 403, 401, 200] },
  'POST /api/v1/channels/:id/faq':          { cells: [401, 401, 401, 403, 403, 401, V400] },
  'PATCH /api/v1/channels/:id/faq/:entryId':{ cells: [401, 401, 401, 403, 403, 401, V400] },
  'DELETE /api/v1/channels/:id/faq/:entryId': { cells: [401, 401, 401, 403, 403, 401, '404 NOT_FOUND'] },
  'POST /api/v1/channels/:id/faq/try':      { cells: [401, 401, 401, 403, 403, 401, V400] },
  'GET /api/v1/embed/check':                { cells: [200, 200, 200, 200, 200, 200, 200], query: (fx) => `?channel=${fx.channelId}` },
  'GET /console':                           { cells: [302, 302, 302, 302, 302, 302, 302] },
  'GET /console/*':                         { cells: [consolePage, consolePage, consolePage, consolePage, consolePage, consolePage, consolePage] },
  'GET /chat':                              { cells: [302, 302, 302, 302, 302, 302, 302] },
  'GET /chat/*':                            { cells: [chatPage, chatPage, chatPage, chatPage, chatPage, chatPage, chatPage] },
  'GET /embed.js':                          { cells: [embed, embed, embed, embed, embed, embed, embed] },
  'POST /api/v1/uploads':                   { cells: [401, '415 UNSUPPORTED_MEDIA_TYPE', '415 UNSUPPORTED_MEDIA_TYPE', '415 UNSUPPORTED_MEDIA_TYPE', '415 UNSUPPORTED_MEDIA_TYPE', 401, '415 UNSUPPORTED_MEDIA_TYPE'] },
  'GET /api/v1/files/:id':                  { cells: [401, 200, 403, 200, 403, 401, 200] },
  'GET /api/v1/files/:id/thumbnail':        { cells: [401, 200, 403, 200, 403, 401, 200] },
  'GET /api/v1/files/:id/cover':            { cells: [401, '404 NOT_FOUND', 403, '404 NOT_FOUND', 403, 401, '404 NOT_FOUND'] },
  'GET /api/v1/api-keys':                   { cells: [401, 401, 401, 403, 403, 401, 200] },
  'POST /api/v1/api-keys':                  { cells: [401, 401, 401, 403, 403, 401, V400] },
  'PATCH /api/v1/api-keys/:id':             { cells: [401, 401, 401, 403, 403, 401, V400], id: () => 'no-such-key' },
  'DELETE /api/v1/api-keys/:id':            { cells: [401, 401, 401, 403, 403, 401, '404 NOT_FOUND'], id: () => 'no-such-key' },
  'GET /api/openapi.json':                  { cells: [200, 200, 200, 200, 200, 200, 200] },
  'GET /api/docs':                          { cells: [200, 200, 200, 200, 200, 200, 200] },
  'GET /api/docs/*':                        { cells: ['404 ROUTE_NOT_FOUND', '404 ROUTE_NOT_FOUND', '404 ROUTE_NOT_FOUND', '404 ROUTE_NOT_FOUND', '404 ROUTE_NOT_FOUND', '404 ROUTE_NOT_FOUND', '404 ROUTE_NOT_FOUND'] },
  'GET /api/v1/webhooks':                   { cells: [401, 401, 401, 403, 403, 401, 200] },
  'POST /api/v1/webhooks':                  { cells: [401, 401, 401, 403, 403, 401, V400] },
  'GET /api/v1/webhooks/:id':               { cells: [401, 401, 401, 403, 403, 401, '404 NOT_FOUND'], id: () => 'no-such-hook' },
  'PATCH /api/v1/webhooks/:id':             { cells: [401, 401, 401, 403, 403, 401, V400], id: () => 'no-such-hook' },
  'DELETE /api/v1/webhooks/:id':            { cells: [401, 401, 401, 403, 403, 401, '404 NOT_FOUND'], id: () => 'no-such-hook' },
  'POST /api/v1/webhooks/:id/rotate-secret':{ cells: [401, 401, 401, 403, 403, 401, '404 NOT_FOUND'], id: () => 'no-such-hook' },
  'GET /api/v1/webhooks/:id/deliveries':    { cells: [401, 401, 401, 403, 403, 401, '404 NOT_FOUND'], id: () => 'no-such-hook' },
  'POST /api/v1/webhooks/:id/deliveries/:deliveryId/retry': { cells: [401, 401, 401, 403, 403, 401, '404 NOT_FOUND'], id: () => 'no-such-hook' },
  'POST /api/v1/webhooks/:id/test':         { cells: [401, 401, 401, 403, 403, 401, '404 NOT_FOUND'], id: () => 'no-such-hook' },
};

/**
 * A socket cell: `ok` (the ack is `{ok: true}`), or the ack's error code. The anonymous caller
 * and the disabled agent cannot connect: their cells are UNAUTHENTICATED at the handshake, and
 * the event sent anyway on that connection must be neither handled nor answered.
 */
type SocketCell = 'ok' | ErrorCode;
interface SocketRow {
  cells: [SocketCell, SocketCell, SocketCell, SocketCell, SocketCell, SocketCell, SocketCell];
  payload: (fx: Fixtures) => unknown;
  /** More checks on an allowed answer. */
  check?: (ack: any, who: Who, fx: Fixtures) => void;
}

const U = 'UNAUTHENTICATED';
const F = 'FORBIDDEN';

// prettier-ignore
const socketMatrix: Record<string, SocketRow> = {
  //                          anonymous visitorA visitorB agentX agentY disabled admin
  'message.send':          { cells: [U, 'ok', 'ok', 'ok', F, U, F],
    payload: (fx) => ({ conversationId: fx.CA, ...text('over the socket') }),
    // A visitor names no conversation: B's message lands in B's own, whatever B sent.
    check: (ack, who, fx) => expect(ack.message.conversationId).toBe(who === 'visitorB' ? fx.CB : fx.CA) },
  'messages.list':         { cells: [U, 'ok', F, 'ok', F, U, 'ok'], payload: (fx) => ({ conversationId: fx.CA }),
    check: (ack, _who, fx) => expect(ack.messages[0].conversationId).toBe(fx.CA) },
  'conversation.read':     { cells: [U, 'ok', F, 'ok', F, U, F], payload: (fx) => ({ conversationId: fx.CA, seq: 0 }) },
  typing:                  { cells: [U, 'ok', F, 'ok', F, U, F], payload: (fx) => ({ conversationId: fx.CA, isTyping: false }) },
  'agent.status.set':      { cells: [U, F, F, 'ok', 'ok', U, F], payload: () => ({ status: 'away' }) },
  'conversations.list':    { cells: [U, F, F, 'ok', F, U, 'ok'], payload: (fx) => ({ agentId: fx.X.id }),
    check: (ack, _who, fx) => expect(ack.conversations.map((c: { id: string }) => c.id)).toContain(fx.CA) },
  'note.create':           { cells: [U, F, F, 'ok', F, U, 'ok'], payload: (fx) => ({ conversationId: fx.CA, clientNoteId: newClientMsgId(), body: 'a socket note' }),
    check: (ack, _who, fx) => expect(ack.note.conversationId).toBe(fx.CA) },
  'conversation.end':      { cells: [U, F, F, 'CONVERSATION_ENDED', F, U, 'CONVERSATION_ENDED'], payload: (fx) => ({ conversationId: fx.CE }) },
  'conversation.transfer': { cells: [U, F, F, 'AGENT_UNAVAILABLE', F, U, 'AGENT_UNAVAILABLE'],
    payload: (fx) => ({ conversationId: fx.CA, agentId: 'no-such-agent' }) },
  'conversation.assign':   { cells: [U, F, F, F, F, U, 'INVALID_STATE'], payload: (fx) => ({ conversationId: fx.CA, agentId: fx.Y.id }) },
  // A visitor's own context: the payload names no visitor, so nobody can write another's.
  'visitor.context':       { cells: [U, 'ok', 'ok', F, F, U, F], payload: () => ({ url: 'https://shop.example.com/matrix', title: 'Matrix' }) },
};

/** What A wrote in CA: no refused answer may contain it. */
const secretText = 'only for X and the admins';

/** Socket.IO's own events (it listens to `error` itself), not client events. */
const reservedSocketEvents = new Set([
  'connect',
  'connect_error',
  'disconnect',
  'disconnecting',
  'error',
]);

describe('authorization matrix', () => {
  let t: LiveApp;
  type Agent = Awaited<ReturnType<LiveApp['agent']>>;
  let X: Agent;
  let Y: Agent;
  let D: Agent;
  let A: { token: string; id: string };
  let B: { token: string; id: string };
  let fx: Fixtures;
  const sockets = {} as Record<Exclude<Who, 'anonymous' | 'disabledAgent'>, Socket>;
  let disabledSocket: Socket;
  let disabledSocketDropped: Promise<string>;
  let disabledSocketWorkedBefore: unknown;
  /** What an outsider must not have changed; read from the database. */
  let before: Awaited<ReturnType<typeof snapshot>>;
  /** Allowed calls that write: their messages are expected. */
  const expectedNewMessages = { CA: 0, CB: 0 };

  async function sendAsVisitor(token: string, body: string): Promise<string> {
    const answer = await t.request('POST', '/api/v1/visitor/messages', {
      token,
      body: text(body),
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    return answer.body.conversation.id as string;
  }

  /** Read positions are left out: an allowed sender reads up to their own message. */
  async function snapshot() {
    const db = t.app.ctx.db;
    const conversations = await db
      .selectFrom('conversations')
      .select(['id', 'state', 'agent_id', 'last_seq', 'ended_at'])
      .orderBy('id')
      .execute();
    const accounts = await db
      .selectFrom('accounts')
      .select(['id', 'username', 'display_name', 'role', 'password_hash', 'disabled_at', 'status'])
      .orderBy('id')
      .execute();
    const channels = await db.selectFrom('channels').selectAll().orderBy('id').execute();
    const count = (table: 'visitors' | 'files' | 'messages') => countRows(db, table);
    return {
      conversations,
      accounts,
      channels,
      visitors: await count('visitors'),
      files: await count('files'),
      messages: await count('messages'),
    };
  }

  beforeAll(async () => {
    t = await startLiveApp();
    X = await t.agent({ status: 'online', displayName: 'Xavier' });
    A = await t.visitor();
    const CE = await sendAsVisitor(A.token, 'first visit');
    const ended = await t.request('POST', `/api/v1/conversations/${CE}/end`, { token: X.token });
    expect(ended.status).toBe(200);
    // A comes back: to X again.
    const CA = await sendAsVisitor(A.token, secretText);
    expect(CA).not.toBe(CE);

    // A file A sent in CA: X and admins may read it too, outsiders not.
    const fileId = await uploadPng(t, A.token);
    const sentFile = await t.request('POST', '/api/v1/visitor/messages', {
      token: A.token,
      body: { clientMsgId: newClientMsgId(), type: 'image', fileId },
    });
    expect(sentFile.status).toBe(201);
    await t.setStatus(X.token, 'away');

    Y = await t.agent({ status: 'online', displayName: 'Yolanda' });
    B = await t.visitor();
    const CB = await sendAsVisitor(B.token, 'hello from B');
    await t.setStatus(Y.token, 'away');

    fx = { CA, CB, CE, X, Y, channelId: t.channelId, fileId };
    for (const [id, agent] of [
      [CA, X],
      [CE, X],
      [CB, Y],
    ] as const) {
      const read = await t.request('GET', `/api/v1/conversations/${id}`, { token: t.adminToken });
      expect(read.body.conversation.agent.id).toBe(agent.id);
    }

    // The disabled agent: logged in and connected, then disabled by an admin.
    D = await t.agent({ displayName: 'Dana' });
    disabledSocket = await t.connect(D.token);
    disabledSocketWorkedBefore = await request(disabledSocket, 'conversations.list', {});
    disabledSocketDropped = nextEvent<string>(disabledSocket, 'disconnect');
    disabledSocket.io.reconnection(false);
    const off = await t.request('PATCH', `/api/v1/agents/${D.id}`, {
      token: t.adminToken,
      body: { enabled: false },
    });
    expect(off.status).toBe(200);

    sockets.visitorA = await t.connect(A.token);
    sockets.visitorB = await t.connect(B.token);
    sockets.agentX = await t.connect(X.token);
    sockets.agentY = await t.connect(Y.token);
    sockets.admin = await t.connect(t.adminToken);
    before = await snapshot();
  });
  afterAll(() => t.close());

  describe('coverage', () => {
    it('has a row for every registered route, and every row is a route', () => {
      const registered = t.app.routes.map((r) => `${r.method} ${r.url}`).sort();
      expect(registered).toEqual(Object.keys(restMatrix).sort());
    });

    it('documents every registered route in docs/PROTOCOL.md', () => {
      const doc = fs.readFileSync(new URL('../../../../docs/PROTOCOL.md', import.meta.url), 'utf8');
      const missing = t.app.routes.filter((r) => r.url !== '/healthz' && !doc.includes(r.url));
      expect(missing).toEqual([]);
      const undocumented = Object.values(ClientEvent).filter((e) => !doc.includes(`\`${e}\``));
      expect(undocumented).toEqual([]);
    });

    it('has a row for every client event in the protocol and every handler the server registers', () => {
      expect(Object.keys(socketMatrix).sort()).toEqual(Object.values(ClientEvent).sort());
      // What the server really listens to, on a visitor's and a console user's socket.
      for (const [who, token] of [
        ['visitor', A.token],
        ['admin', t.adminToken],
      ] as const) {
        const serverSockets = [...t.app.realtime.io.of('/').sockets.values()].filter(
          (s) => s.handshake.auth.token === token,
        );
        expect(serverSockets.length, who).toBeGreaterThan(0);
        for (const s of serverSockets) {
          const handled = s
            .eventNames()
            .map(String)
            .filter((e) => !reservedSocketEvents.has(e));
          expect(handled.sort(), who).toEqual(Object.keys(socketMatrix).sort());
        }
      }
    });
  });

  describe('the disabled agent', () => {
    it('lost the live socket it had before being disabled, and cannot reconnect', async () => {
      expect(disabledSocketWorkedBefore).toMatchObject({ ok: true });
      expect(await disabledSocketDropped).toBe('io server disconnect');
      expect(disabledSocket.connected).toBe(false);
      const refused = nextEvent<Error & { data?: { code: string } }>(
        disabledSocket,
        'connect_error',
      );
      disabledSocket.connect();
      expect((await refused).data?.code).toBe('UNAUTHENTICATED');
      // No server-side socket of that account survived.
      const left = [...t.app.realtime.io.of('/').sockets.values()].filter(
        (s) => s.data.actor?.accountId === D.id,
      );
      expect(left).toEqual([]);
    });

    it('cannot log in again', async () => {
      const answer = await t.request('POST', '/api/v1/auth/login', {
        body: { username: D.username, password: D.password },
      });
      expect([answer.status, answer.body.error.code]).toEqual([403, 'ACCOUNT_DISABLED']);
    });
  });

  async function tokenFor(who: Who, row: RestRow): Promise<string | undefined> {
    switch (who) {
      case 'anonymous':
        return undefined;
      case 'visitorA':
        return A.token;
      case 'visitorB':
        return B.token;
      case 'disabledAgent':
        return D.token;
      case 'agentX':
        return row.freshSession ? t.login(X.username, X.password) : X.token;
      case 'agentY':
        return row.freshSession ? t.login(Y.username, Y.password) : Y.token;
      case 'admin':
        return row.freshSession ? t.login('admin', adminPassword) : t.adminToken;
    }
  }

  describe('REST', () => {
    for (const [route, row] of Object.entries(restMatrix)) {
      actors.forEach((who, column) => {
        const cell = row.cells[column]!;
        it(`${route} — ${who} → ${cell}`, async () => {
          const [method, pattern] = route.split(' ') as [string, string];
          const id = row.id?.(fx) ?? idFor(pattern);
          const url =
            pattern
              .replace(':id', id)
              .replace(':labelId', 'no-such-label')
              .replace(':entryId', 'no-such-entry')
              .replace(':deliveryId', 'no-such-delivery')
              .replace('*', 'somewhere') + (row.query?.(fx) ?? '');
          const body =
            row.body?.(fx) ?? (['GET', 'DELETE'].includes(method) ? undefined : invalidBody);
          const token = await tokenFor(who, row);
          const answer = await t.request(method, url, {
            ...(token ? { token } : {}),
            ...(body !== undefined ? { body } : {}),
          });
          const what = `${answer.status} ${JSON.stringify(answer.body)?.slice(0, 300)}`;
          const [status, code] =
            cell === 401
              ? [401, 'UNAUTHENTICATED']
              : cell === 403
                ? [403, 'FORBIDDEN']
                : typeof cell === 'string'
                  ? [Number(cell.split(' ')[0]), cell.split(' ')[1]]
                  : [cell, undefined];
          expect(answer.status, what).toBe(status);
          if (code !== undefined) expect(ErrorBody.parse(answer.body).error.code, what).toBe(code);
          if (cell === 201 && route === 'POST /api/v1/conversations/:id/messages') {
            expectedNewMessages.CA += 1;
          }
          // A refused caller learns nothing about the conversation.
          if (cell === 401 || cell === 403) expect(what).not.toContain(secretText);
        });
      });
    }

    function idFor(pattern: string): string {
      if (pattern.includes('/conversations/')) return fx.CA;
      if (pattern.includes('/files/')) return fx.fileId;
      if (pattern.includes('/agents/')) return fx.X.id;
      return fx.channelId;
    }
  });

  /**
   * Speaks the Socket.IO protocol by hand so that the event can be sent after the handshake was
   * refused, as a client ignoring `connect_error` would.
   */
  async function refusedConnection(token: string | undefined, event: string, payload: unknown) {
    const manager = new Manager(t.url, {
      autoConnect: false,
      reconnection: false,
      transports: ['websocket'],
    });
    await new Promise<void>((resolve, reject) =>
      manager.open((error) => (error ? reject(error) : resolve())),
    );
    const packets: { type: number; data?: any }[] = [];
    manager.on('packet', (packet) => packets.push(packet));
    const closed = new Promise<string>((resolve) => manager.on('close', resolve));
    const engine = manager.engine as unknown as { write(data: string): void };
    engine.write(`0${JSON.stringify(token === undefined ? {} : { token })}`);
    const deadline = Date.now() + 5000;
    while (!packets.some((p) => p.type === 4) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    // 2 = EVENT, with ack id 1.
    engine.write(`21${JSON.stringify([event, payload])}`);
    const reason = await closed;
    return { packets, reason };
  }

  describe('sockets', () => {
    for (const [event, row] of Object.entries(socketMatrix)) {
      actors.forEach((who, column) => {
        const cell = row.cells[column]!;
        it(`${event} — ${who} → ${cell}`, async () => {
          if (who === 'anonymous' || who === 'disabledAgent') {
            expect(cell).toBe('UNAUTHENTICATED');
            const { packets, reason } = await refusedConnection(
              who === 'anonymous' ? undefined : D.token,
              event,
              row.payload(fx),
            );
            // The handshake is refused (4 = CONNECT_ERROR)...
            expect(packets[0]).toMatchObject({
              type: 4,
              data: { data: { code: 'UNAUTHENTICATED' } },
            });
            // ...and the event sent anyway closes the connection unanswered (3 = ACK).
            expect(reason).toBe('transport close');
            expect(packets.map((p) => p.type)).toEqual([4]);
            return;
          }
          const ack = await request(sockets[who], event, row.payload(fx));
          if (cell === 'ok') {
            expect(ack.ok, JSON.stringify(ack)).toBe(true);
            row.check?.(ack, who, fx);
            if (event === 'message.send') {
              expectedNewMessages[who === 'visitorB' ? 'CB' : 'CA'] += 1;
            }
          } else {
            const refusal = AckError.safeParse(ack);
            expect(refusal.success, JSON.stringify(ack)).toBe(true);
            expect(refusal.data!.error.code, JSON.stringify(ack)).toBe(cell);
            if (cell === 'FORBIDDEN') expect(JSON.stringify(ack)).not.toContain(secretText);
          }
        });
      });
    }
  });

  /**
   * API keys: a row per scope (a key with only that scope, acting as the admin), and a key with
   * every scope acting as agent X. What a key may call comes from the route catalogue; when it
   * may, it gets exactly the answer of the account it acts as; when not, 403 (KEY_SCOPE_MISSING
   * for a scope it lacks, FORBIDDEN for a route not available to keys).
   */
  describe('API keys', () => {
    const keys = {} as Record<string, { token: string; scopes: ApiKeyScope[]; column: number }>;
    beforeAll(async () => {
      const make = async (name: string, scopes: ApiKeyScope[], accountId?: string) => {
        const answer = await t.request('POST', '/api/v1/api-keys', {
          token: t.adminToken,
          body: { name, scopes, ...(accountId ? { accountId } : {}) },
        });
        expect(answer.status, JSON.stringify(answer.body)).toBe(201);
        return answer.body.token as string;
      };
      const admin = actors.indexOf('admin');
      for (const scope of apiKeyScopes) {
        keys[`key ${scope} (as admin)`] = {
          token: await make(scope, [scope]),
          scopes: [scope],
          column: admin,
        };
      }
      keys['key with every scope (as agent X)'] = {
        token: await make('every scope', [...apiKeyScopes], fx.X.id),
        scopes: [...apiKeyScopes],
        column: actors.indexOf('agentX'),
      };
    });

    function keyCell(route: string, scopes: ApiKeyScope[], base: Cell): KeyCell {
      const [method, pattern] = route.split(' ') as [string, string];
      if (!pattern.startsWith('/api/') && pattern !== '/healthz') return base;
      const entry = findApiRoute(method, pattern);
      if (!entry) return 403;
      if (entry.key === null) return entry.callers.includes('public') ? base : 403;
      return entry.key === 'any' || scopes.includes(entry.key) ? base : 'scope';
    }

    for (const [route, row] of Object.entries(restMatrix)) {
      for (const name of [
        ...apiKeyScopes.map((s) => `key ${s} (as admin)`),
        'key with every scope (as agent X)',
      ]) {
        it(`${route} — ${name}`, async () => {
          const key = keys[name]!;
          const cell = keyCell(route, key.scopes, row.cells[key.column]!);
          const [method, pattern] = route.split(' ') as [string, string];
          const id =
            row.id?.(fx) ??
            (pattern.includes('/conversations/')
              ? fx.CA
              : pattern.includes('/files/')
                ? fx.fileId
                : pattern.includes('/agents/')
                  ? fx.X.id
                  : fx.channelId);
          const url =
            pattern
              .replace(':id', id)
              .replace(':labelId', 'no-such-label')
              .replace('*', 'somewhere') + (row.query?.(fx) ?? '');
          const body =
            row.body?.(fx) ?? (['GET', 'DELETE'].includes(method) ? undefined : invalidBody);
          const answer = await t.request(method, url, {
            token: key.token,
            ...(body !== undefined ? { body } : {}),
          });
          const what = `${cell}: ${answer.status} ${JSON.stringify(answer.body)?.slice(0, 300)}`;
          const [status, code] =
            cell === 'scope'
              ? [403, 'KEY_SCOPE_MISSING']
              : cell === 401
                ? [401, 'UNAUTHENTICATED']
                : cell === 403
                  ? [403, 'FORBIDDEN']
                  : typeof cell === 'string'
                    ? [Number(cell.split(' ')[0]), cell.split(' ')[1]]
                    : [cell, undefined];
          expect(answer.status, what).toBe(status);
          if (code !== undefined) expect(ErrorBody.parse(answer.body).error.code, what).toBe(code);
          if (cell === 201 && route === 'POST /api/v1/conversations/:id/messages') {
            expectedNewMessages.CA += 1;
          }
          if (cell === 'scope' || cell === 401 || cell === 403) {
            expect(what).not.toContain(secretText);
          }
        });
      }
    }
  });

  it('after every cell: only the allowed writes happened, and the fixtures are as they were', async () => {
    const after = await snapshot();
    const lastSeq = (id: string) => before.conversations.find((c) => c.id === id)!.last_seq;
    const expected = {
      ...before,
      conversations: before.conversations.map((c) =>
        c.id === fx.CA
          ? { ...c, last_seq: lastSeq(fx.CA) + expectedNewMessages.CA }
          : c.id === fx.CB
            ? { ...c, last_seq: lastSeq(fx.CB) + expectedNewMessages.CB }
            : c,
      ),
      messages: before.messages + expectedNewMessages.CA + expectedNewMessages.CB,
    };
    // X sent once over REST and once with an API key acting as X; A, B and X once over the socket.
    expect(expectedNewMessages).toEqual({ CA: 4, CB: 1 });
    expect(after).toEqual(expected);
    const ca = after.conversations.find((c) => c.id === fx.CA)!;
    expect(ca).toMatchObject({ state: 'active', agent_id: X.id });
    expect(after.accounts.find((a) => a.id === D.id)!.disabled_at).not.toBeNull();
  });

  /**
   * A socket holds the role its account had when it connected: a role change drops the
   * account's sockets (the console reconnects with the new role), as disabling does.
   */
  describe('an admin demoted to agent', () => {
    let former: Awaited<ReturnType<LiveApp['createAccount']>>;
    let formerSocket: Socket;

    it('is refused over REST at once', async () => {
      former = await t.createAccount({ role: 'admin', displayName: 'Former admin' });
      formerSocket = await t.connect(former.token);
      expect(await request(formerSocket, 'messages.list', { conversationId: fx.CA })).toMatchObject(
        { ok: true },
      );
      const demoted = await t.request('PATCH', `/api/v1/agents/${former.account.id}`, {
        token: t.adminToken,
        body: { role: 'agent' },
      });
      expect(demoted.status).toBe(200);
      const rest = await t.request('GET', `/api/v1/conversations/${fx.CA}/messages`, {
        token: former.token,
      });
      expect([rest.status, rest.body.error?.code]).toEqual([403, 'FORBIDDEN']);
    });

    it('loses the admin powers of the socket it had open', async () => {
      expect(former).toBeDefined();
      const heard = record(formerSocket, 'message.created');
      // A writes in CA; once an admin socket heard it, the former admin's would have too.
      const adminHeard = nextEvent(
        sockets.admin,
        'message.created',
        (p: any) => p.message.conversationId === fx.CA,
      );
      await sendAsVisitor(A.token, 'after the demotion');
      await adminHeard;
      const answer = formerSocket.connected
        ? await request(formerSocket, 'messages.list', { conversationId: fx.CA })
        : { ok: false };
      expect(answer.ok).toBe(false);
      expect(heard).toEqual([]);
    });
  });
});
