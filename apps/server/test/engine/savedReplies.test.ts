import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuditListResponse,
  ErrorBody,
  SavedReplyListResponse,
  SavedReplyResponse,
  type SavedReply,
} from '@servicesystem/protocol';
import { startTestApp, type TestApp } from '../support/testApp.js';

/** Saved replies: /api/v1/saved-replies, who may do what, shortcuts, limits, the audit log. */
describe('saved replies', () => {
  let t: TestApp;
  let alice: { token: string; id: string };
  let bob: { token: string; id: string };
  let otherAdmin: { token: string };

  beforeAll(async () => {
    t = await startTestApp();
    const a = await t.createAccount({ displayName: 'Alice' });
    const b = await t.createAccount({ displayName: 'Bob' });
    alice = { token: a.token, id: a.account.id };
    bob = { token: b.token, id: b.account.id };
    otherAdmin = { token: (await t.createAccount({ role: 'admin' })).token };
  });
  afterAll(() => t.close());

  const create = (token: string, body: unknown) =>
    t.request('POST', '/api/v1/saved-replies', { token, body });
  const edit = (token: string, id: string, body: unknown) =>
    t.request('PATCH', `/api/v1/saved-replies/${id}`, { token, body });
  const remove = (token: string, id: string) =>
    t.request('DELETE', `/api/v1/saved-replies/${id}`, { token });
  async function list(token: string): Promise<SavedReply[]> {
    const answer = await t.request('GET', '/api/v1/saved-replies', { token });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return SavedReplyListResponse.parse(answer.body).savedReplies;
  }
  async function made(token: string, body: Record<string, unknown>): Promise<SavedReply> {
    const answer = await create(token, body);
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    return SavedReplyResponse.parse(answer.body).savedReply;
  }
  const codeOf = (answer: { status: number; body: unknown }) => [
    answer.status,
    ErrorBody.parse(answer.body).error.code,
  ];
  async function savedRows() {
    return t.app.ctx.db.selectFrom('saved_replies').selectAll().orderBy('id').execute();
  }
  async function auditOf(targetId: string) {
    const answer = await t.request('GET', `/api/v1/audit?targetId=${targetId}`, {
      token: t.adminToken,
    });
    return AuditListResponse.parse(answer.body)
      .entries.reverse()
      .map((e) => [e.action, e.target.label, e.changes]);
  }

  it('an agent creates, edits and deletes their own personal replies', async () => {
    const reply = await made(alice.token, {
      shortcut: '  Refund ',
      title: '  Refund \n policy ',
      text: ' Hi {visitor.name}, this is {agent.name}.\n\nRefunds take 3 days. ',
    });
    // Personal by default; the shortcut is stored in lower case, the title on one line.
    expect(reply).toMatchObject({
      scope: 'personal',
      shortcut: 'refund',
      title: 'Refund policy',
      text: 'Hi {visitor.name}, this is {agent.name}.\n\nRefunds take 3 days.',
    });
    expect(await savedRows()).toEqual([
      expect.objectContaining({ id: reply.id, owner_id: alice.id, shortcut: 'refund' }),
    ]);

    const edited = await edit(alice.token, reply.id, { title: '退款说明', shortcut: 'tuikuan' });
    expect(edited.status, JSON.stringify(edited.body)).toBe(200);
    expect(SavedReplyResponse.parse(edited.body).savedReply).toMatchObject({
      id: reply.id,
      scope: 'personal',
      shortcut: 'tuikuan',
      title: '退款说明',
      text: reply.text,
    });
    expect((await list(alice.token)).map((r) => r.shortcut)).toEqual(['tuikuan']);

    expect((await remove(alice.token, reply.id)).status).toBe(204);
    expect(await list(alice.token)).toEqual([]);
    expect(await savedRows()).toEqual([]);
    // Personal replies are nobody else's business: nothing in the audit log.
    expect(await auditOf(reply.id)).toEqual([]);
  });

  it("lists the caller's personal replies first, then the shared ones, each by shortcut", async () => {
    const shared = [
      await made(t.adminToken, { scope: 'shared', shortcut: 'zz-bye', title: 'Bye', text: 'Bye!' }),
      await made(t.adminToken, { scope: 'shared', shortcut: 'hello', title: 'Hi', text: 'Hi!' }),
    ];
    const mine = [
      await made(alice.token, { shortcut: 'tracking', title: 'Tracking', text: 'Your parcel' }),
      await made(alice.token, { shortcut: 'address', title: 'Address', text: 'Our address' }),
    ];
    const bobs = await made(bob.token, { shortcut: 'bobs', title: 'Bob', text: 'by Bob' });
    const adminsOwn = await made(t.adminToken, { shortcut: 'mine', title: 'M', text: 'admin' });
    expect(adminsOwn.scope).toBe('personal');

    expect((await list(alice.token)).map((r) => [r.scope, r.shortcut])).toEqual([
      ['personal', 'address'],
      ['personal', 'tracking'],
      ['shared', 'hello'],
      ['shared', 'zz-bye'],
    ]);
    expect((await list(bob.token)).map((r) => r.shortcut)).toEqual(['bobs', 'hello', 'zz-bye']);
    expect((await list(t.adminToken)).map((r) => r.shortcut)).toEqual(['mine', 'hello', 'zz-bye']);
    // Another admin sees the shared ones, not the first admin's personal one.
    expect((await list(otherAdmin.token)).map((r) => r.shortcut)).toEqual(['hello', 'zz-bye']);

    for (const r of [...shared, ...mine, bobs, adminsOwn]) {
      const owner = r === bobs ? bob : mine.includes(r) ? alice : { token: t.adminToken };
      expect((await remove(owner.token, r.id)).status).toBe(204);
    }
  });

  it('only admins manage shared replies; agents may read and use them', async () => {
    const before = await savedRows();
    expect(
      codeOf(await create(alice.token, { scope: 'shared', shortcut: 'x', title: 'X', text: 'x' })),
    ).toEqual([403, 'FORBIDDEN']);
    expect(await savedRows()).toEqual(before);

    const shared = await made(t.adminToken, {
      scope: 'shared',
      shortcut: 'greeting',
      title: 'Greeting',
      text: 'Hello {visitor.name}',
    });
    expect(shared.scope).toBe('shared');
    expect((await list(alice.token)).map((r) => r.id)).toContain(shared.id);
    expect(codeOf(await edit(alice.token, shared.id, { title: 'Mine now' }))).toEqual([
      403,
      'FORBIDDEN',
    ]);
    expect(codeOf(await remove(alice.token, shared.id))).toEqual([403, 'FORBIDDEN']);
    expect((await savedRows()).find((r) => r.id === shared.id)).toMatchObject({
      title: 'Greeting',
    });

    // Any admin manages any shared reply.
    const edited = await edit(otherAdmin.token, shared.id, { text: 'Hello again' });
    expect(edited.status).toBe(200);
    expect(edited.body.savedReply).toMatchObject({ scope: 'shared', text: 'Hello again' });
    expect((await remove(t.adminToken, shared.id)).status).toBe(204);
    expect(codeOf(await remove(t.adminToken, shared.id))).toEqual([404, 'NOT_FOUND']);
  });

  it("another person's personal reply does not exist for anyone else, admins included", async () => {
    const secret = await made(alice.token, {
      shortcut: 'secret',
      title: 'Only mine',
      text: 'my private words',
    });
    const before = await savedRows();
    for (const token of [bob.token, t.adminToken, otherAdmin.token]) {
      const answers = [
        await edit(token, secret.id, { title: 'taken over' }),
        await remove(token, secret.id),
        // Exactly what an id that never existed answers.
        await edit(token, 'no-such-reply', { title: 'taken over' }),
      ];
      for (const answer of answers) {
        expect(codeOf(answer)).toEqual([404, 'NOT_FOUND']);
        expect(JSON.stringify(answer.body)).not.toContain('my private words');
      }
      expect(answers[0]!.body).toEqual(answers[2]!.body);
      expect((await list(token)).map((r) => r.id)).not.toContain(secret.id);
    }
    expect(await savedRows()).toEqual(before);
    expect((await remove(alice.token, secret.id)).status).toBe(204);
  });

  it('a shortcut is unique among shared replies and among one person’s, case-insensitively', async () => {
    const shared = await made(t.adminToken, {
      scope: 'shared',
      shortcut: 'refund',
      title: 'Refund (team)',
      text: 'team text',
    });
    const clash = await create(otherAdmin.token, {
      scope: 'shared',
      shortcut: 'REFUND',
      title: 'Another',
      text: 'another',
    });
    expect(codeOf(clash)).toEqual([409, 'SHORTCUT_TAKEN']);
    expect(clash.body.error.message).toContain('"refund"');

    // A personal reply may share a shared one's shortcut, and two people may use the same one.
    const alices = await made(alice.token, { shortcut: 'refund', title: 'Mine', text: 'a' });
    const bobs = await made(bob.token, { shortcut: 'Refund', title: 'Mine', text: 'b' });
    expect(
      codeOf(await create(alice.token, { shortcut: 'refund', title: 'T', text: 't' })),
    ).toEqual([409, 'SHORTCUT_TAKEN']);

    // Renaming onto a taken shortcut is refused too, and changes nothing.
    const other = await made(alice.token, { shortcut: 'other', title: 'Other', text: 'o' });
    const before = await savedRows();
    expect(codeOf(await edit(alice.token, other.id, { shortcut: 'Refund' }))).toEqual([
      409,
      'SHORTCUT_TAKEN',
    ]);
    const team = await made(t.adminToken, {
      scope: 'shared',
      shortcut: 'team',
      title: 'Team',
      text: 't',
    });
    expect(codeOf(await edit(t.adminToken, team.id, { shortcut: 'refund' }))).toEqual([
      409,
      'SHORTCUT_TAKEN',
    ]);
    expect((await savedRows()).filter((r) => r.id !== team.id)).toEqual(before);
    // Keeping one's own shortcut is no clash.
    expect(
      (await edit(alice.token, alices.id, { shortcut: 'refund', title: 'Mine!' })).status,
    ).toBe(200);

    for (const [token, id] of [
      [t.adminToken, shared.id],
      [t.adminToken, team.id],
      [alice.token, alices.id],
      [alice.token, other.id],
      [bob.token, bobs.id],
    ] as const) {
      expect((await remove(token, id)).status).toBe(204);
    }
  });

  it('refuses wrong types, missing fields, oversize and odd values, and changes nothing', async () => {
    const reply = await made(alice.token, { shortcut: 'keep', title: 'Keep', text: 'kept' });
    const before = await savedRows();
    const good = { shortcut: 'ok', title: 'Title', text: 'Text' };
    const bad: [unknown, string][] = [
      [{ ...good, shortcut: 'two words' }, 'shortcut'],
      [{ ...good, shortcut: 'a/b' }, 'shortcut'],
      [{ ...good, shortcut: '' }, 'shortcut'],
      [{ ...good, shortcut: '   ' }, 'shortcut'],
      [{ ...good, shortcut: 'x'.repeat(33) }, 'shortcut'],
      [{ ...good, shortcut: 'a\u0000b' }, 'shortcut'],
      [{ ...good, shortcut: 7 }, 'shortcut'],
      [{ ...good, title: '' }, 'title'],
      [{ ...good, title: 't'.repeat(101) }, 'title'],
      [{ ...good, title: ['a'] }, 'title'],
      [{ ...good, text: ' \n ' }, 'text'],
      [{ ...good, text: 'é'.repeat(5001) }, 'text'],
      [{ ...good, text: null }, 'text'],
      [{ ...good, scope: 'everyone' }, 'scope'],
      [{ shortcut: 'ok', title: 'Title' }, 'text'],
      [{ ...good, ownerId: bob.id }, ''],
    ];
    for (const [body, path] of bad) {
      const answer = await create(alice.token, body);
      expect(codeOf(answer), JSON.stringify(body).slice(0, 80)).toEqual([400, 'VALIDATION_FAILED']);
      expect(answer.body.error.issues[0].path).toBe(path);
    }
    for (const body of [
      { scope: 'shared' },
      { text: '' },
      { title: 'x'.repeat(101) },
      { shortcut: 'with space' },
      { id: 'another' },
    ]) {
      expect(codeOf(await edit(alice.token, reply.id, body)), JSON.stringify(body)).toEqual([
        400,
        'VALIDATION_FAILED',
      ]);
    }
    for (const raw of ['[]', '"text"', '{"shortcut":']) {
      const answer = await t.request('POST', '/api/v1/saved-replies', {
        token: alice.token,
        rawBody: raw,
        headers: { 'content-type': 'application/json' },
      });
      expect(answer.status).toBe(400);
    }
    // The longest of each is fine.
    const longest = await made(alice.token, {
      shortcut: 'x'.repeat(32),
      title: 't'.repeat(100),
      text: 'é'.repeat(5000),
    });
    expect((await remove(alice.token, longest.id)).status).toBe(204);
    expect(await savedRows()).toEqual(before);
    expect((await remove(alice.token, reply.id)).status).toBe(204);
  });

  it('changes to shared replies are in the audit log, with who did them', async () => {
    const reply = await made(t.adminToken, {
      scope: 'shared',
      shortcut: 'hours',
      title: 'Opening hours',
      text: 'We are open 9 to 6.',
    });
    await edit(t.adminToken, reply.id, { title: 'Opening hours', text: 'We are open 9 to 5.' });
    await edit(t.adminToken, reply.id, { shortcut: 'open', title: 'When we are open' });
    // An edit that changes nothing logs nothing.
    await edit(t.adminToken, reply.id, { shortcut: 'OPEN' });
    await remove(t.adminToken, reply.id);
    expect(await auditOf(reply.id)).toEqual([
      [
        'savedReply.create',
        'hours',
        [
          { field: 'shortcut', to: 'hours' },
          { field: 'title', to: 'Opening hours' },
          { field: 'text' },
        ],
      ],
      ['savedReply.update', 'hours', [{ field: 'text' }]],
      [
        'savedReply.update',
        'open',
        [
          { field: 'shortcut', from: 'hours', to: 'open' },
          { field: 'title', from: 'Opening hours', to: 'When we are open' },
        ],
      ],
      ['savedReply.delete', 'open', []],
    ]);
    const entry = AuditListResponse.parse(
      (
        await t.request('GET', `/api/v1/audit?targetId=${reply.id}&limit=1`, {
          token: t.adminToken,
        })
      ).body,
    ).entries[0]!;
    expect(entry.actor).toMatchObject({ kind: 'account', username: 'admin' });
    expect(entry.target.type).toBe('savedReply');
    // The text itself is never logged.
    expect(JSON.stringify(await auditOf(reply.id))).not.toContain('9 to');
  });

  it('refuses visitors and anonymous callers', async () => {
    const channel = t.app.ctx.db.selectFrom('channels').select('id');
    const { id: channelId } = (await channel.executeTakeFirstOrThrow()) as { id: string };
    const session = await t.request('POST', '/api/v1/visitor/session', { body: { channelId } });
    const visitorToken = session.body.visitorToken as string;
    for (const token of [undefined, visitorToken, 'sst_not-a-token']) {
      for (const [method, url] of [
        ['GET', '/api/v1/saved-replies'],
        ['POST', '/api/v1/saved-replies'],
        ['PATCH', '/api/v1/saved-replies/x'],
        ['DELETE', '/api/v1/saved-replies/x'],
      ] as const) {
        const answer = await t.request(method, url, {
          ...(token ? { token } : {}),
          ...(method === 'POST' || method === 'PATCH'
            ? { body: { shortcut: 'x', title: 'x', text: 'x' } }
            : {}),
        });
        expect(codeOf(answer), `${method} ${url}`).toEqual([401, 'UNAUTHENTICATED']);
      }
    }
    expect(await savedRows()).toEqual([]);
  });

  it("a personal reply goes with its owner's account", async () => {
    // Accounts are disabled, never deleted, through the API; the foreign key still holds.
    const carol = await t.createAccount();
    const reply = await made(carol.token, { shortcut: 'c', title: 'C', text: 'c' });
    await t.app.ctx.transaction(async (trx) => {
      await trx.deleteFrom('sessions').where('account_id', '=', carol.account.id).execute();
      await trx.deleteFrom('audit_log').where('target_id', '=', carol.account.id).execute();
      await trx.deleteFrom('accounts').where('id', '=', carol.account.id).execute();
    });
    expect((await savedRows()).map((r) => r.id)).not.toContain(reply.id);
  });
});
