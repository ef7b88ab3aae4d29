import { Origin, type EmbedCheckResponse, type SeenOrigin } from '@servicesystem/protocol';
import type { Kysely } from 'kysely';
import type { ChannelOriginsTable, Database } from '../../db/schema.js';
import type { DomainContext } from '../context.js';
import { notFound } from '../errors.js';
import { originsIn } from './frameAncestors.js';

/** At most this many sites are kept per channel and outcome; the least recently seen go. */
export const maxOriginsPerChannel = 50;
/** Sightings waiting for the next write, over all channels; more are dropped until it runs. */
const maxPending = 500;

type Outcome = ChannelOriginsTable['outcome'];

interface Pending {
  channelId: string;
  origin: string;
  outcome: Outcome;
  count: number;
  lastSeenAt: number;
}

/**
 * Where embed.js ran for each channel: on sites the channel does not allow (`blocked`, shown to
 * admins with one click to allow) and on allowed sites where the bubble showed (`loaded`).
 *
 * Every page view on every site calls the check, so sightings are added up in memory and written
 * together every `flushMs`: one upsert per (channel, site, outcome) per interval at most, whatever
 * the traffic. At most `maxPending` distinct sightings wait (the rest of a flood is dropped), and
 * each channel keeps its 50 most recent sites per outcome.
 */
export class EmbedSightings {
  private pending = new Map<string, Pending>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly ctx: DomainContext,
    private readonly flushMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  /**
   * May `origin` (a page's Origin header; undefined when the browser sent none, as for our own
   * pages) show `channelId`'s bubble? Records the sighting either way.
   */
  async check(
    channelId: string,
    originHeader: string | undefined,
    ownOrigin: string,
  ): Promise<EmbedCheckResponse> {
    const row = await this.ctx.db
      .selectFrom('channels')
      .select('allowed_origins')
      .where('id', '=', channelId)
      .executeTakeFirst();
    if (!row) throw notFound('The channel');
    if (originHeader === undefined) return { allowed: true, origin: null };
    const parsed = Origin.safeParse(originHeader);
    // `null` (a sandboxed frame, a file) or anything that is not a web origin: never recorded.
    if (!parsed.success) return { allowed: false, origin: null };
    const origin = parsed.data;
    if (origin === ownOrigin) return { allowed: true, origin };
    const allowed = originsIn(row.allowed_origins).includes(origin);
    this.record(channelId, origin, allowed ? 'loaded' : 'blocked');
    return { allowed, origin };
  }

  private record(channelId: string, origin: string, outcome: Outcome): void {
    const key = `${channelId} ${outcome} ${origin}`;
    const now = this.ctx.now();
    const seen = this.pending.get(key);
    if (seen) {
      seen.count += 1;
      seen.lastSeenAt = now;
    } else if (this.pending.size < maxPending) {
      this.pending.set(key, { channelId, origin, outcome, count: 1, lastSeenAt: now });
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.flushMs);
    this.timer.unref();
  }

  /** Writes what is waiting (also called at shutdown and by tests). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.write()).catch(this.onError);
    return this.flushing;
  }

  private async write(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    await this.ctx.transaction(async (trx) => {
      // Channels deleted since are skipped (their rows went with them).
      const live = new Set(
        (
          await trx
            .selectFrom('channels')
            .select('id')
            .where('id', 'in', [...new Set(batch.map((s) => s.channelId))])
            .execute()
        ).map((row) => row.id),
      );
      for (const s of batch.filter((s) => live.has(s.channelId))) {
        await trx
          .insertInto('channel_origins')
          .values({
            channel_id: s.channelId,
            origin: s.origin,
            outcome: s.outcome,
            count: s.count,
            last_seen_at: s.lastSeenAt,
          })
          .onConflict((oc) =>
            oc.columns(['channel_id', 'outcome', 'origin']).doUpdateSet((eb) => ({
              count: eb('channel_origins.count', '+', eb.ref('excluded.count')),
              last_seen_at: eb.ref('excluded.last_seen_at'),
            })),
          )
          .execute();
      }
      const touched = new Set(batch.map((s) => `${s.channelId} ${s.outcome}`));
      for (const key of touched) {
        const [channelId, outcome] = key.split(' ') as [string, Outcome];
        await prune(trx, channelId, outcome);
      }
    });
  }

  stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    return this.flush();
  }
}

/** Keeps a channel's most recent sites of one outcome. */
async function prune(trx: Kysely<Database>, channelId: string, outcome: Outcome): Promise<void> {
  const keep = trx
    .selectFrom('channel_origins')
    .select('origin')
    .where('channel_id', '=', channelId)
    .where('outcome', '=', outcome)
    .orderBy('last_seen_at', 'desc')
    .orderBy('origin')
    .limit(maxOriginsPerChannel);
  await trx
    .deleteFrom('channel_origins')
    .where('channel_id', '=', channelId)
    .where('outcome', '=', outcome)
    .where('origin', 'not in', keep)
    .execute();
}

/** A channel's sightings as admins see them: blocked and loaded sites, most recent first. */
export async function sightingsOf(
  db: Kysely<Database>,
  channelIds: readonly string[],
): Promise<Map<string, { blockedOrigins: SeenOrigin[]; loadedOrigins: SeenOrigin[] }>> {
  const result = new Map(
    channelIds.map((id) => [
      id,
      { blockedOrigins: [] as SeenOrigin[], loadedOrigins: [] as SeenOrigin[] },
    ]),
  );
  if (channelIds.length === 0) return result;
  const rows = await db
    .selectFrom('channel_origins')
    .selectAll()
    .where('channel_id', 'in', channelIds)
    .orderBy('last_seen_at', 'desc')
    .orderBy('origin')
    .execute();
  for (const row of rows) {
    const entry = result.get(row.channel_id);
    const seen = {
      origin: row.origin,
      count: Number(row.count),
      lastSeenAt: Number(row.last_seen_at),
    };
    if (row.outcome === 'blocked') entry?.blockedOrigins.push(seen);
    else entry?.loadedOrigins.push(seen);
  }
  return result;
}
