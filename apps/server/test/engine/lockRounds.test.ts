import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectDatabase, type Db } from '../../src/db/connect.js';
import type { Database } from '../../src/db/schema.js';
import { createTransaction, type Transaction } from '../../src/db/transactions.js';
import { writeSerial } from '../../src/db/writeScope.js';
import { createTestDatabase, testEngine, type TestDatabase } from '../support/testDatabase.js';

/**
 * Works that take the routing lock. On PostgreSQL, those that gather while a round runs share the
 * next round: one transaction, the lock taken once, each work in its own savepoint. On SQLite they
 * join the group commit. Either way each succeeds or fails alone, nobody is answered before the
 * commit, and a work sees what the works before it in the round wrote. Two processes' worth of
 * rounds (two connections to one PostgreSQL schema) never run at once.
 */
let database: TestDatabase;
let db: Db;
let other: Db | undefined;
let write: Transaction;

type Raw = Kysely<Database>;
const insert = (trx: Raw, n: number) => sql`insert into t (n) values (${n})`.execute(trx);
const rows = async (handle: Db) =>
  (await sql<{ n: number }>`select n from t order by n`.execute(handle.kysely)).rows.map((r) =>
    Number(r.n),
  );

function connect(): Db {
  return connectDatabase(
    testEngine === 'postgres'
      ? { engine: 'postgres', url: database.url }
      : { engine: 'sqlite', file: database.url.slice('sqlite:'.length) },
  );
}

beforeAll(async () => {
  database = await createTestDatabase();
  db = connect();
  await sql`create table t (n integer not null unique)`.execute(db.kysely);
  write = createTransaction(db);
});

afterAll(async () => {
  await other?.close();
  await db.close();
  await database.drop();
});

/** A locked work that holds its round until released: the works started meanwhile gather. */
function holdRound(): { held: Promise<void>; release: () => void } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const held = write(() => gate, { lock: 'routing' });
  return { held, release };
}

it('runs gathered works together: each answered after the commit, one failing alone', async () => {
  const seen = new Map<number, number[]>();
  const { held, release } = holdRound();
  const started = Promise.allSettled(
    Array.from({ length: 40 }, (_, n) =>
      write(
        async (trx) => {
          // What the works before this one in the round wrote is there already.
          const before = (await sql<{ c: number }>`select count(*) as c from t`.execute(trx))
            .rows[0]!.c;
          await insert(trx, n);
          if (n === 13) throw new Error('work 13 fails');
          return Number(before);
        },
        { lock: 'routing' },
      ).then(async (before) => {
        // Answered: another connection reads the row.
        seen.set(n, await rows(db));
        return before;
      }),
    ),
  );
  release();
  await held;
  const answers = await started;
  expect(answers.map((a) => (a.status === 'fulfilled' ? 'ok' : String(a.reason)))).toEqual(
    Array.from({ length: 40 }, (_, n) => (n === 13 ? 'Error: work 13 fails' : 'ok')),
  );
  const expected = Array.from({ length: 40 }, (_, n) => n).filter((n) => n !== 13);
  expect(await rows(db)).toEqual(expected);
  // They gathered behind the held round and committed together: each, when answered, could read
  // every row of the others.
  for (const n of expected) expect(seen.get(n)).toEqual(expected);
  // Yet they ran one after another in the order they came, each seeing the rows of the works
  // before it, and none of the failed one's.
  const befores = answers.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
  expect(befores).toEqual(Array.from({ length: 39 }, (_, i) => i));
});

it('a duplicate fails alone: the round commits the rest', async () => {
  const answers = await Promise.allSettled(
    [100, 101, 100, 102].map((n) => write((trx) => insert(trx, n), { lock: 'routing' })),
  );
  expect(answers.map((a) => a.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
  expect((await rows(db)).slice(-3)).toEqual([100, 101, 102]);
});

it('a work that keeps what it learned sees the serial one below it only right after it', async () => {
  // The routing memo's rule (routing.ts): kept from a locked work to the next, unless a
  // transaction ended in between that could have changed what it read.
  const marks: number[] = [];
  const { held, release } = holdRound();
  const gathered = Promise.all(
    [0, 1, 2].map(() =>
      write(
        async () => {
          marks.push(writeSerial());
        },
        { lock: 'routing' },
      ),
    ),
  );
  release();
  await held;
  await gathered;
  const [first, second, third] = marks as [number, number, number];
  expect(second).toBe(first + 1);
  expect(third).toBe(second + 1);
  // A transaction committed in between: on PostgreSQL other nodes may have written since, so
  // the next work starts two or more above; on SQLite this process is the only writer and the
  // database holds what the works saw, so it starts right above.
  await write(
    async () => {
      marks.push(writeSerial());
    },
    { lock: 'routing' },
  );
  if (testEngine === 'postgres') expect(marks[3]! - third).toBeGreaterThanOrEqual(2);
  else expect(marks[3]! - third).toBe(1);
  // A work without the lock in between changes nothing routing reads: still right above.
  await write(async (trx) => insert(trx, 300));
  await write(
    async () => {
      marks.push(writeSerial());
    },
    { lock: 'routing' },
  );
  if (testEngine === 'sqlite') expect(marks[4]! - marks[3]!).toBe(1);
  // Another locked work in between: never right above.
  await write(async () => undefined, { lock: 'routing' });
  await write(
    async () => {
      marks.push(writeSerial());
    },
    { lock: 'routing' },
  );
  expect(marks[5]! - marks[4]!).toBeGreaterThanOrEqual(2);
});

it.runIf(testEngine === 'sqlite')(
  'on SQLite a group whose commit fails counts as a transaction ended: nothing kept survives it',
  async () => {
    // A deferred foreign key is checked at COMMIT: the work succeeds, the group's commit fails.
    await sql`create table parent (id integer primary key)`.execute(db.kysely);
    await sql`create table child (parent_id integer not null
      references parent (id) deferrable initially deferred)`.execute(db.kysely);
    let kept = 0;
    await write(
      async () => {
        kept = writeSerial();
      },
      { lock: 'routing' },
    );
    await expect(
      write(async (trx) => {
        await sql`insert into child (parent_id) values (42)`.execute(trx);
      }),
    ).rejects.toThrow(/FOREIGN KEY/);
    let next = 0;
    await write(
      async () => {
        next = writeSerial();
      },
      { lock: 'routing' },
    );
    expect(next - kept).toBeGreaterThanOrEqual(2);
    // And the connection is usable again, with nothing of the failed group in it.
    expect(
      (await sql<{ n: number }>`select count(*) as n from child`.execute(db.kysely)).rows[0]!.n,
    ).toBe(0);
  },
);

it.runIf(testEngine === 'postgres')(
  'two connections (two nodes) never run their rounds at once',
  async () => {
    other = connect();
    const writeOther = createTransaction(other);
    const inside: string[] = [];
    let overlap = false;
    const slow = (who: string) => async (trx: Raw) => {
      if (inside.length > 0) overlap = true;
      inside.push(who);
      await sql`select pg_sleep(0.02)`.execute(trx);
      inside.pop();
    };
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 ? writeOther : write)(slow(`w${i}`), { lock: 'routing' }),
      ),
    );
    expect(overlap).toBe(false);
  },
);
