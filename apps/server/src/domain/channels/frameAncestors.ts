import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';

/**
 * The origins that may show a channel's visitor page in a frame: the channel's allowedOrigins.
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
  const origins = JSON.parse(row.allowed_origins) as unknown;
  if (!Array.isArray(origins)) return [];
  // Stored origins were validated as scheme://host[:port]; keep only those shapes in a header.
  return origins.filter(
    (o): o is string => typeof o === 'string' && /^https?:\/\/[A-Za-z0-9.:[\]-]+$/.test(o),
  );
}
