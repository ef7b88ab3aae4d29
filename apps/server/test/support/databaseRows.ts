import BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import pg from 'pg';
import type { Database } from '../../src/db/schema.js';

/**
 * Reads rows straight from the database a server process writes to (a SQLite file or a
 * PostgreSQL URL, with its search_path), to check what was stored without going through the
 * server. Write the query with `$1, $2, ...` placeholders, each used once and in order (they
 * become `?` on SQLite).
 */
export async function queryRows<T = Record<string, unknown>>(
  databaseUrl: string,
  query: string,
  params: unknown[] = [],
): Promise<T[]> {
  if (databaseUrl.startsWith('sqlite:')) {
    const handle = new BetterSqlite3(databaseUrl.slice('sqlite:'.length), {
      readonly: true,
      fileMustExist: true,
    });
    try {
      return handle.prepare(query.replace(/\$\d+/g, '?')).all(...params) as T[];
    } finally {
      handle.close();
    }
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query(query, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** How many rows `table` holds, read through the app's own database handle. */
export async function countRows(db: Kysely<Database>, table: keyof Database): Promise<number> {
  const { n } = await db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(n);
}
