import type { Kysely } from 'kysely';
import type { LoginThrottle } from '../auth/loginThrottle.js';
import type { Engine } from '../db/connect.js';
import type { Database } from '../db/schema.js';

/** What every domain action may use. No transport in here. */
export interface DomainContext {
  db: Kysely<Database>;
  engine: Engine;
  now(): number;
  sessionIdleMs: number;
  loginThrottle: LoginThrottle;
}

/** Who is acting. Visitors join this union with the conversation engine. */
export interface AccountActor {
  kind: 'account';
  accountId: string;
  role: 'admin' | 'agent';
  sessionId: string;
}

export type Actor = AccountActor;
