import type { CreateApiKeyRequest, CreateApiKeyResponse } from '@servicesystem/protocol';
import type { z } from 'zod';
import { newApiKeyToken } from '../../auth/apiKeyTokens.js';
import { timeOrderedId } from '../../db/ids.js';
import { changedField, fieldChange, recordAudit } from '../audit/recordAudit.js';
import type { AccountActor, DomainContext } from '../context.js';
import { AppError, notFound } from '../errors.js';
import type { Outcome } from '../events.js';
import { apiKeyPolicy, authorize } from '../policies.js';
import { presentApiKey } from './apiKeyRows.js';

type Input = z.output<typeof CreateApiKeyRequest>;

/** The most keys that may exist, revoked ones included (they stay listed). */
export const maxApiKeys = 1000;

/**
 * An administrator creates a key acting as a console account (by default themselves). The token
 * is in this answer only; the database keeps the hash of its secret.
 */
export async function createApiKey(
  ctx: DomainContext,
  actor: AccountActor,
  input: Input,
): Promise<Outcome<CreateApiKeyResponse>> {
  authorize(
    apiKeyPolicy.manage(actor),
    'Only administrators, from a console session, can manage API keys',
  );
  return ctx.transaction(async (trx) => {
    const accountId = input.accountId ?? actor.accountId;
    const account = await trx
      .selectFrom('accounts')
      .select(['id', 'username', 'display_name', 'role', 'disabled_at'])
      .where('id', '=', accountId)
      .executeTakeFirst();
    if (!account) throw notFound('This account');
    if (account.disabled_at !== null) {
      throw new AppError('INVALID_STATE', 'This account is disabled: enable it first');
    }
    const count = await trx
      .selectFrom('api_keys')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    if (Number(count.n) >= maxApiKeys) {
      throw new AppError('INVALID_STATE', `There can be at most ${maxApiKeys} API keys`);
    }
    const now = ctx.now();
    const id = timeOrderedId(now);
    const { token, secretHash } = newApiKeyToken(id);
    const row = {
      id,
      name: input.name,
      secret_hash: secretHash,
      scopes: input.scopes.join(' '),
      account_id: account.id,
      rate_limit_per_minute: input.rateLimitPerMinute,
      created_by: actor.accountId,
      created_at: now,
      last_used_at: null,
      revoked_at: null,
    };
    await trx.insertInto('api_keys').values(row).execute();
    await recordAudit(
      trx,
      actor,
      {
        action: 'apiKey.create',
        target: { type: 'apiKey', id, label: input.name },
        changes: [
          ...fieldChange('name', null, input.name),
          ...fieldChange('scopes', null, input.scopes),
          ...fieldChange('actsAs', null, account.username),
          ...fieldChange('rateLimitPerMinute', null, input.rateLimitPerMinute),
          changedField('secret'),
        ],
      },
      now,
    );
    return { value: { apiKey: presentApiKey(row, account), token }, events: [] };
  });
}
