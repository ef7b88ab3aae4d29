import { createHmac } from 'node:crypto';
import path from 'node:path';
import {
  EraseVisitorResponse,
  MessagePage,
  VisitorExport,
  VisitorSearchResponse,
} from '@servicesystem/protocol';
import { strFromU8, unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteExpiredConversations } from '../../src/domain/privacy/deleteExpiredConversations.js';
import { filesUnder } from '../support/mediaFactory.js';
import { newClientMsgId, startLiveApp, uploadPng, type LiveApp } from '../support/liveApp.js';
import { adminPassword } from '../support/testApp.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { ask } from '../support/world.js';

/**
 * Retention and privacy: channels' ended conversations deleted after N days by a resumable
 * background job on one node at a time; an administrator's export and erase of one visitor.
 */

const day = 24 * 60 * 60 * 1000;

const say = (t: LiveApp, token: string, body: string) =>
  t.request('POST', '/api/v1/visitor/messages', {
    token,
    body: { clientMsgId: newClientMsgId(), type: 'text', body },
  });

const sendImage = (t: LiveApp, token: string, fileId: string, conversationId?: string) =>
  t.request(
    'POST',
    conversationId
      ? `/api/v1/conversations/${conversationId}/messages`
      : '/api/v1/visitor/messages',
    { token, body: { clientMsgId: newClientMsgId(), type: 'image', fileId, body: '' } },
  );

const reply = (t: LiveApp, token: string, conversationId: string, body: string) =>
  t.request('POST', `/api/v1/conversations/${conversationId}/messages`, {
    token,
    body: { clientMsgId: newClientMsgId(), type: 'text', body },
  });

/** A conversation of a new visitor with one text, ended by the admin. */
async function endedConversation(t: LiveApp, channelId: string, adminToken: string) {
  const visitor = await t.visitor({ channelId });
  const sent = await say(t, visitor.token, 'hello, please delete me later');
  expect(sent.status).toBe(201);
  const id = sent.body.conversation.id as string;
  const ended = await t.request('POST', `/api/v1/conversations/${id}/end`, { token: adminToken });
  expect(ended.status).toBe(200);
  return { id, visitor };
}

async function conversationIds(t: LiveApp): Promise<string[]> {
  const rows = await t.app.db.kysely.selectFrom('conversations').select('id').execute();
  return rows.map((r) => r.id);
}

async function messageCount(t: LiveApp, conversationId: string): Promise<number> {
  const rows = await t.app.db.kysely
    .selectFrom('messages')
    .select('id')
    .where('conversation_id', '=', conversationId)
    .execute();
  return rows.length;
}

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

function signIdentity(claims: object, secret: string): string {
  const input = `${base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${base64url(JSON.stringify(claims))}`;
  const signature = createHmac('sha256', Buffer.from(secret, 'utf8')).update(input).digest();
  return `${input}.${base64url(signature)}`;
}

describe('channel retention', () => {
  let clock = Date.now();
  const now = () => clock;
  let t: LiveApp;
  let admin: string;
  beforeAll(async () => {
    t = await startLiveApp({}, { now });
    admin = t.adminToken;
  });
  afterAll(() => t.close());

  it('is off by default, set by admins within 1 to 3650 days, and audited', async () => {
    const channel = await t.request('GET', `/api/v1/channels/${t.channelId}`, { token: admin });
    expect(channel.body.channel.retentionDays).toBeNull();
    for (const bad of [0, 3651, 1.5, '30']) {
      const refused = await t.request('PATCH', `/api/v1/channels/${t.channelId}`, {
        token: admin,
        body: { retentionDays: bad },
      });
      expect(refused.status).toBe(400);
      expect(refused.body.error.code).toBe('VALIDATION_FAILED');
    }
    const set = await t.request('PATCH', `/api/v1/channels/${t.channelId}`, {
      token: admin,
      body: { retentionDays: 30 },
    });
    expect(set.status).toBe(200);
    expect(set.body.channel.retentionDays).toBe(30);
    const audit = await t.request('GET', '/api/v1/audit', { token: admin });
    expect(audit.body.entries).toContainEqual(
      expect.objectContaining({
        action: 'channel.update',
        changes: [{ field: 'retentionDays', from: null, to: 30 }],
      }),
    );
    const agent = await t.agent();
    const refused = await t.request('PATCH', `/api/v1/channels/${t.channelId}`, {
      token: agent.token,
      body: { retentionDays: 1 },
    });
    expect(refused.status).toBe(403);
  });

  it('deletes ended conversations past it with their messages and files; keeps the rest', async () => {
    const stored = () => filesUnder(path.join(t.db.dataDir, 'files'));
    const other = await t.request('POST', '/api/v1/channels', {
      token: admin,
      body: { name: 'Keeps everything' },
    });
    const otherChannel = other.body.channel.id as string;

    // Day 0: a served conversation with a visitor's and an agent's image, then ended.
    const agent = await t.agent({ status: 'online' });
    const visitor = await t.visitor();
    const visitorFile = await uploadPng(t, visitor.token);
    const first = await sendImage(t, visitor.token, visitorFile);
    expect(first.status).toBe(201);
    const old = first.body.conversation.id as string;
    expect((await say(t, visitor.token, 'my address is 1 Secret Lane')).status).toBe(201);
    const agentFile = await uploadPng(t, agent.token);
    const agentImage = await sendImage(t, agent.token, agentFile, old);
    expect(agentImage.status).toBe(201);
    expect(
      (await t.request('POST', `/api/v1/conversations/${old}/end`, { token: agent.token })).status,
    ).toBe(200);
    await t.setStatus(agent.token, 'offline');
    const urls = [
      first.body.message.attachment.url as string,
      agentImage.body.message.attachment.url as string,
    ];
    // The other channel's old conversation, and an open one here that started on day 0.
    const elsewhere = await endedConversation(t, otherChannel, admin);
    const openVisitor = await t.visitor();
    const open = (await say(t, openVisitor.token, 'still waiting')).body.conversation.id as string;
    const filesBefore = await stored();

    // Day 29: another conversation ends here (inside the window on day 31).
    clock += 29 * day;
    admin = await t.login('admin', adminPassword);
    const recent = await endedConversation(t, t.channelId, admin);

    clock += 2 * day;
    await t.app.jobs.runNow('retention');
    const left = await conversationIds(t);
    expect(left).not.toContain(old);
    expect(left).toEqual(expect.arrayContaining([recent.id, elsewhere.id, open]));
    expect(await messageCount(t, old)).toBe(0);
    expect(await messageCount(t, recent.id)).toBeGreaterThan(0);
    // Files: unreadable at once, their objects gone with the next file round.
    for (const url of urls) expect((await fetch(`${t.url}${url}`)).status).toBe(404);
    await t.app.jobs.runNow('files');
    const filesAfter = await stored();
    expect(filesAfter.length).toBe(filesBefore.length - 4);
    expect(filesAfter.some((f) => f.includes(visitorFile) || f.includes(agentFile))).toBe(false);
    // Search forgets it; the visitor row stays (an identity without conversations).
    const found = await t.request('GET', '/api/v1/search?q=Secret%20Lane', { token: admin });
    expect(found.status).toBe(200);
    expect(found.body.results).toEqual([]);
    const visitorRow = await t.app.db.kysely
      .selectFrom('visitors')
      .select('id')
      .where('id', '=', visitor.id)
      .executeTakeFirst();
    expect(visitorRow).toBeDefined();
    // The open conversation still works.
    expect((await say(t, openVisitor.token, 'still here')).status).toBe(201);
  });

  it('goes on where a round stopped: batch by batch, each whole', async () => {
    // What the case above left to expire goes first.
    clock += 31 * day;
    while (await deleteExpiredConversations(t.app.ctx));
    admin = await t.login('admin', adminPassword);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await endedConversation(t, t.channelId, admin)).id);
    clock += 31 * day;
    admin = await t.login('admin', adminPassword);
    // One batch of one, as if the node stopped after it.
    expect(await deleteExpiredConversations(t.app.ctx, 1)).toBe(true);
    const afterOne = await conversationIds(t);
    const gone = ids.filter((id) => !afterOne.includes(id));
    expect(gone).toHaveLength(1);
    for (const id of ids.filter((id) => afterOne.includes(id))) {
      expect(await messageCount(t, id)).toBeGreaterThan(0);
    }
    const orphans = await t.app.db.kysely
      .selectFrom('messages')
      .leftJoin('conversations', 'conversations.id', 'messages.conversation_id')
      .select('messages.id')
      .where('conversations.id', 'is', null)
      .execute();
    expect(orphans).toEqual([]);
    // The next round finishes.
    while (await deleteExpiredConversations(t.app.ctx, 1));
    const afterAll_ = await conversationIds(t);
    for (const id of ids) expect(afterAll_).not.toContain(id);
  });
});

describe('retention on two servers over one database', () => {
  let clock = Date.now();
  const now = () => clock;
  let db: TestDatabase;
  let first: LiveApp;
  let second: LiveApp;
  beforeAll(async () => {
    db = await createTestDatabase();
    first = await startLiveApp({}, { db, now });
    second = await startLiveApp({}, { db, now });
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
    await db?.drop();
  });

  it('deletes each conversation once, without errors, when both run at once', async () => {
    const set = await first.request('PATCH', `/api/v1/channels/${first.channelId}`, {
      token: first.adminToken,
      body: { retentionDays: 1 },
    });
    expect(set.status).toBe(200);
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      const app = i % 2 ? second : first;
      ids.push((await endedConversation(app, app.channelId, app.adminToken)).id);
    }
    const kept = await endedConversation(first, first.channelId, first.adminToken);
    clock += 2 * day;
    // Pretend `kept` ended just now.
    await first.app.ctx.transaction((trx) =>
      trx.updateTable('conversations').set({ ended_at: clock }).where('id', '=', kept.id).execute(),
    );
    // Through the job (the lease lets one node work) and straight through the action.
    await Promise.all([
      first.app.jobs.runNow('retention'),
      second.app.jobs.runNow('retention'),
      deleteExpiredConversations(first.app.ctx, 3),
      deleteExpiredConversations(second.app.ctx, 3),
    ]);
    while (
      (
        await Promise.all([
          deleteExpiredConversations(first.app.ctx, 3),
          deleteExpiredConversations(second.app.ctx, 3),
        ])
      ).some(Boolean)
    );
    const left = await conversationIds(first);
    for (const id of ids) expect(left).not.toContain(id);
    expect(left).toContain(kept.id);
  });
});

describe('a visitor: find, export, erase', () => {
  let t: LiveApp;
  let secret: string;
  beforeAll(async () => {
    t = await startLiveApp();
    const channel = await t.request('GET', `/api/v1/channels/${t.channelId}`, {
      token: t.adminToken,
    });
    secret = channel.body.channel.identitySecret as string;
  });
  afterAll(() => t.close());

  async function identifiedVisitor(sub: string, email: string) {
    const identity = signIdentity(
      {
        sub,
        name: 'Li Lei',
        exp: Math.floor(Date.now() / 1000) + 600,
        attributes: { email, plan: 'gold' },
      },
      secret,
    );
    return t.visitor({ identity });
  }

  it('finds them by id, external id or email; admins only; bad input is a JSON 400', async () => {
    const visitor = await identifiedVisitor('crm-42', 'li.lei@example.com');
    expect((await say(t, visitor.token, 'hi there')).status).toBe(201);
    for (const query of [visitor.id, 'crm-42', 'LI.LEI@example.com']) {
      const answer = await t.request('GET', `/api/v1/visitors?query=${encodeURIComponent(query)}`, {
        token: t.adminToken,
      });
      expect(answer.status).toBe(200);
      const { visitors } = VisitorSearchResponse.parse(answer.body);
      expect(visitors.map((v) => v.id)).toEqual([visitor.id]);
      expect(visitors[0]).toMatchObject({
        externalId: 'crm-42',
        email: 'li.lei@example.com',
        conversations: 1,
        files: 0,
        erasedAt: null,
      });
    }
    const none = await t.request('GET', '/api/v1/visitors?query=nobody', { token: t.adminToken });
    expect(none.body.visitors).toEqual([]);
    const empty = await t.request('GET', '/api/v1/visitors?query=', { token: t.adminToken });
    expect(empty.status).toBe(400);
    expect(empty.body.error.code).toBe('VALIDATION_FAILED');
    const agent = await t.agent();
    for (const token of [agent.token, visitor.token, undefined]) {
      const refused = await t.request('GET', `/api/v1/visitors?query=crm-42`, {
        ...(token ? { token } : {}),
      });
      expect([401, 403]).toContain(refused.status);
      expect(refused.body.error.code).toMatch(/UNAUTHENTICATED|FORBIDDEN/);
    }
  });

  it('exports every message and the bytes of every file, audited', async () => {
    const agent = await t.agent({ status: 'online' });
    const visitor = await identifiedVisitor('crm-77', 'export@example.com');
    const fileId = await uploadPng(t, visitor.token);
    const sent = await sendImage(t, visitor.token, fileId);
    expect(sent.status).toBe(201);
    const conversationId = sent.body.conversation.id as string;
    expect((await say(t, visitor.token, 'the parcel never came')).status).toBe(201);
    expect((await reply(t, agent.token, conversationId, 'sorry, resending')).status).toBe(201);
    await t.setStatus(agent.token, 'offline');

    const response = await fetch(`${t.url}/api/v1/visitors/${visitor.id}/export`, {
      headers: { authorization: `Bearer ${t.adminToken}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/zip');
    expect(response.headers.get('content-disposition')).toBe(
      `attachment; filename="visitor-${visitor.id}.zip"`,
    );
    const zip = unzipSync(new Uint8Array(await response.arrayBuffer()));
    const document = VisitorExport.parse(JSON.parse(strFromU8(zip['visitor.json']!)));
    expect(document.visitor).toMatchObject({
      id: visitor.id,
      externalId: 'crm-77',
      name: 'Li Lei',
      attributes: { email: 'export@example.com', plan: 'gold' },
    });
    const bodies = document.conversations.flatMap((c) => c.messages.map((m) => m.body));
    expect(bodies).toEqual(expect.arrayContaining(['the parcel never came', 'sorry, resending']));
    expect(document.files).toHaveLength(1);
    const file = document.files[0]!;
    expect(file.path).toBe(`files/${fileId}-dot.png`);
    const bytes = zip[file.path!]!;
    expect(Buffer.from(bytes).equals(await originalBytes(fileId))).toBe(true);
    expect(bytes.length).toBe(file.size);

    const audit = await t.request('GET', '/api/v1/audit', { token: t.adminToken });
    expect(audit.body.entries).toContainEqual(
      expect.objectContaining({
        action: 'visitor.export',
        target: { type: 'visitor', id: visitor.id, label: visitor.id },
        changes: [
          { field: 'conversations', to: 1 },
          { field: 'files', to: 1 },
        ],
      }),
    );
    const missing = await t.request('GET', '/api/v1/visitors/no-such-visitor/export', {
      token: t.adminToken,
    });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('NOT_FOUND');
  });

  /** A stored file's original bytes, through an admin's read. */
  async function originalBytes(fileId: string): Promise<Buffer> {
    const answer = await fetch(`${t.url}/api/v1/files/${fileId}`, {
      headers: { authorization: `Bearer ${t.adminToken}` },
    });
    expect(answer.status).toBe(200);
    return Buffer.from(await answer.arrayBuffer());
  }

  it('erases: redacted history, files gone, identity forgotten, old token refused', async () => {
    const stored = () => filesUnder(path.join(t.db.dataDir, 'files'));
    const agent = await t.agent({ status: 'online' });
    const visitor = await identifiedVisitor('crm-99', 'erase.me@example.com');
    const fileId = await uploadPng(t, visitor.token);
    const sent = await sendImage(t, visitor.token, fileId);
    expect(sent.status).toBe(201);
    const conversationId = sent.body.conversation.id as string;
    expect((await say(t, visitor.token, 'my passport is Zebra4471')).status).toBe(201);
    const agentFile = await uploadPng(t, agent.token);
    const agentImage = await sendImage(t, agent.token, agentFile, conversationId);
    expect(agentImage.status).toBe(201);
    expect((await reply(t, agent.token, conversationId, 'noted, thanks')).status).toBe(201);
    const urls = [
      sent.body.message.attachment.url as string,
      agentImage.body.message.attachment.url as string,
    ];
    const socket = await t.connect(visitor.token);
    const disconnected = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    const beforeSearch = await t.request('GET', '/api/v1/search?q=Zebra4471', {
      token: t.adminToken,
    });
    expect(beforeSearch.body.results).toHaveLength(1);
    const filesBefore = await stored();

    const wrong = await t.request('POST', `/api/v1/visitors/${visitor.id}/erase`, {
      token: t.adminToken,
      body: { confirm: 'someone-else' },
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.code).toBe('CONFIRMATION_MISMATCH');
    for (const token of [agent.token, visitor.token]) {
      const refused = await t.request('POST', `/api/v1/visitors/${visitor.id}/erase`, {
        token,
        body: { confirm: visitor.id },
      });
      expect([401, 403]).toContain(refused.status);
    }

    const erased = await t.request('POST', `/api/v1/visitors/${visitor.id}/erase`, {
      token: t.adminToken,
      body: { confirm: visitor.id },
    });
    expect(erased.status).toBe(200);
    const result = EraseVisitorResponse.parse(erased.body);
    expect(result.erased).toEqual({ conversationsEnded: 1, messagesRedacted: 3, filesDeleted: 2 });
    expect(result.visitor).toMatchObject({
      externalId: null,
      email: null,
      files: 0,
      conversations: 1,
    });
    expect(result.visitor.erasedAt).not.toBeNull();

    // The live connection closes and the token is refused from now on.
    expect(await disconnected).toBe('io server disconnect');
    const refused = await say(t, visitor.token, 'again');
    expect(refused.status).toBe(401);
    const history = await t.request('GET', '/api/v1/visitor/conversations', {
      token: visitor.token,
    });
    expect(history.status).toBe(401);

    // The console's history: redacted, with the agent's text and the end notice kept.
    const page = await t.request('GET', `/api/v1/conversations/${conversationId}/messages`, {
      token: t.adminToken,
    });
    expect(page.status).toBe(200);
    const messages = MessagePage.parse(page.body).messages;
    const redacted = messages.filter((m) => m.redacted);
    expect(redacted).toHaveLength(3);
    for (const m of redacted) {
      expect(m).toMatchObject({ type: 'text', body: '', attachment: null });
    }
    expect(redacted.filter((m) => m.sender.type === 'visitor').map((m) => m.sender.name)).toEqual([
      'Erased visitor',
      'Erased visitor',
    ]);
    expect(messages.map((m) => m.body)).toContain('noted, thanks');
    expect(JSON.stringify(messages)).not.toContain('Zebra4471');
    // The same over a console socket's resync.
    const adminSocket = await t.connect(t.adminToken);
    const resync = MessagePage.parse(
      await ask(adminSocket, 'messages.list', { conversationId, after: 0 }),
    );
    expect(resync.messages.filter((m) => m.redacted)).toHaveLength(3);

    // Files: dead links at once, objects gone after the file round.
    for (const url of urls) expect((await fetch(`${t.url}${url}`)).status).toBe(404);
    await t.app.jobs.runNow('files');
    const filesAfter = await stored();
    expect(filesAfter.length).toBe(filesBefore.length - 4);
    expect(filesAfter.some((f) => f.includes(fileId) || f.includes(agentFile))).toBe(false);

    // Search and lookup forget them.
    const afterSearch = await t.request('GET', '/api/v1/search?q=Zebra4471', {
      token: t.adminToken,
    });
    expect(afterSearch.body.results).toEqual([]);
    for (const query of ['crm-99', 'erase.me@example.com']) {
      const found = await t.request('GET', `/api/v1/visitors?query=${encodeURIComponent(query)}`, {
        token: t.adminToken,
      });
      expect(found.body.visitors).toEqual([]);
    }
    const row = await t.app.db.kysely
      .selectFrom('visitors')
      .selectAll()
      .where('id', '=', visitor.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ external_id: null, name: 'Erased visitor', attributes: '{}' });
    const context = await t.app.db.kysely
      .selectFrom('visitor_contexts')
      .select('visitor_id')
      .where('visitor_id', '=', visitor.id)
      .execute();
    expect(context).toEqual([]);

    // The same user coming back through the host app is a new visitor.
    const again = await identifiedVisitor('crm-99', 'erase.me@example.com');
    expect(again.id).not.toBe(visitor.id);

    // A second erase is fine and changes nothing; both are audited.
    const twice = await t.request('POST', `/api/v1/visitors/${visitor.id}/erase`, {
      token: t.adminToken,
      body: { confirm: visitor.id },
    });
    expect(twice.status).toBe(200);
    expect(twice.body.erased).toEqual({
      conversationsEnded: 0,
      messagesRedacted: 0,
      filesDeleted: 0,
    });
    const audit = await t.request('GET', '/api/v1/audit', { token: t.adminToken });
    const entries = (audit.body.entries as { action: string; target: { id: string } }[]).filter(
      (e) => e.action === 'visitor.erase' && e.target.id === visitor.id,
    );
    expect(entries).toHaveLength(2);
    expect(audit.body.entries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          action: 'visitor.erase',
          changes: [
            { field: 'conversationsEnded', to: 1 },
            { field: 'messagesRedacted', to: 3 },
            { field: 'filesDeleted', to: 2 },
          ],
        }),
      ]),
    );
  });

  it('answers bad ids with JSON: 404 unknown, 400 malformed', async () => {
    const unknown = await t.request('POST', '/api/v1/visitors/no-such-visitor/erase', {
      token: t.adminToken,
      body: { confirm: 'no-such-visitor' },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('NOT_FOUND');
    const long = 'x'.repeat(65);
    const malformed = await t.request('POST', `/api/v1/visitors/${long}/erase`, {
      token: t.adminToken,
      body: { confirm: long },
    });
    expect(malformed.status).toBe(400);
    const noBody = await t.request('POST', '/api/v1/visitors/abc/erase', { token: t.adminToken });
    expect(noBody.status).toBe(400);
    expect(noBody.body.error.code).toBe('VALIDATION_FAILED');
  });
});
