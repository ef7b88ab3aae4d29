import type { ApiKeyScope } from '@servicesystem/protocol';
import { readApiKeyToken, sameHash } from '../../auth/apiKeyTokens.js';
import type { AccountsTable } from '../../db/schema.js';
import type { AccountActor, DomainContext } from '../context.js';
import { scopesOf } from './apiKeyRows.js';

/** How often a key's last-used time is written: not on every request. */
const touchEveryMs = 60_000;

export interface ResolvedApiKey {
  /** The account the key acts as. */
  actor: AccountActor;
  account: AccountsTable;
  key: { id: string; scopes: ApiKeyScope[]; rateLimitPerMinute: number };
}

/**
 * Turns an API key token into the account it acts as, with its scopes; undefined when the token
 * is malformed, unknown, wrong, revoked, or its account is disabled. One indexed read per
 * request, so a revocation holds on every node at once.
 */
export async function resolveApiKey(
  ctx: DomainContext,
  token: string,
): Promise<ResolvedApiKey | undefined> {
  const parsed = readApiKeyToken(token);
  if (!parsed) return undefined;
  const row = await ctx.db
    .selectFrom('api_keys')
    .innerJoin('accounts', 'accounts.id', 'api_keys.account_id')
    .selectAll('accounts')
    .select([
      'api_keys.secret_hash as key_secret_hash',
      'api_keys.scopes as key_scopes',
      'api_keys.rate_limit_per_minute as key_rate_limit',
      'api_keys.last_used_at as key_last_used_at',
      'api_keys.revoked_at as key_revoked_at',
    ])
    .where('api_keys.id', '=', parsed.id)
    .executeTakeFirst();
  if (!row) return undefined;
  const {
    key_secret_hash: secretHash,
    key_scopes: scopes,
    key_rate_limit: rateLimit,
    key_last_used_at: lastUsedAt,
    key_revoked_at: revokedAt,
    ...account
  } = row;
  if (!sameHash(secretHash, parsed.secretHash)) return undefined;
  if (revokedAt !== null || account.disabled_at !== null) return undefined;
  const now = ctx.now();
  if (lastUsedAt === null || now - Number(lastUsedAt) >= touchEveryMs) {
    // Conditional, so that nodes racing on the same minute write it once.
    await ctx.db
      .updateTable('api_keys')
      .set({ last_used_at: now })
      .where('id', '=', parsed.id)
      .where((eb) =>
        eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<=', now - touchEveryMs)]),
      )
      .execute();
  }
  return {
    actor: {
      kind: 'account',
      accountId: account.id,
      role: account.role,
      sessionId: `api-key:${parsed.id}`,
      apiKeyId: parsed.id,
    },
    account,
    key: { id: parsed.id, scopes: scopesOf({ scopes }), rateLimitPerMinute: Number(rateLimit) },
  };
}
