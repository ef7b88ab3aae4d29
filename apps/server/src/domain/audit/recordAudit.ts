import { randomUUID } from 'node:crypto';
import type {
  AuditAction,
  AuditChange,
  AuditTargetType,
  AuditValue,
} from '@servicesystem/protocol';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { Actor } from '../context.js';

/** Who did it: a console user, the operator's command line on the server (`cli`), or the
 * server's first start (`setup`). */
export type AuditBy = Actor | 'cli' | 'setup';

export interface AuditRecord {
  action: AuditAction;
  target: { type: AuditTargetType; id: string; label: string };
  changes: AuditChange[];
}

/**
 * Writes one audit entry with `trx`, the transaction of the change it records: the entry exists
 * exactly when the change does. Callers list only the fields that changed and never put a secret
 * in `from`/`to` (use `changedField` for those).
 */
export async function recordAudit(
  trx: Kysely<Database>,
  by: AuditBy,
  record: AuditRecord,
  now: number,
): Promise<void> {
  let actorId: string | null = null;
  let actorUsername: string | null = null;
  if (typeof by !== 'string') {
    if (by.kind !== 'account') throw new Error('only console users are audited');
    const row = await trx
      .selectFrom('accounts')
      .select('username')
      .where('id', '=', by.accountId)
      .executeTakeFirst();
    actorId = by.accountId;
    actorUsername = row?.username ?? null;
  }
  await trx
    .insertInto('audit_log')
    .values({
      id: randomUUID(),
      created_at: now,
      actor_kind: typeof by === 'string' ? by : 'account',
      actor_id: actorId,
      actor_username: actorUsername,
      action: record.action,
      target_type: record.target.type,
      target_id: record.target.id,
      target_label: record.target.label,
      // A change made through an API key names the key beside the account it acted as.
      changes: JSON.stringify(
        typeof by !== 'string' && by.kind === 'account' && by.apiKeyId !== undefined
          ? [...record.changes, { field: 'viaApiKey', to: by.apiKeyId }]
          : record.changes,
      ),
    })
    .execute();
}

/** A field whose value the log names but never keeps (a password, a secret, a long text). */
export function changedField(field: string): AuditChange {
  return { field };
}

/** A short, non-secret field with its values; nothing when it did not change. */
export function fieldChange(field: string, from: AuditValue, to: AuditValue): AuditChange[] {
  return JSON.stringify(from) === JSON.stringify(to) ? [] : [{ field, from, to }];
}
