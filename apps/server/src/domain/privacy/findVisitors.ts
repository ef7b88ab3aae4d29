import type { VisitorRecord } from '@servicesystem/protocol';
import { sql } from 'kysely';
import type { VisitorsTable } from '../../db/schema.js';
import type { Actor, DomainContext } from '../context.js';
import { authorize, privacyPolicy } from '../policies.js';
import { emailAttribute, visitorRecords } from './visitorRecords.js';

/** Matches answered at most. */
const limit = 20;

/** `%`, `_` and `\` taken literally in a LIKE pattern (escaped with `\`). */
const likeLiteral = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * Administrators look a visitor up: by visitor id, by the host app's user id (in any channel),
 * or by email address (an identity's `email` attribute, a left message's contact; exact, any
 * case). The most recently seen first.
 */
export async function findVisitors(
  ctx: DomainContext,
  actor: Actor,
  query: string,
): Promise<VisitorRecord[]> {
  authorize(privacyPolicy.manage(actor), 'Only administrators can look visitors up');
  const found = new Map<string, VisitorsTable>();
  const add = (rows: VisitorsTable[]) => {
    for (const row of rows) if (found.size < limit) found.set(row.id, row);
  };
  add(
    await ctx.db
      .selectFrom('visitors')
      .selectAll()
      .where((eb) => eb.or([eb('id', '=', query), eb('external_id', '=', query)]))
      .orderBy('updated_at', 'desc')
      .limit(limit)
      .execute(),
  );
  if (query.includes('@')) {
    const email = query.toLowerCase();
    add(
      await ctx.db
        .selectFrom('visitors')
        .selectAll()
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('left_messages as l')
            .innerJoin('conversations as c', 'c.id', 'l.conversation_id')
            .select('c.visitor_id')
            .where(sql<string>`lower(l.email)`, '=', email),
        )
        .orderBy('updated_at', 'desc')
        .limit(limit)
        .execute(),
    );
    // The attributes are JSON text: a LIKE narrows, the parsed value decides.
    const candidates = await ctx.db
      .selectFrom('visitors')
      .selectAll()
      .where(sql<boolean>`lower(attributes) like ${`%${likeLiteral(email)}%`} escape '\\'`)
      .orderBy('updated_at', 'desc')
      .limit(200)
      .execute();
    add(candidates.filter((v) => emailAttribute(v.attributes)?.toLowerCase() === email));
  }
  const records = await visitorRecords(ctx.db, [...found.values()]);
  return records.sort((a, b) => b.lastSeenAt - a.lastSeenAt);
}
