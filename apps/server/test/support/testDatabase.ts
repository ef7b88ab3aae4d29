import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export type TestEngine = 'sqlite' | 'postgres';

export const testEngine: TestEngine = process.env.TEST_DB === 'postgres' ? 'postgres' : 'sqlite';

/** The PostgreSQL server the suite uses (trust auth on the CI machine). */
export const testPostgresUrl = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  /** DATABASE_URL for the server under test. */
  url: string;
  /** A folder for DATA_DIR (files, and the SQLite file on that engine). */
  dataDir: string;
  drop(): Promise<void>;
}

/** A fresh SQLite file, or a fresh PostgreSQL schema, for one test file. */
export async function createTestDatabase(engine: TestEngine = testEngine): Promise<TestDatabase> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'servicesystem-test-'));
  if (engine === 'sqlite') {
    return {
      url: `sqlite:${path.join(dataDir, 'test.db')}`,
      dataDir,
      drop: () => fs.rm(dataDir, { recursive: true, force: true }),
    };
  }
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: testPostgresUrl });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const url = new URL(testPostgresUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    dataDir,
    async drop() {
      const client = new pg.Client({ connectionString: testPostgresUrl });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}
