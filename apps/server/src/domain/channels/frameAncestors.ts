import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';

/**
 * The origins that may show a channel's visitor page in a frame, and open Socket.IO connections
 * for the channel's visitors: the channel's allowedOrigins.
 * An unknown or missing channel, or an empty list, allows none (the page's own origin is always
 * allowed by the caller with 'self').
 */
export async function frameAncestorsOfChannel(
  db: Kysely<Database>,
  channelId: string | undefined,
): Promise<string[]> {
  if (!channelId || channelId.length > 64) return [];
  const row = await db
    .selectFrom('channels')
    .select('allowed_origins')
    .where('id', '=', channelId)
    .executeTakeFirst();
  if (!row) return [];
  return originsIn(row.allowed_origins);
}

/** Every origin some channel lists: the only websites whose pages may reach Socket.IO. */
export async function channelOrigins(db: Kysely<Database>): Promise<Set<string>> {
  const rows = await db.selectFrom('channels').select('allowed_origins').execute();
  return new Set(rows.flatMap((row) => originsIn(row.allowed_origins)));
}

export function originsIn(stored: string): string[] {
  const origins = JSON.parse(stored) as unknown;
  if (!Array.isArray(origins)) return [];
  // Stored origins were validated as scheme://host[:port]; keep only those shapes in a header.
  return origins.filter(
    (o): o is string => typeof o === 'string' && /^https?:\/\/[A-Za-z0-9.:[\]-]+$/.test(o),
  );
}
