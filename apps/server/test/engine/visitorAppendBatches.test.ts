import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connectDatabase, type Db } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { createMessageStore } from '../../src/db/messages/messageStore.js';
import {
  batchStatement,
  VisitorAppendBatches,
  type BatchedAppend,
} from '../../src/db/messages/visitorAppendBatches.js';
import {
  accountRow,
  channelRow,
  conversationRow,
  testNow,
  visitorRow,
} from '../support/factories.js';
import { createTestDatabase, testEngine, type TestDatabase } from '../support/testDatabase.js';

/**
 * PostgreSQL: visitors' sends outside a transaction go out many to a statement. Each must be
 * answered and stored exactly as if it had run alone: its own seq, its own search entry, its own
 * outcome (written, no open conversation, unknown visitor, retry), and its own error.
 */
describe.runIf(testEngine === 'postgres')('visitor appends in batches (PostgreSQL)', () => {
  let database: TestDatabase;
  let db: Db;
  const store = createMessageStore('postgres');
  const channel = channelRow({ id: 'channel-batch' });
  const agent = accountRow({ id: 'agent-batch', display_name: 'Agent Batch' });

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    db = connectDatabase({ engine: 'postgres', url: database.url });
    await migrateToLatest(db);
    await db.kysely.insertInto('channels').values(channel).execute();
    await db.kysely.insertInto('accounts').values(agent).execute();
  });

  afterAll(async () => {
    await db.close();
    await database.drop();
  });

  let round = 0;
  /** `count` visitors, each with an active conversation (last seq 3) served by `agent`. */
  async function visitorsWithConversations(count: number, state: 'active' | 'queued' = 'active') {
    round += 1;
    const visitors = Array.from({ length: count }, (_, i) =>
      visitorRow({ id: `v-${round}-${i}`, channel_id: channel.id, name: `Visitor ${i}` }),
    );
    await db.kysely.insertInto('visitors').values(visitors).execute();
    const conversations = visitors.map((v) =>
      conversationRow({
        id: `c-${v.id}`,
        channel_id: channel.id,
        visitor_id: v.id,
        state,
        agent_id: state === 'active' ? agent.id : null,
      }),
    );
    await db.kysely.insertInto('conversations').values(conversations).execute();
    return visitors.map((v) => v.id);
  }

  const text = (clientMsgId: string, body = `hello from ${clientMsgId}`) => ({
    type: 'text' as const,
    body,
    clientMsgId,
  });

  async function messagesOf(conversationId: string) {
    return db.kysely
      .selectFrom('messages')
      .select(['seq', 'body', 'client_msg_id', 'sender_name'])
      .where('conversation_id', '=', conversationId)
      .orderBy('seq')
      .execute();
  }

  const batchSizes: number[] = [];
  beforeEach(() => {
    batchSizes.length = 0;
  });

  it('writes sends of one turn as one statement, each with its own seq, sender and search entry', async () => {
    const ids = await visitorsWithConversations(12);
    const statement = batchStatement();
    const alone: string[] = [];
    const batches = new VisitorAppendBatches(
      db.kysely,
      (kysely, values) => {
        batchSizes.push(values.ords.length);
        return statement(kysely, values);
      },
      async () => {
        alone.push('alone');
        throw new Error('not expected alone');
      },
    );
    const appendOf = (visitorId: string, n: number): BatchedAppend => ({
      visitorId,
      row: {
        id: `m-${visitorId}-${n}`,
        conversation_id: '',
        seq: 0,
        sender_type: 'visitor',
        sender_id: visitorId,
        sender_name: '',
        sender_avatar_url: null,
        type: 'text',
        body: `message ${n} of ${visitorId}`,
        meta: null,
        attachment_id: null,
        attachment: null,
        client_msg_id: `k-${visitorId}-${n}`,
        created_at: testNow + n,
        redacted_at: null,
      },
      searchTerms: `message${n}`,
    });
    const rows = await Promise.all(ids.map((id, n) => batches.add(appendOf(id, n))));
    expect(batchSizes).toEqual([12]);
    expect(alone).toEqual([]);
    rows.forEach((row, n) => {
      expect(row.visitor).toMatchObject({ id: ids[n], name: `Visitor ${n}` });
      expect(row.conversation).toMatchObject({ id: `c-${ids[n]}`, last_seq: 4, agent_unread: 2 });
      // The input's ordinal is not part of either row.
      expect(row.conversation).not.toHaveProperty('in_ord');
      expect(row.visitor).not.toHaveProperty('in_ord');
      expect(row).toMatchObject({ agent_id: agent.id, agent_name: 'Agent Batch', stored_id: null });
    });
    for (const [n, id] of ids.entries()) {
      expect(await messagesOf(`c-${id}`)).toEqual([
        {
          seq: 4,
          body: `message ${n} of ${id}`,
          client_msg_id: `k-${id}-${n}`,
          sender_name: `Visitor ${n}`,
        },
      ]);
    }
    // The search index is not in the typed schema (each engine has its own): raw SQL.
    const entries = await sql<{ ref_id: string; terms: string[] }>`
      select ref_id, terms from search_index
      where ref_id in (${sql.join(ids.map((id, n) => `m-${id}-${n}`))})
      order by ref_id`.execute(db.kysely);
    expect(entries.rows).toHaveLength(12);
    expect(entries.rows.find((e) => e.ref_id === `m-${ids[3]}-3`)?.terms).toEqual(['message3']);
  });

  it("keeps one visitor's messages in the order sent, one batch after another", async () => {
    const [first, second] = await visitorsWithConversations(2);
    const sends = [
      store.appendFromVisitor(db.kysely, testNow, first!, text('a1')),
      store.appendFromVisitor(db.kysely, testNow, first!, text('a2')),
      store.appendFromVisitor(db.kysely, testNow, second!, text('b1')),
      store.appendFromVisitor(db.kysely, testNow, first!, text('a3')),
    ];
    const results = await Promise.all(sends);
    const seqs = results.map((r) => (r.kind === 'appended' ? r.message.seq : r.kind));
    expect(seqs).toEqual([4, 5, 4, 6]);
    expect((await messagesOf(`c-${first}`)).map((m) => m.client_msg_id)).toEqual([
      'a1',
      'a2',
      'a3',
    ]);
  });

  it('answers each outcome of one turn as alone: written, no open conversation, unknown, retry', async () => {
    const [open, queued] = await visitorsWithConversations(2);
    const [queuedToo] = await visitorsWithConversations(1, 'queued');
    round += 1;
    const fresh = visitorRow({ id: `fresh-${round}`, channel_id: channel.id });
    const returning = visitorRow({ id: `returning-${round}`, channel_id: channel.id });
    await db.kysely.insertInto('visitors').values([fresh, returning]).execute();
    // A message stored in a conversation that has ended since: its retry finds it.
    await db.kysely
      .insertInto('conversations')
      .values(
        conversationRow({
          id: `ended-${round}`,
          channel_id: channel.id,
          visitor_id: returning.id,
          state: 'ended',
          agent_id: agent.id,
        }),
      )
      .execute();
    await db.kysely
      .insertInto('messages')
      .values({
        id: `old-${round}`,
        conversation_id: `ended-${round}`,
        seq: 4,
        sender_type: 'visitor',
        sender_id: returning.id,
        sender_name: returning.name,
        sender_avatar_url: null,
        type: 'text',
        body: 'sent before the end',
        meta: null,
        attachment_id: null,
        attachment: null,
        client_msg_id: 'sent-before',
        created_at: testNow,
        redacted_at: null,
      })
      .execute();
    const [written, writtenQueued, none, unknown, retry, writtenToo] = await Promise.all([
      store.appendFromVisitor(db.kysely, testNow, open!, text('o1')),
      store.appendFromVisitor(db.kysely, testNow, queuedToo!, text('q1')),
      store.appendFromVisitor(db.kysely, testNow, fresh.id, text('f1')),
      store.appendFromVisitor(db.kysely, testNow, 'no-such-visitor', text('n1')),
      store.appendFromVisitor(db.kysely, testNow, returning.id, text('sent-before')),
      store.appendFromVisitor(db.kysely, testNow, queued!, text('p1')),
    ]);
    expect(written).toMatchObject({ kind: 'appended', message: { seq: 4, client_msg_id: 'o1' } });
    expect(written.kind === 'appended' && written.agent).toMatchObject({ id: agent.id });
    expect(writtenQueued).toMatchObject({
      kind: 'appended',
      agent: null,
      conversation: { state: 'queued' },
    });
    expect(writtenToo).toMatchObject({
      kind: 'appended',
      message: { seq: 4, client_msg_id: 'p1' },
    });
    expect(none).toMatchObject({ kind: 'noOpenConversation', visitor: { id: fresh.id } });
    expect(unknown).toEqual({ kind: 'unknownVisitor' });
    expect(retry).toMatchObject({
      kind: 'retry',
      stored: { id: `old-${round}`, body: 'sent before the end' },
    });
    expect(await messagesOf(`c-${fresh.id}`)).toEqual([]);
  });

  it('runs each message alone when the batch fails: a duplicate fails alone, the others are written', async () => {
    const [a, b, c] = await visitorsWithConversations(3);
    await store.appendFromVisitor(db.kysely, testNow, b!, text('dup'));
    // b's second send reuses its client id while its conversation is open: the unique index
    // refuses it, which fails the whole batch statement; a and c must still be written.
    const results = await Promise.allSettled([
      store.appendFromVisitor(db.kysely, testNow, a!, text('a-1')),
      store.appendFromVisitor(db.kysely, testNow, b!, text('dup', 'again')),
      store.appendFromVisitor(db.kysely, testNow, c!, text('c-1')),
    ]);
    expect(results[0]).toMatchObject({
      status: 'fulfilled',
      value: { kind: 'appended', message: { seq: 4 } },
    });
    expect(results[2]).toMatchObject({
      status: 'fulfilled',
      value: { kind: 'appended', message: { seq: 4 } },
    });
    expect(results[1]).toMatchObject({ status: 'rejected', reason: { code: '23505' } });
    expect((await messagesOf(`c-${a}`)).map((m) => m.client_msg_id)).toEqual(['a-1']);
    expect((await messagesOf(`c-${b}`)).map((m) => m.body)).toEqual(['hello from dup']);
    expect((await messagesOf(`c-${c}`)).map((m) => m.client_msg_id)).toEqual(['c-1']);
    // Nothing half-written: b's conversation took one seq, for its one message.
    const conversation = await db.kysely
      .selectFrom('conversations')
      .select('last_seq')
      .where('id', '=', `c-${b}`)
      .executeTakeFirstOrThrow();
    expect(conversation.last_seq).toBe(4);
  });

  it('skips a conversation another writer holds and sends it alone once free; the others go on', async () => {
    const [held, free] = await visitorsWithConversations(2);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holder = db.kysely.transaction().execute(async (trx) => {
      await trx
        .selectFrom('conversations')
        .select('id')
        .where('id', '=', `c-${held}`)
        .forUpdate()
        .execute();
      locked();
      await released;
      await trx
        .updateTable('conversations')
        .set({ agent_unread: 10 })
        .where('id', '=', `c-${held}`)
        .execute();
    });
    await isLocked;
    const heldSend = store.appendFromVisitor(db.kysely, testNow, held!, text('h1'));
    const freeSend = await store.appendFromVisitor(db.kysely, testNow, free!, text('f1'));
    // The free visitor's message was not held up by the other's lock.
    expect(freeSend).toMatchObject({ kind: 'appended', message: { seq: 4 } });
    let heldDone = false;
    void heldSend.then(() => (heldDone = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(heldDone).toBe(false);
    release();
    await holder;
    // Once free, written on top of the holder's write, not as "no open conversation".
    expect(await heldSend).toMatchObject({
      kind: 'appended',
      message: { seq: 4, client_msg_id: 'h1' },
      conversation: { agent_unread: 11 },
    });
  });

  it('runs alone inside a transaction, seeing its writes', async () => {
    const [v] = await visitorsWithConversations(1);
    await db.kysely.transaction().execute(async (trx) => {
      const first = await store.appendFromVisitor(trx, testNow, v!, text('t1'));
      const second = await store.appendFromVisitor(trx, testNow, v!, text('t2'));
      expect([first, second].map((r) => r.kind === 'appended' && r.message.seq)).toEqual([4, 5]);
    });
  });
});
