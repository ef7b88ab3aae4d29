import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectDatabase, type Db } from '../../src/db/connect.js';
import type { Database } from '../../src/db/schema.js';
import { atGroupEnd } from '../../src/db/direct.js';
import { prepared } from '../../src/db/prepared.js';
import { createSearchIndex, removeSearchEntries } from '../../src/db/search/searchIndex.js';
import { createTransaction, type Transaction } from '../../src/db/transactions.js';

/**
 * Group commit on SQLite: writes started together share one transaction, yet each succeeds or
 * fails alone, and nobody is answered before the commit is on disk. A second connection to the
 * same file is the witness of what was committed.
 */
let dir: string;
let db: Db;
let write: Transaction;
let witness: BetterSqlite3.Database;

type Raw = Kysely<Database>;
const insert = (trx: Raw, n: number) => sql`insert into t (n) values (${n})`.execute(trx);
const committed = () =>
  (witness.prepare('select n from t order by id').all() as { n: number }[]).map((r) => r.n);

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'group-commit-'));
  const file = path.join(dir, 'test.db');
  db = connectDatabase({ engine: 'sqlite', file });
  await sql`create table t (id integer primary key autoincrement, n integer not null unique)`.execute(
    db.kysely,
  );
  // Checked only at COMMIT: a way to make one commit fail.
  await sql`create table child (parent integer references t (n) deferrable initially deferred)`.execute(
    db.kysely,
  );
  // The search index as migration 0010 makes it on SQLite.
  await sql`create virtual table search_index using fts5(
    terms, kind unindexed, ref_id unindexed, conversation_id unindexed)`.execute(db.kysely);
  write = createTransaction(db);
  witness = new BetterSqlite3(file, { readonly: true });
});

afterAll(async () => {
  witness.close();
  await db.close();
  await fs.rm(dir, { recursive: true, force: true });
});

it('answers each write after its commit, in the order they came, one failing alone', async () => {
  /** What another connection could read when each caller was answered. */
  const seenAtAnswer = new Map<number, number[]>();
  const answers = await Promise.allSettled(
    Array.from({ length: 50 }, (_, n) =>
      write(async (trx) => {
        await insert(trx, n);
        // Write 7 wrote a row, then failed: its row must go, the others' stay.
        if (n === 7) throw new Error('write 7 fails');
        return n;
      }).then((value) => {
        seenAtAnswer.set(value, committed());
        return value;
      }),
    ),
  );
  const expected = Array.from({ length: 50 }, (_, n) => n).filter((n) => n !== 7);
  expect(answers.map((a) => (a.status === 'fulfilled' ? a.value : String(a.reason)))).toEqual(
    Array.from({ length: 50 }, (_, n) => (n === 7 ? 'Error: write 7 fails' : n)),
  );
  expect(committed()).toEqual(expected);
  // Every caller, when answered, could already read its row from another connection: the
  // answer came after the commit. They were written together: one commit made all of them.
  for (const n of expected) expect(seenAtAnswer.get(n)).toEqual(expected);
});

it('a duplicate in a group fails alone and leaves the others committed', async () => {
  const answers = await Promise.allSettled(
    [100, 101, 100, 102].map((n) => write((trx) => insert(trx, n).then(() => n))),
  );
  expect(answers.map((a) => a.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
  expect(committed().slice(-3)).toEqual([100, 101, 102]);
});

it('a failed commit fails every write of its group, keeps none, and the next group works', async () => {
  const before = committed();
  const group = await Promise.allSettled([
    write((trx) => insert(trx, 200)),
    // Passes its own savepoint (the check is deferred), then breaks the commit.
    write((trx) => sql`insert into child (parent) values (${-1})`.execute(trx)),
    write((trx) => insert(trx, 201)),
  ]);
  expect(group.map((a) => a.status)).toEqual(['rejected', 'rejected', 'rejected']);
  expect(String((group[0] as PromiseRejectedResult).reason)).toMatch(/FOREIGN KEY/);
  expect(committed()).toEqual(before);

  await write((trx) => insert(trx, 202));
  expect(committed()).toEqual([...before, 202]);
});

it('answers nobody before the log is flushed to disk, and fails the group if that fails', async () => {
  let release!: (outcome: Error | undefined) => void;
  const gate = new Promise<Error | undefined>((resolve) => (release = resolve));
  const gated = createTransaction({
    ...db,
    flushLog: async () => {
      const failure = await gate;
      if (failure) throw failure;
      await db.flushLog!();
    },
  });
  let answered = 0;
  const writes = [300, 301].map((n) => gated((trx) => insert(trx, n)).finally(() => answered++));
  await new Promise((resolve) => setTimeout(resolve, 100));
  // Committed (another connection sees the rows) but not yet durable: nobody was answered.
  expect(committed().slice(-2)).toEqual([300, 301]);
  expect(answered).toBe(0);
  release(new Error('disk gone'));
  const outcomes = await Promise.allSettled(writes);
  expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
});

it('hot statements run straight on the group’s connection inside it, and wait their turn outside', async () => {
  // Table t is this file's own, not in the schema's types: the builder is typed loosely.
  const byN = prepared<{ n: number }, { n: number }>((kysely, slot) =>
    kysely
      .selectFrom('t' as never)
      .select(sql<number>`n`.as('n'))
      .where(sql.ref('n'), '=', slot('n') as never),
  );
  let release!: () => void;
  const hold = new Promise<void>((resolve) => (release = resolve));
  let insideSaw: unknown[] = [];
  const held = write(async (trx) => {
    await insert(trx, 400);
    // Inside the group: its own uncommitted row is there.
    insideSaw = await byN(trx, { n: 400 });
    await hold;
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  // Outside, while the group holds the connection with row 400 not committed: the query waits
  // for the connection instead of reading inside that open transaction.
  let outsideSaw: unknown[] | undefined;
  const outside = byN(db.kysely, { n: 400 }).then((rows) => (outsideSaw = rows));
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(insideSaw).toEqual([{ n: 400 }]);
  expect(outsideSaw).toBeUndefined();
  release();
  await held;
  await outside;
  expect(outsideSaw).toEqual([{ n: 400 }]);
});

it('runs a group without savepoints; when one write fails, the group runs again and it fails alone', async () => {
  const runs = new Map<number, number>();
  const answers = await Promise.allSettled(
    [500, 501, 502].map((n) =>
      write(async (trx) => {
        runs.set(n, (runs.get(n) ?? 0) + 1);
        await insert(trx, n);
        if (n === 501) throw new Error('write 501 fails');
        return n;
      }),
    ),
  );
  expect(answers.map((a) => a.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  // The first attempt stopped at 501 and was rolled back whole; the second ran each write in
  // its own savepoint. 500 ran twice and is there once.
  expect(Object.fromEntries(runs)).toEqual({ 500: 2, 501: 2, 502: 1 });
  expect(committed().slice(-2)).toEqual([500, 502]);
});

it('holds writes to the group’s end: they commit with it, and go with a write that fails', async () => {
  const outside = atGroupEnd(db.kysely, () => Promise.resolve());
  expect(outside).toBe(false);
  const order: string[] = [];
  const answers = await Promise.allSettled(
    [600, 601, 602].map((n) =>
      write(async (trx) => {
        const held = atGroupEnd(trx, async () => {
          order.push(`held ${n}`);
          await insert(trx, n + 1000);
        });
        expect(held).toBe(true);
        order.push(`work ${n}`);
        await insert(trx, n);
        if (n === 601) throw new Error('write 601 fails');
      }),
    ),
  );
  expect(answers.map((a) => a.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  expect(committed().slice(-4)).toEqual([600, 1600, 602, 1602]);
  // The attempt with savepoints: what a work held back is written before the next work's
  // savepoint (or at the end), and the one that failed held nothing that was written.
  expect(order.slice(-5)).toEqual(['work 600', 'held 600', 'work 601', 'work 602', 'held 602']);
});

const search = createSearchIndex('sqlite');

/** A message's search entry, findable by `word` and by its own id. */
const searchEntry = (refId: string, conversationId: string, word: string) => ({
  kind: 'message' as const,
  refId,
  conversationId,
  terms: [word, refId],
});

it('writes search entries at the group’s end, before a removal in the same group', async () => {
  const entry = (refId: string, conversationId: string) =>
    searchEntry(refId, conversationId, 'parcel');
  await Promise.all([
    write((trx) => search.add(trx, entry('m1', 'c1'))),
    write((trx) => search.add(trx, entry('m2', 'c2'))),
    // Erases c1 in the same group, after m1's entry was added: m1 must not outlive it.
    write((trx) => removeSearchEntries(trx, { conversationIds: ['c1'] })),
    write((trx) => search.add(trx, entry('m3', 'c1'))),
  ]);
  const found = await search.find(db.kysely, ['parcel'], {}, 10);
  expect(found.map((hit) => hit.ref_id).sort()).toEqual(['m2', 'm3']);
});

it('keeps the entries of the writes before one that wrote them early and then failed', async () => {
  const entry = (refId: string, conversationId: string) =>
    searchEntry(refId, conversationId, 'invoice');
  const answers = await Promise.allSettled([
    write((trx) => search.add(trx, entry('m4', 'c4'))),
    // Writes m4's held entry early, inside its own work, then fails.
    write(async (trx) => {
      await removeSearchEntries(trx, { conversationIds: ['c5'] });
      throw new Error('erase fails');
    }),
    write((trx) => search.add(trx, entry('m6', 'c6'))),
  ]);
  expect(answers.map((a) => a.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  const found = await search.find(db.kysely, ['invoice'], {}, 10);
  expect(found.map((hit) => hit.ref_id).sort()).toEqual(['m4', 'm6']);
});
