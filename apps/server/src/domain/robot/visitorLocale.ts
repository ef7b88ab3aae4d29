import type { Locale } from '@servicesystem/protocol';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';

/**
 * The language the visitor's page reports (their browser's, from the visitor context), as one
 * of the two the robot speaks; null when unknown or another one. The robot's greeting and a
 * language model's answer follow it; robot messages carry one text, not one per language.
 */
export async function visitorLocale(
  db: Kysely<Database>,
  visitorId: string,
): Promise<Locale | null> {
  const row = await db
    .selectFrom('visitor_contexts')
    .select('context')
    .where('visitor_id', '=', visitorId)
    .executeTakeFirst();
  if (!row) return null;
  const language = (JSON.parse(row.context) as { language?: unknown }).language;
  return typeof language === 'string' ? localeOfLanguage(language) : null;
}

/** A language tag (`zh-TW`, `en-GB`) as one of the two languages the robot speaks, or null. */
export function localeOfLanguage(tag: string | undefined): Locale | null {
  const lower = tag?.toLowerCase() ?? '';
  if (lower.startsWith('zh')) return 'zh-CN';
  if (lower.startsWith('en')) return 'en';
  return null;
}
