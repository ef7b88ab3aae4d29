import type { ApiKey } from '@servicesystem/protocol';
import type { AccountActor, DomainContext } from '../context.js';
import { apiKeyPolicy, authorize } from '../policies.js';
import { allApiKeys } from './apiKeyRows.js';

/** Every API key, revoked ones too (newest first); never a secret. */
export async function listApiKeys(ctx: DomainContext, actor: AccountActor): Promise<ApiKey[]> {
  authorize(
    apiKeyPolicy.manage(actor),
    'Only administrators, from a console session, can manage API keys',
  );
  return allApiKeys(ctx.db);
}
