import { randomUUID } from 'node:crypto';
import type { CreateAgentRequest } from '@servicesystem/protocol';
import { type CreateAgentResponse } from '@servicesystem/protocol';
import type { Kysely } from 'kysely';
import type { z } from 'zod';
import { generatePassword, hashPassword } from '../../auth/passwords.js';
import { isUniqueViolation } from '../../db/errors.js';
import type { Database } from '../../db/schema.js';
import { changedField, recordAudit, type AuditBy } from '../audit/recordAudit.js';
import type { Actor, DomainContext } from '../context.js';
import { AppError } from '../errors.js';
import { accountPolicy, authorize } from '../policies.js';
import { presentAccount } from '../presenters/account.js';

type Input = z.output<typeof CreateAgentRequest>;

/** An admin creates an agent or another admin. Without a password one is generated and
 * answered once. */
export async function createAccount(
  ctx: DomainContext,
  actor: Actor,
  input: Input,
): Promise<CreateAgentResponse> {
  authorize(accountPolicy.manage(actor), 'Only administrators can create accounts');
  return doCreateAccount(ctx, input, actor);
}

/** Creates an account and its audit entry. `cli` or `setup` when no administrator did it. */
export async function doCreateAccount(
  ctx: DomainContext,
  input: Input,
  by: AuditBy,
  /** Bootstrap's open transaction, to write in; otherwise this opens its own. */
  within?: Kysely<Database>,
): Promise<CreateAgentResponse> {
  const generated = input.password === undefined ? generatePassword() : undefined;
  const passwordHash = await hashPassword(input.password ?? generated!);
  const now = ctx.now();
  const row = {
    id: randomUUID(),
    username: input.username,
    display_name: input.displayName,
    avatar_url: input.avatarUrl ?? null,
    role: input.role,
    max_concurrent: input.maxConcurrent ?? null,
    password_hash: passwordHash,
    disabled_at: null,
    status: 'offline' as const,
    offline_since: now,
    // A new agent starts online at their first console login.
    chosen_status: 'online' as const,
    last_assigned_at: null,
    created_at: now,
    updated_at: now,
  };
  const write = async (trx: Kysely<Database>) => {
    await trx.insertInto('accounts').values(row).execute();
    await recordAudit(
      trx,
      by,
      {
        action: 'account.create',
        target: { type: 'account', id: row.id, label: row.username },
        changes: [
          { field: 'username', to: row.username },
          { field: 'displayName', to: row.display_name },
          { field: 'role', to: row.role },
          { field: 'maxConcurrent', to: row.max_concurrent },
          ...(row.avatar_url !== null ? [changedField('avatarUrl')] : []),
          changedField('password'),
        ],
      },
      now,
    );
  };
  try {
    await (within ? write(within) : ctx.transaction(write));
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new AppError('USERNAME_TAKEN', `The username "${input.username}" is already taken`);
    }
    throw error;
  }
  return { agent: presentAccount(row), ...(generated ? { password: generated } : {}) };
}
