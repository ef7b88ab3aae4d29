import type { Account } from '@servicesystem/protocol';
import type { AccountsTable } from '../../db/schema.js';

/** An account as console users see it. Never the password hash. */
export function presentAccount(row: AccountsTable): Account {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    avatarUrl: row.avatar_url,
    role: row.role,
    maxConcurrent: row.max_concurrent,
    enabled: row.disabled_at === null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
