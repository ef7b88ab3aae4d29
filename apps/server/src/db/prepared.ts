import { createHash } from 'node:crypto';
import {
  CompiledQuery,
  PostgresAdapter,
  type Compilable,
  type Kysely,
  type RawBuilder,
} from 'kysely';
import { groupConnection, runDirect } from './direct.js';
import type { Database } from './schema.js';

/** A named value a prepared query takes each time it runs. */
class Slot {
  constructor(readonly name: string) {}
}

type Part = { slot: string } | { fixed: unknown };

/**
 * The hot statements' SQL, by text, with the name PostgreSQL knows them by. The PostgreSQL
 * connections (connect.ts) send these as named prepared statements: each connection parses and
 * plans one once, instead of on every run, which for a send cost more than running it.
 */
const statementNames = new Map<string, string>();

/** Marks `sql` as a hot statement that PostgreSQL connections keep prepared. */
export function keepPrepared(sql: string): void {
  if (statementNames.has(sql)) return;
  statementNames.set(sql, `ss_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`);
}

/** The name `sql` is kept prepared under, if it is a hot statement. */
export function preparedName(sql: string): string | undefined {
  return statementNames.get(sql);
}

/**
 * A hot query built and compiled once per dialect, then run with new values: Kysely otherwise
 * builds and compiles the same immutable tree on every call, which on the send path cost more
 * than running the statement. `build` marks each value that changes with `slot(name)`; every other
 * value is fixed at the first build. On PostgreSQL the statement is also kept prepared.
 */
export function prepared<Values extends object, Row>(
  build: (
    db: Kysely<Database>,
    slot: <K extends keyof Values & string>(name: K) => Values[K],
  ) => Compilable<Row> | RawBuilder<Row>,
): (db: Kysely<Database>, values: Values) => Promise<Row[]> {
  const compiled = new Map<unknown, { sql: string; parts: Part[] }>();
  return async (db, values) => {
    // One compiled form per dialect (its SQL and placeholders); transactions share their database's.
    const adapter = db.getExecutor().adapter;
    let entry = compiled.get(adapter.constructor);
    if (!entry) {
      // A query builder compiles by itself; raw SQL (a data-modifying statement) with the database.
      const query = build(db, (name) => new Slot(name) as never).compile(db);
      const parts = query.parameters.map((value): Part =>
        value instanceof Slot ? { slot: value.name } : { fixed: value },
      );
      entry = { sql: query.sql, parts };
      compiled.set(adapter.constructor, entry);
      if (adapter instanceof PostgresAdapter) keepPrepared(query.sql);
    }
    const parameters = entry.parts.map((part) =>
      'slot' in part ? ((values as Record<string, unknown>)[part.slot] ?? null) : part.fixed,
    );
    // Inside a SQLite group commit: straight on the connection the group holds.
    const direct = groupConnection(db);
    if (direct) return runDirect<Row>(direct, entry.sql, parameters);
    const result = await db.executeQuery<Row>(CompiledQuery.raw(entry.sql, parameters));
    return result.rows;
  };
}

/** An insert of one whole row into `table`, each of `columns` a slot of its own, compiled once. */
export function preparedInsert<Row extends object>(
  table: keyof Database & string,
  columns: readonly (keyof Row & string)[],
): (db: Kysely<Database>, row: Row) => Promise<never[]> {
  return prepared<Row, never>((db, slot) =>
    db
      .insertInto(table)
      .values(Object.fromEntries(columns.map((column) => [column, slot(column)])) as never),
  );
}
