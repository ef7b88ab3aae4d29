import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectDatabase, type Db } from '../../src/db/connect.js';
import { createTransaction, type Transaction } from '../../src/db/transactions.js';
import { enableWriteChecks } from '../../src/db/writeScope.js';

/**
 * On SQLite a query on the outer handle inside an open write would wait forever for the one
 * connection the write holds. With the checks on (tests, development) it throws at once, and so
 * does a write started inside a write.
 */
let dir: string;
let db: Db;
let transaction: Transaction;

beforeAll(async () => {
  enableWriteChecks();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'write-checks-'));
  db = connectDatabase({ engine: 'sqlite', file: path.join(dir, 'test.db') });
  await sql`create table t (n integer not null)`.execute(db.kysely);
  transaction = createTransaction(db);
});

afterAll(async () => {
  await db.close();
  await fs.rm(dir, { recursive: true, force: true });
});

it('refuses a query on the outer handle inside a write at once, and rolls that write back', async () => {
  const misuse = transaction(async (trx) => {
    await sql`insert into t (n) values (1)`.execute(trx);
    await sql`select count(*) from t`.execute(db.kysely);
  });
  await expect(misuse).rejects.toThrow(/outer database handle inside an open write/);
  const rows = await sql<{ n: number }>`select n from t`.execute(db.kysely);
  expect(rows.rows).toEqual([]);
});

it('refuses a write started inside a write', async () => {
  const nested = transaction(async () => transaction(async () => 'inner'));
  await expect(nested).rejects.toThrow(/A transaction started inside an open write/);
});

it('lets the transaction handle work, and the outer handle after commit', async () => {
  const value = await transaction(async (trx) => {
    await sql`insert into t (n) values (2)`.execute(trx);
    return (await sql<{ c: number }>`select count(*) as c from t`.execute(trx)).rows[0]!.c;
  });
  expect(value).toBe(1);
  const after = await sql<{ n: number }>`select n from t`.execute(db.kysely);
  expect(after.rows).toEqual([{ n: 2 }]);
});
