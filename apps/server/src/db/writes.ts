import { sql, type Kysely } from 'kysely';
import type { Engine } from './connect.js';
import type { Database } from './schema.js';

/** Runs `work` in a transaction and answers its result once that transaction has committed. */
export type RunWrite = <T>(work: (trx: Kysely<Database>) => Promise<T>) => Promise<T>;

/**
 * How the domain writes. On PostgreSQL every write is its own transaction: the server already
 * groups the WAL flushes of commits that land together. On SQLite the one connection would
 * otherwise pay one fsync per write (synchronous=FULL), so writes that arrive in the same turn of
 * the event loop share one transaction and one commit: group commit.
 *
 * Each write in a group runs in its own savepoint: one that throws is rolled back alone and its
 * caller gets its error; the others commit. Every caller is answered only after the commit (or its
 * failure), so nothing is acknowledged before it is durable. A write must not wait for another
 * write or for a query outside its transaction (the connection is busy with the group).
 */
export function createWrites(db: Kysely<Database>, engine: Engine): RunWrite {
  if (engine === 'postgres') return (work) => db.transaction().execute(work);
  return new GroupCommit(db).run;
}

interface Pending {
  work: (trx: Kysely<Database>) => Promise<unknown>;
  settle: (result: { ok: true; value: unknown } | { ok: false; error: unknown }) => void;
}

/** At most this many writes share a commit, so one group never holds the connection for long. */
const maxGroup = 256;

class GroupCommit {
  private readonly waiting: Pending[] = [];
  private flushing = false;

  constructor(private readonly db: Kysely<Database>) {}

  readonly run: RunWrite = <T>(work: (trx: Kysely<Database>) => Promise<T>): Promise<T> =>
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
    const results = await this.commitGroup(group);
    group.forEach((pending, index) => pending.settle(results[index]!));
    this.flushing = false;
    if (this.waiting.length > 0) this.schedule();
  }

  private async commitGroup(
    group: Pending[],
  ): Promise<({ ok: true; value: unknown } | { ok: false; error: unknown })[]> {
    const results: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    let trx;
    try {
      trx = await this.db.startTransaction().execute();
    } catch (error) {
      return group.map(() => ({ ok: false, error }));
    }
    try {
      for (const pending of group) {
        await sql`savepoint w`.execute(trx);
        try {
          const value = await pending.work(trx);
          await sql`release savepoint w`.execute(trx);
          results.push({ ok: true, value });
        } catch (error) {
          // If even the rollback fails, the transaction is unusable: the outer catch fails all.
          await sql`rollback to savepoint w`.execute(trx);
          await sql`release savepoint w`.execute(trx);
          results.push({ ok: false, error });
        }
      }
      await trx.commit().execute();
      return results;
    } catch (error) {
      await trx
        .rollback()
        .execute()
        .catch(() => undefined);
      return group.map(() => ({ ok: false, error }));
    }
  }
}
