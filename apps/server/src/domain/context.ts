import type { Kysely } from 'kysely';
import type { FileUrls } from '../auth/fileUrls.js';
import type { LoginThrottle } from '../auth/loginThrottle.js';
import type { MessageRateLimit } from '../auth/messageRateLimit.js';
import type { FfmpegTools } from '../media/mediaTypes.js';
import type { FileStore } from '../storage/fileStore.js';
import type { VisitorTokens } from '../auth/visitorTokens.js';
import type { Engine } from '../db/connect.js';
import type { Database } from '../db/schema.js';
import type { RunWrite } from '../db/writes.js';
import type { SerialGate } from './serialGate.js';

/** What every domain action may use. No transport in here. */
export interface DomainContext {
  db: Kysely<Database>;
  engine: Engine;
  /** Runs a write in a transaction, answering after commit (grouped commits on SQLite). */
  write: RunWrite;
  now(): number;
  sessionIdleMs: number;
  loginThrottle: LoginThrottle;
  /** How fast one visitor may send messages. */
  visitorMessages: MessageRateLimit;
  visitorTokens: VisitorTokens;
  /** Orders this process's routing transactions before they take a database connection. */
  routingGate: SerialGate;
  /** Signs the file URLs that presenters put in messages. */
  fileUrls: FileUrls;
  files: FileStore;
  media: MediaSettings;
}

export interface MediaSettings {
  tools: FfmpegTools;
  maxImagePixels: number;
  maxVideoSeconds: number;
  /** Where uploads and their derived files wait while they are processed. */
  workDir: string;
}

/** A console user (admin or agent) acting through a session. */
export interface AccountActor {
  kind: 'account';
  accountId: string;
  role: 'admin' | 'agent';
  sessionId: string;
}

/** A visitor acting through a visitor token. */
export interface VisitorActor {
  kind: 'visitor';
  visitorId: string;
  channelId: string;
}

export type Actor = AccountActor | VisitorActor;
