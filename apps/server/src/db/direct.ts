import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** What the group commit needs of SQLite's one connection: its (cached) statements. */
export interface SqliteStatements {
  prepare(text: string): {
    reader: boolean;
    all(parameters: readonly unknown[]): unknown[];
    run(parameters: readonly unknown[]): unknown;
  };
}

/** Each SQLite database's one connection, by the Kysely adapter it and its transactions share. */
const connections = new WeakMap<object, SqliteStatements>();

/** The Kysely handles that a group commit holds, with its transaction open (transactions.ts),
 * and the writes it runs just before its COMMIT. */
const groups = new WeakMap<object, GroupEnd>();

/**
 * Writes a group commit holds back until its works have all run (`atGroupEnd`), then runs in
 * order before its COMMIT: in the same transaction as the works that asked for them.
 */
export class GroupEnd {
  private writes: (() => Promise<unknown>)[] = [];

  /** How many are held: a work that is rolled back drops those it added (`dropFrom`). */
  get length(): number {
    return this.writes.length;
  }

  add(write: () => Promise<unknown>): void {
    this.writes.push(write);
  }

  dropFrom(length: number): void {
    this.writes.length = length;
  }

  /** Runs every write held so far, oldest first. */
  async run(): Promise<void> {
    const writes = this.writes;
    this.writes = [];
    for (const write of writes) await write();
  }
}

export function registerSqliteConnection(db: Kysely<Database>, statements: SqliteStatements): void {
  connections.set(db.getExecutor().adapter, statements);
}

/**
 * Marks `conn` as holding a group commit's transaction for as long as `work` runs, and hands
 * `work` the connection to run statements on directly.
 */
export async function inGroup<T>(
  conn: Kysely<Database>,
  work: (connection: SqliteStatements, end: GroupEnd) => Promise<T>,
): Promise<T> {
  const connection = connections.get(conn.getExecutor().adapter);
  if (!connection) throw new Error('not a SQLite database opened by connect.ts');
  const end = new GroupEnd();
  groups.set(conn, end);
  try {
    return await work(connection, end);
  } finally {
    groups.delete(conn);
  }
}

/**
 * Inside a group commit, holds `write` back until the group's works have all run (it still
 * commits with them, or not at all) and answers true; anywhere else answers false, and the caller
 * writes at once. For the search index: FTS5 writes out what it holds whenever a statement opens a
 * statement journal in the same transaction, so entries added between a group's other writes cost
 * an index segment each; held to the end, a group writes one.
 */
export function atGroupEnd(db: Kysely<Database>, write: () => Promise<unknown>): boolean {
  const end = groups.get(db);
  end?.add(write);
  return end !== undefined;
}

/** Inside a group commit, runs the writes held back so far now: for a statement that must come
 * after them (a removal from the search index). Anywhere else nothing is held. */
export async function groupEndNow(db: Kysely<Database>): Promise<void> {
  await groups.get(db)?.run();
}

/**
 * SQLite's connection, when `db` is a group commit's handle: the caller already holds the one
 * connection inside the group's transaction, so a statement can run on it at once, without
 * Kysely's per-query promises and connection lock (most of a small statement's cost). Anywhere
 * else undefined: the query must take the connection in turn through Kysely, or it would run
 * inside whatever transaction is open and read what is not committed yet.
 */
export function groupConnection(db: Kysely<Database>): SqliteStatements | undefined {
  return groups.has(db) ? connections.get(db.getExecutor().adapter) : undefined;
}

/** Runs one statement directly on the connection; answers its rows (none for a plain write). */
export function runDirect<Row>(
  connection: SqliteStatements,
  sql: string,
  parameters: readonly unknown[],
): Row[] {
  const statement = connection.prepare(sql);
  if (statement.reader) return statement.all(parameters) as Row[];
  statement.run(parameters);
  return [];
}
