import type { ApiKey, UpdateApiKeyRequest } from '@servicesystem/protocol';
import type { z } from 'zod';
import { fieldChange, recordAudit } from '../audit/recordAudit.js';
import type { AccountActor, DomainContext } from '../context.js';
import { AppError } from '../errors.js';
import type { Outcome } from '../events.js';
import { apiKeyPolicy, authorize } from '../policies.js';
import { findApiKeyOrThrow, presentApiKey } from './apiKeyRows.js';

type Input = z.output<typeof UpdateApiKeyRequest>;

/** An administrator renames a key or changes its rate limit (its scopes are fixed). */
export async function updateApiKey(
  ctx: DomainContext,
  actor: AccountActor,
  id: string,
  input: Input,
): Promise<Outcome<ApiKey>> {
  authorize(
    apiKeyPolicy.manage(actor),
    'Only administrators, from a console session, can manage API keys',
  );
  return ctx.transaction(async (trx) => {
    const [before, account] = await findApiKeyOrThrow(trx, id);
    if (before.revoked_at !== null) {
      throw new AppError('INVALID_STATE', 'This API key was revoked and cannot be changed');
    }
    const name = input.name ?? before.name;
    const rate = input.rateLimitPerMinute ?? Number(before.rate_limit_per_minute);
    const changes = [
      ...fieldChange('name', before.name, name),
      ...fieldChange('rateLimitPerMinute', Number(before.rate_limit_per_minute), rate),
    ];
    const after = { ...before, name, rate_limit_per_minute: rate };
    if (changes.length === 0) return { value: presentApiKey(after, account), events: [] };
    const now = ctx.now();
    await trx
      .updateTable('api_keys')
      .set({ name, rate_limit_per_minute: rate })
      .where('id', '=', id)
      .execute();
    await recordAudit(
      trx,
      actor,
      { action: 'apiKey.update', target: { type: 'apiKey', id, label: name }, changes },
      now,
    );
    return { value: presentApiKey(after, account), events: [] };
  });
}
