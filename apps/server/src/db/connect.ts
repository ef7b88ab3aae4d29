import fs from 'node:fs';
import fsp, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { performance } from 'node:perf_hooks';
import {
  Kysely,
  PostgresDialect,
  SqliteDialect,
  SqliteQueryCompiler,
  sql,
  type Dialect,
  type Driver,
  type LogConfig,
  type SqliteDatabase,
} from 'kysely';
import pg from 'pg';
import type { DatabaseConfig } from '../config.js';
import { startCheckpointer } from './checkpointer.js';
import { registerSqliteConnection, type SqliteStatements } from './direct.js';
import { preparedName } from './prepared.js';
import type { Database } from './schema.js';
import { assertOutsideWrite } from './writeScope.js';

export type Engine = DatabaseConfig['engine'];

export interface Db {
  engine: Engine;
  kysely: Kysely<Database>;
  /** Answers true when the database answers a trivial query in time. */
  ping(): Promise<boolean>;
  /** SQLite: makes everything committed so far durable (fdatasync of the write-ahead log, on a
   * libuv thread), for commits made with synchronous=NORMAL. */
  flushLog?(): Promise<void>;
  /** SQLite: lets a migration edit stored table definitions (better-sqlite3's unsafe mode). */
  allowSchemaEdits?(allow: boolean): void;
  close(): Promise<void>;
}

// int8 (bigint) columns hold epoch milliseconds and counters well inside 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

/**
 * What the caller may hear of the database's work (metrics). `onStatement`: each statement's
 * time in seconds, by the way it ran: `kysely` for every query Kysely runs (its `log` option
 * times them), `direct` for the hot statements a SQLite group commit runs straight on the
 * connection (prepared.ts, direct.ts), which Kysely never sees.
 */
export interface DatabaseHooks {
  onStatement?: (seconds: number, path: 'kysely' | 'direct') => void;
}

export function connectDatabase(config: DatabaseConfig, hooks: DatabaseHooks = {}): Db {
  if (config.engine === 'sqlite') return connectSqlite(config.file, hooks);
  return connectPostgres(config.url, hooks);
}

/** Kysely's `log` option for `onStatement`: errors are timed as well as successes. */
function statementLog(hooks: DatabaseHooks): { log?: LogConfig } {
  const onStatement = hooks.onStatement;
  if (!onStatement) return {};
  return { log: (event) => onStatement(event.queryDurationMillis / 1000, 'kysely') };
}

function connectSqlite(file: string, hooks: DatabaseHooks): Db {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const handle = new BetterSqlite3(file);
  handle.pragma('journal_mode = WAL');
  // FULL: a commit survives power loss as well as a crash; an acknowledged message is never lost.
  handle.pragma('synchronous = FULL');
  let log: Promise<FileHandle> | undefined;
  handle.pragma('foreign_keys = ON');
  handle.pragma('busy_timeout = 5000');
  // Checkpoints: a worker thread copies the log back into the database continuously
  // (checkpointer.ts), off this thread. This connection still checkpoints once the log passes
  // 4,096 pages (16 MB): under sustained load the worker never quite catches up, and only a
  // checkpoint that does lets the next commit start the log again from its beginning. By then
  // the worker has copied nearly everything, so this one is short; without the worker (it failed)
  // this is the ordinary bound on the log.
  handle.pragma('wal_autocheckpoint = 4096');
  // After a burst, a log that was reset is cut back to this size rather than kept at its peak.
  handle.pragma('journal_size_limit = 67108864');
  // Room for the hot parts of the message indexes (SQLite's default is 2 MB); memory-mapped reads
  // save a system call per page read from the database file.
  handle.pragma('cache_size = -32768');
  handle.pragma('mmap_size = 268435456');
  const checkpointer = startCheckpointer(file);
  const statements = withStatementCache(handle);
  const kysely = new Kysely<Database>({
    dialect: checkedOutside(new PlannedOnceSqliteDialect({ database: statements })),
    ...statementLog(hooks),
  });
  registerSqliteConnection(
    kysely,
    hooks.onStatement ? timedStatements(statements, hooks.onStatement) : statements,
  );
  let closed = false;
  return {
    engine: 'sqlite',
    kysely,
    allowSchemaEdits: (allow) => handle.unsafeMode(allow),
    ping: () => (closed || !handle.open ? Promise.resolve(false) : answersInTime(kysely)),
    async flushLog() {
      // fsync works on any descriptor of the file; the log exists once anything was written.
      log ??= fsp.open(`${file}-wal`, 'r+');
      try {
        await (await log).datasync();
      } catch (error) {
        log = undefined;
        throw error;
      }
      checkpointer.poke();
    },
    async close() {
      if (closed) return;
      closed = true;
      await checkpointer.close();
      await kysely.destroy();
      await (await log?.catch(() => undefined))?.close();
    },
  };
}

/**
 * Every value goes to SQLite as `+?`, not `?`. SQLite re-plans a statement on its next run when a
 * value its plan depends on is bound anew; for a statement over more than one table it does so
 * on every run whatever the value (SQLite 3.54: a send's one-query read of the visitor, their
 * conversation and their retry cost 4 times its own run in compiling). The unary plus changes no
 * value or type (neither form has an affinity) and still lets an index find the value, but the
 * planner no longer takes it for a value to plan by, so a compiled statement runs as compiled.
 */
class PlannedOnceCompiler extends SqliteQueryCompiler {
  protected override getCurrentParameterPlaceholder(): string {
    return '+?';
  }
}

class PlannedOnceSqliteDialect extends SqliteDialect {
  override createQueryCompiler() {
    return new PlannedOnceCompiler();
  }
}

/** Statements the SQLite connection keeps compiled. Queries are built from a fixed set of shapes
 * (an `in` list of a new length is a new shape), so the most recent few hundred cover them. */
const statementCacheSize = 500;

/**
 * Kysely prepares every query afresh; compiling SQL costs more than running these small queries.
 * Keeps the compiled statements by their SQL text, dropping the least recently used.
 */
function withStatementCache(handle: BetterSqlite3.Database): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => handle.close(),
    prepare(text: string) {
      let statement = cache.get(text);
      if (statement) {
        cache.delete(text);
      } else {
        statement = handle.prepare(text);
        if (cache.size >= statementCacheSize) cache.delete(cache.keys().next().value!);
      }
      cache.set(text, statement);
      return statement;
    },
  };
}

/**
 * The statements a group commit runs directly (direct.ts), each run timed: they are synchronous,
 * so the time between the two clock reads is the statement's own. A wrapper per compiled
 * statement, made once.
 */
function timedStatements(
  statements: SqliteDatabase,
  onStatement: NonNullable<DatabaseHooks['onStatement']>,
): SqliteStatements {
  type Statement = ReturnType<SqliteStatements['prepare']>;
  const wrapped = new WeakMap<object, Statement>();
  const timed = <T>(run: () => T): T => {
    const start = performance.now();
    try {
      return run();
    } finally {
      onStatement((performance.now() - start) / 1000, 'direct');
    }
  };
  return {
    prepare(text) {
      const statement: Statement = statements.prepare(text);
      let timedStatement = wrapped.get(statement);
      if (!timedStatement) {
        timedStatement = {
          reader: statement.reader,
          all: (parameters) => timed(() => statement.all(parameters)),
          run: (parameters) => timed(() => statement.run(parameters)),
        };
        wrapped.set(statement, timedStatement);
      }
      return timedStatement;
    },
  };
}

function connectPostgres(url: string, hooks: DatabaseHooks): Db {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
  });
  // A client that loses its connection (database restart, network cut) must not crash the
  // process: idle ones report to the pool, checked-out ones to their own listener; the query
  // in flight fails on its own and the caller answers 503.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
    keepHotStatementsPrepared(client);
  });
  const kysely = new Kysely<Database>({
    dialect: checkedOutside(new PostgresDialect({ pool })),
    ...statementLog(hooks),
  });
  let closed = false;
  return {
    engine: 'postgres',
    kysely,
    ping: () => (closed ? Promise.resolve(false) : answersInTime(kysely)),
    async close() {
      if (closed) return;
      closed = true;
      await kysely.destroy();
    },
  };
}

/**
 * Runs the hot statements (prepared.ts) on this connection as named prepared statements: parsed
 * and planned by PostgreSQL once per connection, not on every run. Kysely passes every query as
 * `query(text, values)`; anything else (a cursor, a config object) goes through as it came.
 */
function keepHotStatementsPrepared(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as { query: unknown }).query = (first: unknown, ...rest: unknown[]) => {
    const [values, ...others] = rest;
    if (typeof first === 'string' && Array.isArray(values)) {
      const name = preparedName(first);
      if (name) return query({ name, text: first, values }, ...others);
    }
    return query(first, ...rest);
  };
}

/**
 * The dialect, with a check each time the outer handle takes a connection: never from inside an
 * open write (writeScope.ts). A transaction's own queries use the connection it already holds
 * and pass no check.
 */
function checkedOutside(dialect: Dialect): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createDriver(): Driver {
      const driver = dialect.createDriver();
      // Every query passes here: the driver's methods are bound once, not on each access (the
      // drivers keep their state in private fields, so they must run with the driver as `this`).
      const bound = new Map<PropertyKey, unknown>();
      const acquireConnection = () => {
        assertOutsideWrite('A query on the outer database handle');
        return driver.acquireConnection();
      };
      return new Proxy(driver, {
        get(target, property) {
          if (property === 'acquireConnection') return acquireConnection;
          let value = bound.get(property);
          if (value === undefined) {
            value = Reflect.get(target, property);
            if (typeof value === 'function') value = (value as () => unknown).bind(target);
            bound.set(property, value);
          }
          return value;
        },
      });
    },
  };
}

/** True when `select 1` answers within 3 s. */
async function answersInTime(kysely: Kysely<Database>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), 3000);
  });
  const query = sql`select 1`.execute(kysely).then(
    () => true,
    () => false,
  );
  try {
    return await Promise.race([query, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
