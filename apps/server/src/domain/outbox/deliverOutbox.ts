import { sql } from 'kysely';
import type { OutboxTable } from '../../db/schema.js';
import { MailDeliveryError, type Mailer, type OutgoingMail } from '../../mail/mailer.js';
import type { DomainContext } from '../context.js';
import { composeReplyMail } from './composeReplyMail.js';

/** Rows one round takes at most; the job asks again at once when there were that many. */
const batchSize = 20;
/** The first retry waits this long, each next one twice as long, at most `maxBackoffMs`. */
const firstBackoffMs = 30_000;
const maxBackoffMs = 60 * 60 * 1000;
/** A row still failing this long after it was written is marked failed. */
export const giveUpAfterMs = 24 * 60 * 60 * 1000;

/** Sent, skipped and failed rows are kept this long (to look into), then deleted. */
export const keepFinishedMs = 30 * 24 * 60 * 60 * 1000;

/**
 * Deletes finished rows older than `keepFinishedMs`, a batch at a time; answers whether more may
 * be left. Run by the `outbox` job now and then, not every round.
 */
export async function purgeOutbox(ctx: DomainContext): Promise<boolean> {
  const before = ctx.now() - keepFinishedMs;
  const old = await ctx.db
    .selectFrom('outbox')
    .select('id')
    .where('state', '!=', sql.lit('pending'))
    .where('finished_at', '<', before)
    .limit(500)
    .execute();
  if (old.length === 0) return false;
  await ctx.transaction(
    (trx) =>
      trx
        .deleteFrom('outbox')
        .where(
          'id',
          'in',
          old.map((r) => r.id),
        )
        .execute(),
    { singleStatement: true },
  );
  return old.length === 500;
}

/** The wait before attempt `attempts + 1`, after `attempts` failed ones. */
export function backoffMs(attempts: number): number {
  return Math.min(maxBackoffMs, firstBackoffMs * 2 ** Math.max(0, attempts - 1));
}

/**
 * One round of the `outbox` job (one node at a time, under its lease): the rows that are due,
 * oldest due first. A reply mail whose delay is over is composed first (composeReplyMail.ts);
 * a mail is sent with its own Message-ID. The attempt is counted before the mail leaves, so a
 * crash mid-send is retried (the same Message-ID lets the receiver recognise it). A mail server
 * that cannot be reached or answers 4xx: retried with exponential backoff until a day after the
 * row was written, then failed; a 5xx answer: failed at once. Without a mailer (no SMTP) mail
 * rows wait. Answers true when more rows may be due.
 */
export async function deliverOutbox(
  ctx: DomainContext,
  mailer: Mailer | undefined,
): Promise<boolean> {
  if (!mailer) return false;
  const due = await ctx.db
    .selectFrom('outbox')
    .selectAll()
    .where('state', '=', sql.lit('pending'))
    .where('next_attempt_at', '<=', ctx.now())
    .orderBy('next_attempt_at')
    .orderBy('id')
    .limit(batchSize)
    .execute();
  for (const row of due) {
    if (row.kind === 'replyMail') {
      await composeReplyMail(ctx, row);
      const composed = await ctx.db
        .selectFrom('outbox')
        .selectAll()
        .where('id', '=', row.id)
        .where('state', '=', sql.lit('pending'))
        .where('kind', '=', 'mail')
        .executeTakeFirst();
      if (composed) await sendMail(ctx, mailer, composed);
    } else if (row.kind === 'mail') {
      await sendMail(ctx, mailer, row);
    }
  }
  return due.length === batchSize;
}

async function sendMail(ctx: DomainContext, mailer: Mailer, row: OutboxTable): Promise<void> {
  const attempts = Number(row.attempts) + 1;
  // Counted before the mail leaves: should this node die mid-send, the next attempt waits its
  // backoff instead of racing a send whose outcome nobody knows.
  const claimed = await ctx.transaction(
    async (trx) =>
      trx
        .updateTable('outbox')
        .set({ attempts, next_attempt_at: ctx.now() + backoffMs(attempts) })
        .where('id', '=', row.id)
        .where('state', '=', sql.lit('pending'))
        .where('attempts', '=', Number(row.attempts))
        .executeTakeFirst(),
    { singleStatement: true },
  );
  if (Number(claimed.numUpdatedRows) !== 1) return;
  let failure: MailDeliveryError | undefined;
  try {
    await mailer.send(JSON.parse(row.payload) as OutgoingMail, row.message_id);
  } catch (error) {
    failure =
      error instanceof MailDeliveryError
        ? error
        : new MailDeliveryError(error instanceof Error ? error.message : String(error), false);
  }
  const now = ctx.now();
  const giveUp =
    failure !== undefined &&
    (failure.permanent || now + backoffMs(attempts) > Number(row.created_at) + giveUpAfterMs);
  await ctx.transaction(
    async (trx) => {
      await trx
        .updateTable('outbox')
        .set(
          failure === undefined
            ? { state: 'sent', finished_at: now, last_error: null }
            : giveUp
              ? { state: 'failed', finished_at: now, last_error: failure.message.slice(0, 1000) }
              : { last_error: failure.message.slice(0, 1000) },
        )
        .where('id', '=', row.id)
        .execute();
    },
    { singleStatement: true },
  );
}
