import type { Kysely } from 'kysely';
import type { Database, FilesTable } from '../../db/schema.js';
import { notFound } from '../errors.js';

/** The file `id`, unless it is unknown or deleted (then NOT_FOUND, as for every reader). */
export async function findFileOrThrow(db: Kysely<Database>, id: string): Promise<FilesTable> {
  const row = await db
    .selectFrom('files')
    .selectAll()
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!row) throw notFound('The file');
  return row;
}

/** True when the file was sent in a conversation whose visitor or agent is `participantId`. */
export async function sentToParticipant(
  db: Kysely<Database>,
  fileId: string,
  participantId: string,
): Promise<boolean> {
  const row = await db
    .selectFrom('messages')
    .innerJoin('conversations', 'conversations.id', 'messages.conversation_id')
    .select('messages.id')
    .where('messages.attachment_id', '=', fileId)
    .where((eb) =>
      eb.or([
        eb('conversations.visitor_id', '=', participantId),
        eb('conversations.agent_id', '=', participantId),
      ]),
    )
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
