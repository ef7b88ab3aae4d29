import type { Actor } from './context.js';
import { forbidden } from './errors.js';

/**
 * Who may do what, in one place per resource. Routes call the actions; the actions call these.
 * Each rule answers a boolean so that answers can also tell a UI what the user may do.
 */
export const accountPolicy = {
  /** List, create, edit, disable and reset the password of any account. */
  manage: (actor: Actor) => actor.role === 'admin',
  /** Read and edit one's own profile and password. */
  editSelf: (actor: Actor, accountId: string) => actor.accountId === accountId,
};

export const channelPolicy = {
  /** Names and ids, without secrets: every console user needs them to label conversations. */
  list: (actor: Actor) => actor.role === 'admin' || actor.role === 'agent',
  manage: (actor: Actor) => actor.role === 'admin',
  readSecret: (actor: Actor) => actor.role === 'admin',
};

export function authorize(allowed: boolean, message?: string): void {
  if (!allowed) throw forbidden(message);
}
