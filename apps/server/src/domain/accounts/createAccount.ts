import { randomUUID } from 'node:crypto';
import type { CreateAgentRequest } from '@servicesystem/protocol';
import { type CreateAgentResponse } from '@servicesystem/protocol';
import type { z } from 'zod';
import { generatePassword, hashPassword } from '../../auth/passwords.js';
import { isUniqueViolation } from '../../db/errors.js';
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
  return doCreateAccount(ctx, input);
}

/** Creates an account without an actor: for first-run bootstrap and the operator's CLI. */
export async function doCreateAccount(
  ctx: DomainContext,
  input: Input,
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
    last_assigned_at: null,
    created_at: now,
    updated_at: now,
  };
  try {
    await ctx.db.insertInto('accounts').values(row).execute();
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new AppError('USERNAME_TAKEN', `The username "${input.username}" is already taken`);
    }
    throw error;
  }
  return { agent: presentAccount(row), ...(generated ? { password: generated } : {}) };
}
