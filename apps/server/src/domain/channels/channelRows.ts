import type { Kysely } from 'kysely';
import type { ChannelsTable, Database } from '../../db/schema.js';
import { notFound } from '../errors.js';

export async function findChannelOrThrow(db: Kysely<Database>, id: string): Promise<ChannelsTable> {
  const row = await db.selectFrom('channels').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('The channel');
  return row;
}
