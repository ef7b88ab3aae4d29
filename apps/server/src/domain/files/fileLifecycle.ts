import type { DomainContext } from '../context.js';

/** A file no message took within this long of its upload is swept. */
export const unsentFileLifetimeMs = 24 * 60 * 60 * 1000;

/** Files marked per sweep round, and removed per removal round. */
const markBatch = 500;
const removeBatch = 50;

/**
 * Marks uploads that no message took within a day as deleted: from this moment they are gone for
 * every reader. The check is on the row itself (never attached, not published as an avatar), so a
 * send that claims the file at the same moment (attachmentFor.ts) either wins and keeps it, or
 * finds it gone. Answers how many were marked; their objects go in `removeDeletedFiles`.
 */
export async function sweepUnsentFiles(ctx: DomainContext): Promise<number> {
  const now = ctx.now();
  const cutoff = now - unsentFileLifetimeMs;
  return ctx.transaction(async (trx) => {
    const candidates = await trx
      .selectFrom('files')
      .select('id')
      .where('attached_at', 'is', null)
      .where('created_at', '<', cutoff)
      .where('deleted_at', 'is', null)
      .where('published_at', 'is', null)
      .limit(markBatch)
      .execute();
    if (candidates.length === 0) return 0;
    const marked = await trx
      .updateTable('files')
      .set({ deleted_at: now })
      .where(
        'id',
        'in',
        candidates.map((c) => c.id),
      )
      .where('attached_at', 'is', null)
      .where('deleted_at', 'is', null)
      .where('published_at', 'is', null)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('messages').select('messages.id').whereRef('attachment_id', '=', 'files.id'),
          ),
        ),
      )
      .executeTakeFirst();
    return Number(marked.numUpdatedRows);
  });
}

/**
 * Removes the stored objects of files marked deleted (by the sweeper or a channel's deletion),
 * then their rows: objects first, so a crash in between leaves a row that the next round finds
 * again (removing an absent object is no error). Answers how many files were removed.
 */
export async function removeDeletedFiles(ctx: DomainContext): Promise<number> {
  const rows = await ctx.db
    .selectFrom('files')
    .select(['id', 'storage_key', 'preview_key'])
    .where('deleted_at', 'is not', null)
    .orderBy('deleted_at')
    .limit(removeBatch)
    .execute();
  if (rows.length === 0) return 0;
  for (const row of rows) {
    await ctx.files.delete(row.storage_key);
    if (row.preview_key) await ctx.files.delete(row.preview_key);
  }
  await ctx.transaction((trx) =>
    trx
      .deleteFrom('files')
      .where(
        'id',
        'in',
        rows.map((r) => r.id),
      )
      .where('deleted_at', 'is not', null)
      .execute(),
  );
  return rows.length;
}

/** One round of the file work: sweep, then remove. Answers true when more is left to do now. */
export async function tendFiles(ctx: DomainContext): Promise<boolean> {
  const marked = await sweepUnsentFiles(ctx);
  const removed = await removeDeletedFiles(ctx);
  return marked === markBatch || removed === removeBatch;
}
