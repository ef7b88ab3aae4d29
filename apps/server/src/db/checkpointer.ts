import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * SQLite's write-ahead log is copied back into the database file by checkpoints. Left to the
 * writing connection, a checkpoint runs inside whichever commit crosses the threshold: the event
 * loop stops for it and every write in that group waits. Here a second connection on a worker
 * thread checkpoints, on the other core, in PASSIVE mode: that never blocks the writer or readers
 * and copies only committed frames. The writing connection keeps a high threshold of its own
 * (connect.ts), which by then finds little left to copy.
 *
 * The worker runs one checkpoint when poked (after each group commit), then again as long as more
 * was written meanwhile, at most every `minGapMs`; and once per `idleEveryMs` regardless, for what
 * other connections wrote (a backup restore, the admin CLI, a bulk import). A worker that fails is
 * not replaced: the writer's own threshold still bounds the log.
 */
export interface Checkpointer {
  /** Something was committed: a checkpoint should follow soon. */
  poke(): void;
  close(): Promise<void>;
}

const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
db.pragma('synchronous = FULL');
parentPort.on('message', (message) => {
  if (message === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    const [row] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ ok: true, log: row.log, checkpointed: row.checkpointed });
  } catch (error) {
    parentPort.postMessage({ ok: false, error: String(error) });
  }
});
`;

type Answer = { ok: true; log: number; checkpointed: number } | { ok: false; error: string };

export function startCheckpointer(
  file: string,
  { minGapMs = 20, idleEveryMs = 5000 } = {},
): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(workerSource, { eval: true, workerData: { driver, file } });
  let running = false;
  let dirty = false;
  let failed = false;
  let closing = false;
  let gap: NodeJS.Timeout | undefined;
  let lastCheckpointed = -1;

  const start = () => {
    if (running || failed || closing) return;
    running = true;
    dirty = false;
    worker.postMessage('checkpoint');
  };
  worker.on('message', (answer: Answer) => {
    running = false;
    let behind = dirty;
    if (answer.ok) {
      // Copied something but not everything (a reader still needs older pages): again soon.
      // When nothing moved, the idle timer tries again later.
      behind ||= answer.checkpointed !== lastCheckpointed && answer.checkpointed < answer.log;
      lastCheckpointed = answer.checkpointed;
    } else if (!/SQLITE_BUSY|database is locked/i.test(answer.error)) {
      // Finding the database busy is no failure (the next poke or the idle timer tries again).
      failed = true;
      return;
    }
    if (behind && !gap) {
      gap = setTimeout(() => {
        gap = undefined;
        start();
      }, minGapMs);
      gap.unref();
    }
  });
  let exited = false;
  worker.on('error', () => (failed = true));
  worker.on('exit', () => {
    exited = true;
    failed = true;
  });
  const idle = setInterval(start, idleEveryMs);
  idle.unref();
  worker.unref();
  start();

  return {
    poke() {
      dirty = true;
      if (!gap) start();
    },
    async close() {
      closing = true;
      clearInterval(idle);
      clearTimeout(gap);
      if (exited) return;
      const done = new Promise((resolve) => worker.once('exit', resolve));
      // Held by the worker until it has closed its connection: otherwise a process with nothing
      // else to do would end here, in the middle of closing.
      worker.ref();
      worker.postMessage('close');
      await done;
    },
  };
}
