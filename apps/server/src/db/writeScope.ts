import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Catches a query on the outer database handle made inside an open write. On SQLite such a query
 * waits for the one connection, which the write holds until the query answers: it would wait
 * forever. On PostgreSQL it takes another connection and reads outside the transaction. With the
 * checks on (tests, development) it throws at once instead; in production they cost nothing (no
 * async context is tracked at all).
 */
let scope: AsyncLocalStorage<true> | undefined;

export function enableWriteChecks(): void {
  scope ??= new AsyncLocalStorage<true>();
}

/** How many locked works (`{ lock }`) have started in this process, and transactions ended. */
let serial = 0;

/** Runs `work` marked as inside an open write (the transaction handle is in use). */
export function insideWrite<T>(work: () => Promise<T>): Promise<T> {
  return scope ? scope.run(true, work) : work();
}

/** A work that holds a named lock (`{ lock: 'routing' }`) starts. */
export function lockedWorkStarted(): void {
  serial += 1;
}

/**
 * A transaction that ran works has ended: on PostgreSQL every one (other nodes write between two
 * transactions), on SQLite one that did not commit (this process is the database's only writer,
 * so after a commit the database holds exactly what its works saw and did).
 */
export function transactionEnded(): void {
  serial += 1;
}

/**
 * A number that grows each time a locked work starts or a transaction ends (as
 * `transactionEnded` counts them). What one locked work learns of the database and keeps for the
 * next (routing's memo) holds only if the number it noted when it finished is just below the
 * next one's: no other locked work ran in between (a work without the lock never changes what
 * routing reads), and no transaction ended that could have changed it or undone it.
 */
export function writeSerial(): number {
  return serial;
}

/** Throws when called from inside an open write: the caller is about to use the outer handle. */
export function assertOutsideWrite(what: string): void {
  if (scope?.getStore()) {
    throw new Error(
      `${what} inside an open write: use the transaction handle the write was given ` +
        '(on SQLite this would wait forever for the connection the write holds)',
    );
  }
}
