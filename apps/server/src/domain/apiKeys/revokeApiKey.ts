import type { ApiKey } from '@servicesystem/protocol';
import { fieldChange, recordAudit } from '../audit/recordAudit.js';
import type { AccountActor, DomainContext } from '../context.js';
import type { Outcome } from '../events.js';
import { apiKeyPolicy, authorize } from '../policies.js';
import { findApiKeyOrThrow, presentApiKey } from './apiKeyRows.js';

/**
 * An administrator revokes a key: every node refuses it from the next request on (each request
 * reads the key's row), and it stays listed as revoked. Revoking it again changes nothing.
 */
export async function revokeApiKey(
  ctx: DomainContext,
  actor: AccountActor,
  id: string,
): Promise<Outcome<ApiKey>> {
  authorize(
    apiKeyPolicy.manage(actor),
    'Only administrators, from a console session, can manage API keys',
  );
  return ctx.transaction(async (trx) => {
    const [before, account] = await findApiKeyOrThrow(trx, id);
    if (before.revoked_at !== null) return { value: presentApiKey(before, account), events: [] };
    const now = ctx.now();
    await trx.updateTable('api_keys').set({ revoked_at: now }).where('id', '=', id).execute();
    await recordAudit(
      trx,
      actor,
      {
        action: 'apiKey.revoke',
        target: { type: 'apiKey', id, label: before.name },
        changes: fieldChange('revoked', false, true),
      },
      now,
    );
    return { value: presentApiKey({ ...before, revoked_at: now }, account), events: [] };
  });
}
