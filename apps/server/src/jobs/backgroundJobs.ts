import type { FastifyBaseLogger } from 'fastify';
import { releaseLease, takeLease } from '../db/leases.js';
import type { DomainContext } from '../domain/context.js';

/** Work that runs now and then on exactly one node at a time (the one holding its lease). */
export interface BackgroundJob {
  /** The lease's name. */
  name: string;
  /** How often a round starts. */
  everyMs: number;
  /** One round of the work; answers true when more is left to do at once. */
  round(): Promise<boolean>;
}

export interface BackgroundJobs {
  /** Runs a round of `name` now, on this node, if it gets the lease (tests, a poke after a change). */
  runNow(name: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts every job: a first round at once, then one each `everyMs`. Before each round (and
 * between the batches of a long one) the node takes or renews the job's lease; a node that does
 * not get it skips the round. A lease lasts three periods, so the job moves to another node that
 * long after its holder died; a holder that stops gives it up at once. The work itself is
 * written to be repeated (each batch re-checks the rows it changes), so a round cut short by a
 * crash is simply done again.
 */
export function startBackgroundJobs(
  ctx: DomainContext,
  holder: string,
  jobs: BackgroundJob[],
  log: FastifyBaseLogger,
): BackgroundJobs {
  let stopping = false;
  const timers: NodeJS.Timeout[] = [];
  const running = new Map<string, Promise<void>>();

  const lease = (job: BackgroundJob) =>
    ctx.transaction((trx) => takeLease(trx, job.name, holder, ctx.now(), job.everyMs * 3), {
      singleStatement: true,
    });

  async function rounds(job: BackgroundJob): Promise<void> {
    while (!stopping && (await lease(job))) {
      if (!(await job.round())) return;
    }
  }

  function run(job: BackgroundJob): Promise<void> {
    const current = running.get(job.name);
    if (current) return current;
    const round = rounds(job)
      .catch((error: unknown) => log.warn({ err: error, job: job.name }, 'background job failed'))
      .finally(() => running.delete(job.name));
    running.set(job.name, round);
    return round;
  }

  for (const job of jobs) {
    void run(job);
    const timer = setInterval(() => void run(job), job.everyMs);
    timer.unref();
    timers.push(timer);
  }

  return {
    async runNow(name) {
      const job = jobs.find((j) => j.name === name);
      if (!job) throw new Error(`no background job ${name}`);
      // A round already under way may have started before what the caller wants seen.
      await running.get(name);
      await run(job);
    },
    async stop() {
      stopping = true;
      for (const timer of timers) clearInterval(timer);
      await Promise.all(running.values());
      await Promise.all(
        jobs.map((job) =>
          ctx
            .transaction((trx) => releaseLease(trx, job.name, holder), { singleStatement: true })
            .catch(() => undefined),
        ),
      );
    },
  };
}
