import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Db } from './connect.js';
import { inGroup, runDirect } from './direct.js';
import type { Database } from './schema.js';
import {
  assertOutsideWrite,
  insideWrite,
  lockedWorkStarted,
  transactionEnded,
} from './writeScope.js';

/** What a write's work is given: the transaction's handle. Use it for every query of the work. */
export type WriteWork<T> = (trx: Kysely<Database>) => Promise<T>;

/**
 * Locks a transaction may hold for its whole length. On PostgreSQL each is an advisory lock
 * shared by every node; within one process, work that takes a lock waits its turn in memory,
 * without holding a connection, and the works that gathered meanwhile then run together in one
 * transaction that takes the lock once (each in its own savepoint): a burst of new conversations
 * pays one lock, one BEGIN and one COMMIT per round instead of one per conversation. SQLite's
 * one connection orders transactions already: there a locked work simply joins the group commit.
 * - `routing`: every change to who serves what (a conversation starts, ends or moves; an agent's
 *   status, cap, role or enabled flag changes), so two nodes never hand one conversation to two
 *   agents, push an agent past its cap, or both disable the last two administrators.
 * - `bootstrap`: the first start's admin and channel, so nodes that start together create one.
 */
export type NamedLock = 'routing' | 'bootstrap';

export interface TransactionOptions {
  lock?: NamedLock;
  /**
   * The work writes with one statement at most, guarded by what it re-checks (a message append:
   * its update re-checks the conversation's state and agent). Its reads need not share the
   * write's snapshot. PostgreSQL then runs it without BEGIN and COMMIT (the statement is atomic
   * by itself: two round trips saved); SQLite still runs it in the group commit.
   */
  singleStatement?: boolean;
}

/**
 * The one way the domain writes: `ctx.transaction(work, options)` runs `work` in a transaction
 * and answers its result once that transaction has committed (and, on SQLite, is durable).
 * A write must not start another write, nor query through the outer handle: with write checks
 * on (tests, development) both throw at once.
 */
export type Transaction = <T>(work: WriteWork<T>, options?: TransactionOptions) => Promise<T>;

const advisoryLocks: Record<NamedLock, RawBuilder<unknown>> = {
  routing: sql`select pg_advisory_xact_lock(7240311)`,
  bootstrap: sql`select pg_advisory_xact_lock(hashtext('servicesystem.bootstrap'))`,
};

/**
 * How the domain writes. On PostgreSQL every write is its own transaction: the server already
 * groups the WAL flushes of commits that land together. On SQLite the one connection would
 * otherwise pay one fsync per write, so writes that arrive in the same turn of the event loop
 * share one transaction and one commit: group commit.
 *
 * A write in a group that throws is rolled back alone and its caller gets its error; the others
 * commit (the group runs again with a savepoint per write, see `commitGroup`). The group's
 * COMMIT does not wait for the disk (synchronous=NORMAL for that one commit); the write-ahead log
 * is then flushed with fdatasync on a libuv thread while the event loop goes on, and only then is
 * any caller answered. So nothing is acknowledged before it is durable, and the event loop never
 * blocks on the disk for a group.
 * Every other write (migrations, secrets at start) commits with synchronous=FULL.
 */
export function createTransaction(
  db: Db,
  hooks: {
    /** SQLite: the number of writes each group commit carried, once it committed (metrics). */
    onGroupCommit?: (size: number) => void;
  } = {},
): Transaction {
  const postgres = db.engine === 'postgres';
  let commit: <T>(work: WriteWork<T>) => Promise<T>;
  if (postgres) {
    commit = (work) =>
      db.kysely
        .transaction()
        .execute((trx) => insideWrite(() => work(trx)))
        .finally(transactionEnded);
  } else {
    const flushLog = db.flushLog;
    if (!flushLog) throw new Error('SQLite needs flushLog for group commit');
    commit = new GroupCommit(db.kysely, flushLog, hooks.onGroupCommit).run;
  }
  const rounds = new Map<NamedLock, LockRounds>();
  return (work, options = {}) => {
    assertOutsideWrite('A transaction started');
    if (options.singleStatement && postgres) return work(db.kysely);
    const { lock } = options;
    if (!lock) return commit(work);
    const locked: typeof work = (trx) => {
      lockedWorkStarted();
      return work(trx);
    };
    // SQLite: the one connection runs the group's works one after another, so a locked work is
    // alone with the database for its whole length already.
    if (!postgres) return commit(locked);
    let round = rounds.get(lock);
    if (!round) rounds.set(lock, (round = new LockRounds(db.kysely, advisoryLocks[lock])));
    return round.run(locked);
  };
}

/** At most this many locked works share one PostgreSQL transaction (one round). */
const maxRound = 64;

/**
 * The works waiting for one advisory lock in this process. One round runs at a time: it takes
 * every work that has gathered (up to `maxRound`), opens one transaction, takes the lock once, and
 * runs the works one after another; one that throws is rolled back alone and its caller gets its
 * error (`commitRound`). Every caller is answered once the round has committed (or all get the
 * error if the commit fails).
 */
class LockRounds {
  private readonly waiting: Pending[] = [];
  private running = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly lock: RawBuilder<unknown>,
  ) {}

  readonly run = <T>(work: WriteWork<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      this.waiting.push({
        work,
        settle: (result) => (result.ok ? resolve(result.value as T) : reject(result.error)),
      });
      if (!this.running) void this.drain();
    });

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.waiting.length > 0) {
        const round = this.waiting.splice(0, maxRound);
        const results = await this.commitRound(round);
        round.forEach((pending, index) => pending.settle(results[index]!));
      }
    } finally {
      this.running = false;
    }
  }

  /**
   * First without savepoints: two round trips fewer per work, and works rarely fail. Should one
   * throw, the round is rolled back whole and run again with a savepoint per work, so that it
   * fails alone (works are database work only: running one again is running it once).
   */
  private async commitRound(round: Pending[]): Promise<Result[]> {
    const first = await this.attempt(round, false);
    return first === 'again' ? ((await this.attempt(round, true)) as Result[]) : first;
  }

  private async attempt(round: Pending[], savepoints: boolean): Promise<Result[] | 'again'> {
    try {
      return await this.db.transaction().execute(async (trx) => {
        await this.lock.execute(trx);
        const statement = (text: RawBuilder<unknown>) => async () => void (await text.execute(trx));
        return runWorks(
          round,
          trx,
          savepoints
            ? {
                set: statement(sql`savepoint w`),
                release: statement(sql`release savepoint w`),
                rollback: async () => {
                  await sql`rollback to savepoint w`.execute(trx);
                  await sql`release savepoint w`.execute(trx);
                },
              }
            : undefined,
        );
      });
    } catch (error) {
      if (error instanceof RoundAgain) return 'again';
      return round.map((): Result => ({ ok: false, error }));
    } finally {
      transactionEnded();
    }
  }
}

/** A work of a round or group run without savepoints threw: it runs again with them. */
class RoundAgain extends Error {}

/** How a transaction marks one work's writes, and undoes them alone. */
interface Savepoints {
  set(): Promise<void>;
  release(): Promise<void>;
  /** Back to the mark, and the mark released. */
  rollback(): Promise<void>;
}

/**
 * Runs `works` one after another in the open transaction `trx`. Without savepoints, a work that
 * throws ends the attempt: beside others as `RoundAgain` (the caller rolls back and runs them all
 * again with savepoints), alone with its own error. With savepoints, one that throws is rolled
 * back alone and answered its error; if even the rollback fails the transaction is unusable, and
 * that error ends the attempt.
 */
async function runWorks(
  works: Pending[],
  trx: Kysely<Database>,
  savepoints: Savepoints | undefined,
): Promise<Result[]> {
  const results: Result[] = [];
  for (const pending of works) {
    if (!savepoints) {
      try {
        results.push({ ok: true, value: await insideWrite(() => pending.work(trx)) });
      } catch (error) {
        throw works.length > 1 ? new RoundAgain() : error;
      }
      continue;
    }
    await savepoints.set();
    try {
      const value = await insideWrite(() => pending.work(trx));
      await savepoints.release();
      results.push({ ok: true, value });
    } catch (error) {
      await savepoints.rollback();
      results.push({ ok: false, error });
    }
  }
  return results;
}

type Result = { ok: true; value: unknown } | { ok: false; error: unknown };

interface Pending {
  work: (trx: Kysely<Database>) => Promise<unknown>;
  settle: (result: Result) => void;
}

interface GroupOutcome {
  committed: boolean;
  results: Result[];
}

/** At most this many writes share a commit, so one group never holds the connection for long. */
const maxGroup = 256;

class GroupCommit {
  private readonly waiting: Pending[] = [];
  private flushing = false;
  /** The previous group's answers: groups are answered in the order they committed. */
  private answered: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly flushLog: () => Promise<void>,
    private readonly onCommitted?: (size: number) => void,
  ) {}

  readonly run = <T>(work: WriteWork<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      this.waiting.push({
        work,
        settle: (result) => (result.ok ? resolve(result.value as T) : reject(result.error)),
      });
      this.schedule();
    });

  private schedule(): void {
    if (this.flushing) return;
    this.flushing = true;
    // setImmediate: after this turn's I/O callbacks, so the writes they start join one group.
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    const group = this.waiting.splice(0, maxGroup);
    const { committed, results } = await this.commitGroup(group);
    if (committed) this.onCommitted?.(group.length);
    // The next group may run while this one's log reaches the disk.
    this.flushing = false;
    if (this.waiting.length > 0) this.schedule();
    const durable = committed ? this.flushLog().then(() => results) : Promise.resolve(results);
    const previous = this.answered;
    this.answered = durable
      .catch((error: unknown) => group.map((): Result => ({ ok: false, error })))
      .then(async (final) => {
        await previous;
        group.forEach((pending, index) => pending.settle(final[index]!));
      });
  }

  /**
   * First without savepoints, as a lock round on PostgreSQL: works rarely fail, and on SQLite a
   * savepoint is not free (the search index's FTS5 table writes out what it holds at each one, so
   * a group of 40 sends wrote 40 small index segments instead of one). Should a work throw, the
   * group is rolled back whole and run again with a savepoint per work, so that it fails alone
   * (works are database work only: running one again is running it once).
   */
  private async commitGroup(group: Pending[]): Promise<GroupOutcome> {
    const first = await this.attempt(group, false);
    return first === 'again' ? ((await this.attempt(group, true)) as GroupOutcome) : first;
  }

  private async attempt(group: Pending[], savepoints: boolean): Promise<GroupOutcome | 'again'> {
    const failed = (error: unknown) => ({
      committed: false,
      results: group.map((): Result => ({ ok: false, error })),
    });
    try {
      return await this.db.connection().execute((conn) =>
        // Every statement of the group, its BEGIN and COMMIT included, goes straight to the
        // connection it holds: through Kysely each cost more than a small write's own SQL.
        inGroup(conn, async (direct, end) => {
          let committed = false;
          runDirect(direct, 'pragma synchronous = normal', []);
          try {
            runDirect(direct, 'begin', []);
            let held = 0;
            const results = await runWorks(
              group,
              conn,
              savepoints
                ? {
                    set: async () => {
                      // What the works before held back is written outside this one's
                      // savepoint: a work that writes it early (a removal from the search
                      // index) and then fails must not take it along.
                      await insideWrite(() => end.run());
                      runDirect(direct, 'savepoint w', []);
                      held = end.length;
                    },
                    release: async () => void runDirect(direct, 'release savepoint w', []),
                    rollback: async () => {
                      runDirect(direct, 'rollback to savepoint w', []);
                      runDirect(direct, 'release savepoint w', []);
                      end.dropFrom(held);
                    },
                  }
                : undefined,
            );
            await insideWrite(() => end.run());
            runDirect(direct, 'commit', []);
            committed = true;
            return { committed, results };
          } catch (error) {
            try {
              runDirect(direct, 'rollback', []);
            } catch {
              // No transaction was open (BEGIN failed), or it is gone already.
            }
            if (error instanceof RoundAgain) return 'again' as const;
            return failed(error);
          } finally {
            // Only a group that did not commit counts: this process is SQLite's only writer, so
            // a committed group changed nothing that a later work has not seen (writeScope.ts).
            if (!committed) transactionEnded();
            // Before the connection is free again: every other write waits for the disk.
            runDirect(direct, 'pragma synchronous = full', []);
          }
        }),
      );
    } catch (error) {
      return failed(error);
    }
  }
}
