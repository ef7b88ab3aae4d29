import type { Kysely } from 'kysely';
import type { FileUrls } from '../auth/fileUrls.js';
import type { AddressLimit, UploadQuota } from '../auth/counters.js';
import type { LoginThrottle } from '../auth/loginThrottle.js';
import type { MessageRateLimit } from '../auth/messageRateLimit.js';
import type { SearchIndex } from '../db/search/searchIndex.js';
import type { FfmpegTools } from '../media/mediaTypes.js';
import type { MediaSlots } from '../media/mediaSlots.js';
import type { FileStore } from '../storage/fileStore.js';
import type { VisitorTokens } from '../auth/visitorTokens.js';
import type { ResumeTokens } from '../auth/resumeTokens.js';
import type { TranscriptLimit } from '../auth/transcriptLimit.js';
import type { MessageStore } from '../db/messages/messageStore.js';
import type { Database } from '../db/schema.js';
import type { Transaction } from '../db/transactions.js';
import type { ReadReportState } from '../db/reportState.js';
import type { WebhookDirectory } from './webhooks/webhookDirectory.js';
import type { RobotKnowledge } from './robot/knowledge.js';
import type { RobotModel } from './robot/model/robotModel.js';

/** What every domain action may use. No transport in here. */
export interface DomainContext {
  /** For reads outside any write. Inside a write, use the handle the write was given. */
  db: Kysely<Database>;
  /** The one way to write: `ctx.transaction(work, { lock, singleStatement })` answers after
   * commit (db/transactions.ts). */
  transaction: Transaction;
  /** Appending, reading and paging messages, whatever the engine (db/messages/). */
  messages: MessageStore;
  /** The full-text index, whatever the engine (db/search/). Messages are indexed by `messages`. */
  search: SearchIndex;
  now(): number;
  sessionIdleMs: number;
  loginThrottle: LoginThrottle;
  /** New visitor sessions per client address a minute. */
  visitorSessionLimit: AddressLimit;
  /** New conversations per client address a minute (CONVERSATIONS_PER_ADDRESS_PER_MINUTE). */
  conversationLimit: AddressLimit;
  /** Files per 10 minutes and bytes per day per uploader. */
  uploadQuota: UploadQuota;
  /** How fast one visitor may send messages. */
  visitorSendLimit: MessageRateLimit;
  visitorTokens: VisitorTokens;
  /** Signs the file URLs that presenters put in messages. */
  fileUrls: FileUrls;
  files: FileStore;
  media: MediaSettings;
  mail: MailSettings;
  /** The links in reply mails back into a conversation. */
  resumeTokens: ResumeTokens;
  /** Transcript mails per visitor and per address an hour. */
  transcriptLimit: TranscriptLimit;
  /** Report roll-ups: the configured zone (REPORT_TIME_ZONE) and how to read their state. */
  reports: { timeZone: string; readState: ReadReportState };
  /** The registered webhook endpoints, held in memory (domain/webhooks). */
  webhooks: WebhookDirectory;
  /** Each channel's robot knowledge (FAQ entries, saved replies for the robot), indexed and
   * held briefly in memory (domain/robot). */
  robotKnowledge: RobotKnowledge;
  /** The language model behind the robot, or null when none is configured (LLM_*). */
  robotModel: RobotModel | null;
}

/** Outgoing mail, as the domain sees it: whether there is any, and how it is written. */
export interface MailSettings {
  /** SMTP_URL and MAIL_FROM are set: replies to left messages and transcripts go by mail. */
  enabled: boolean;
  /** A reply mail waits this long for the agent's further messages (MAIL_REPLY_DELAY_SECONDS). */
  replyDelayMs: number;
  /** PUBLIC_URL: where a mail's link leads. */
  publicUrl: string;
  /** The right-hand side of every Message-ID (PUBLIC_URL's host). */
  messageIdDomain: string;
}

export interface MediaSettings {
  tools: FfmpegTools;
  maxImagePixels: number;
  maxVideoSeconds: number;
  /** How many media jobs run at once on this node, and how many may wait. */
  slots: MediaSlots;
  /** Where uploads and their derived files wait while they are processed. */
  workDir: string;
}

/** A console user (admin or agent) acting through a session. */
export interface AccountActor {
  kind: 'account';
  accountId: string;
  role: 'admin' | 'agent';
  sessionId: string;
  /** Set when the account acts through an API key (REST only): the key's id, for the audit. */
  apiKeyId?: string;
}

/** A visitor acting through a visitor token. */
export interface VisitorActor {
  kind: 'visitor';
  visitorId: string;
  channelId: string;
}

export type Actor = AccountActor | VisitorActor;
