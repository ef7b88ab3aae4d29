import { CompiledQuery, type Compilable, type Kysely } from 'kysely';
import type { Database } from './schema.js';

/** A named value a prepared query takes each time it runs. */
class Slot {
  constructor(readonly name: string) {}
}

type Part = { slot: string } | { fixed: unknown };

/**
 * A hot query built and compiled once per dialect, then run with new values: Kysely otherwise
 * builds and compiles the same immutable tree on every call, which on the send path cost more
 * than running the statement. `build` marks each value that changes with `slot(name)`; every other
 * value is fixed at the first build.
 */
export function prepared<Values extends object, Row>(
  build: (
    db: Kysely<Database>,
    slot: <K extends keyof Values & string>(name: K) => Values[K],
  ) => Compilable<Row>,
): (db: Kysely<Database>, values: Values) => Promise<Row[]> {
  const compiled = new Map<unknown, { sql: string; parts: Part[] }>();
  return async (db, values) => {
    // One compiled form per dialect (its SQL and placeholders); transactions share their database's.
    const dialect = db.getExecutor().adapter.constructor;
    let entry = compiled.get(dialect);
    if (!entry) {
      const query = build(db, (name) => new Slot(name) as never).compile();
      const parts = query.parameters.map((value): Part =>
        value instanceof Slot ? { slot: value.name } : { fixed: value },
      );
      entry = { sql: query.sql, parts };
      compiled.set(dialect, entry);
    }
    const parameters = entry.parts.map((part) =>
      'slot' in part ? ((values as Record<string, unknown>)[part.slot] ?? null) : part.fixed,
    );
    const result = await db.executeQuery<Row>(CompiledQuery.raw(entry.sql, parameters));
    return result.rows;
  };
}
