import { existsSync, statSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { connectDatabase, type Db } from '../../src/db/connect.js';
import { createTransaction, type Transaction } from '../../src/db/transactions.js';
import { eventually } from '../support/liveApp.js';

/**
 * SQLite checkpoints run on a worker thread: the log is copied back into the database file
 * without the writing connection doing it, the log stays bounded under writes that never pause,
 * and closing leaves no worker and no log behind.
 */
let dir: string;
let file: string;
let db: Db;
let write: Transaction;

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'checkpointer-'));
  file = path.join(dir, 'test.db');
  db = connectDatabase({ engine: 'sqlite', file });
  await sql`create table t (id integer primary key autoincrement, body text not null)`.execute(
    db.kysely,
  );
  write = createTransaction(db);
});

afterEach(async () => {
  await db.close();
  await fs.rm(dir, { recursive: true, force: true });
});

/** One group commit of `rows` rows of 1 KB each. */
const writeGroup = (rows: number) =>
  Promise.all(
    Array.from({ length: rows }, () =>
      write((trx) => sql`insert into t (body) values (${'x'.repeat(1024)})`.execute(trx)),
    ),
  );

it('copies committed writes into the database file without the writer checkpointing', async () => {
  // About 1 MB: far below the writer's own threshold of 4,096 pages.
  for (let i = 0; i < 4; i++) await writeGroup(64);
  // A copy of the database file without its log holds only what checkpoints copied into it.
  const copy = path.join(dir, 'copy.db');
  await eventually(async () => {
    await fs.copyFile(file, copy);
    const alone = new BetterSqlite3(copy, { readonly: true });
    try {
      expect(alone.prepare('select count(*) as n from t').get()).toEqual({ n: 256 });
    } finally {
      alone.close();
    }
  });
});

it('keeps the log bounded when writes never pause', async () => {
  // About 48 MB of rows, written back to back: the worker alone never catches up with that.
  let largest = 0;
  for (let i = 0; i < 96; i++) {
    await writeGroup(512);
    if (existsSync(`${file}-wal`)) largest = Math.max(largest, statSync(`${file}-wal`).size);
  }
  expect(largest).toBeGreaterThan(0);
  // The writer's threshold (16 MB) plus the group that crosses it, with room to spare.
  expect(largest).toBeLessThan(24 * 1024 * 1024);
  const { n } = (await sql<{ n: number }>`select count(*) as n from t`.execute(db.kysely)).rows[0]!;
  expect(n).toBe(96 * 512);
});

it('closes its worker with the database: the last connection removes the log', async () => {
  await writeGroup(32);
  expect(existsSync(`${file}-wal`)).toBe(true);
  await db.close();
  // SQLite deletes the log only when the last connection to the file closes.
  expect(existsSync(`${file}-wal`)).toBe(false);
  db = connectDatabase({ engine: 'sqlite', file });
  const { n } = (await sql<{ n: number }>`select count(*) as n from t`.execute(db.kysely)).rows[0]!;
  expect(n).toBe(32);
});
