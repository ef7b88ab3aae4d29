import type { Kysely } from 'kysely';
import type { Database, LabelsTable } from '../../db/schema.js';
import { notFound } from '../errors.js';

export type ConversationLabelRow = Pick<LabelsTable, 'id' | 'name' | 'color'>;

export async function findLabelOrThrow(db: Kysely<Database>, id: string): Promise<LabelsTable> {
  const row = await db.selectFrom('labels').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('The label');
  return row;
}

/** Every label, by name. */
export function allLabels(db: Kysely<Database>): Promise<LabelsTable[]> {
  return db.selectFrom('labels').selectAll().orderBy('name').orderBy('id').execute();
}

/** The labels of each conversation, by name, in one query. */
export async function labelsOfConversations(
  db: Kysely<Database>,
  conversationIds: readonly string[],
): Promise<Map<string, ConversationLabelRow[]>> {
  const byConversation = new Map<string, ConversationLabelRow[]>();
  if (conversationIds.length === 0) return byConversation;
  const rows = await db
    .selectFrom('conversation_labels as cl')
    .innerJoin('labels as l', 'l.id', 'cl.label_id')
    .select(['cl.conversation_id', 'l.id', 'l.name', 'l.color'])
    .where('cl.conversation_id', 'in', [...new Set(conversationIds)])
    .orderBy('l.name')
    .execute();
  for (const { conversation_id: conversationId, ...label } of rows) {
    const list = byConversation.get(conversationId) ?? [];
    list.push(label);
    byConversation.set(conversationId, list);
  }
  return byConversation;
}

/** Whether another label already has this name, regardless of case. */
export async function labelNameTaken(
  db: Kysely<Database>,
  name: string,
  exceptId?: string,
): Promise<boolean> {
  let query = db
    .selectFrom('labels')
    .select('id')
    .where((eb) => eb(eb.fn('lower', ['name']), '=', name.toLowerCase()));
  if (exceptId) query = query.where('id', '!=', exceptId);
  return (await query.executeTakeFirst()) !== undefined;
}
