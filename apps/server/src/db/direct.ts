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

/** The Kysely handles that a group commit holds, with its transaction open (writes.ts). */
const groups = new WeakSet<object>();

export function registerSqliteConnection(db: Kysely<Database>, statements: SqliteStatements): void {
  connections.set(db.getExecutor().adapter, statements);
}

/**
 * Marks `conn` as holding a group commit's transaction for as long as `work` runs, and hands
 * `work` the connection to run statements on directly.
 */
export async function inGroup<T>(
  conn: Kysely<Database>,
  work: (connection: SqliteStatements) => Promise<T>,
): Promise<T> {
  const connection = connections.get(conn.getExecutor().adapter);
  if (!connection) throw new Error('not a SQLite database opened by connect.ts');
  groups.add(conn);
  try {
    return await work(connection);
  } finally {
    groups.delete(conn);
  }
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
