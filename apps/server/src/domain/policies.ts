import type { ConversationsTable, FilesTable, SavedRepliesTable } from '../db/schema.js';
import type { AccountActor, Actor, VisitorActor } from './context.js';
import { AppError, forbidden } from './errors.js';

/**
 * Who may do what, in one place. Two layers:
 * - which callers may use a route or socket event at all (`callers`, `authorizeCaller`): routes
 *   and socket handlers ask before they read the body, so a refused caller learns nothing from
 *   validation;
 * - per resource, what an actor may do with one object: the actions ask. Each rule answers a
 *   boolean so that answers can also tell a UI what the user may do.
 * Transports only establish who is calling (http/authenticate.ts, the socket handshake).
 */

export type Role = 'visitor' | 'agent' | 'admin';

export const roleOf = (actor: Actor): Role => (actor.kind === 'visitor' ? 'visitor' : actor.role);

/** Who may call a route or socket event at all. The actions then check each object. */
export const callers = {
  /** A visitor or any console user. */
  anyone: ['visitor', 'agent', 'admin'],
  visitors: ['visitor'],
  /** Agents and admins. */
  console: ['agent', 'admin'],
  /** Those who write in a conversation: its visitor and its agent (admins only watch). */
  participants: ['visitor', 'agent'],
  /** Serving visitors: agents only (admins are never routed). */
  agents: ['agent'],
  admins: ['admin'],
} as const satisfies Record<string, readonly Role[]>;

/** The actor type a set of roles narrows to. */
export type ActorIn<R extends Role> = [R] extends ['visitor']
  ? VisitorActor
  : [Extract<R, 'visitor'>] extends [never]
    ? AccountActor
    : Actor;

/**
 * Refuses a caller whose role may not call this at all. Nobody, or a credential of the wrong kind
 * on a request (a visitor token on a console route, a console session on a visitor route), is
 * UNAUTHENTICATED: another credential is needed. A connection already authenticated (a socket)
 * of the wrong kind, or a console user of the wrong role, is FORBIDDEN.
 */
export function authorizeCaller<R extends Role>(
  actor: Actor | undefined,
  roles: readonly R[],
  via: 'request' | 'socket' = 'request',
): ActorIn<R> {
  const allowed = roles as readonly Role[];
  const needsVisitor = allowed.includes('visitor');
  const needsConsole = allowed.includes('agent') || allowed.includes('admin');
  const credentialNeeded = needsVisitor
    ? needsConsole
      ? 'This needs a visitor token or a console session'
      : 'This needs a visitor token (POST /api/v1/visitor/session)'
    : 'Log in first: this needs a console session';
  if (!actor) throw new AppError('UNAUTHENTICATED', credentialNeeded);
  const role = roleOf(actor);
  if (allowed.includes(role)) return actor as ActorIn<R>;
  if (role === 'visitor' && via === 'socket') {
    throw new AppError('FORBIDDEN', 'Visitors cannot do this');
  }
  // A console socket is signed in: another credential would not help (visitor-only events).
  if (!needsConsole && via === 'socket') {
    throw new AppError('FORBIDDEN', 'Only visitors can do this');
  }
  if (role === 'visitor' || !needsConsole) throw new AppError('UNAUTHENTICATED', credentialNeeded);
  throw new AppError(
    'FORBIDDEN',
    role === 'admin'
      ? 'Administrators watch conversations but do not serve visitors'
      : 'Only administrators can do this',
  );
}

const isAdmin = (actor: Actor) => actor.kind === 'account' && actor.role === 'admin';
const isAgent = (actor: Actor) => actor.kind === 'account' && actor.role === 'agent';
const isConsoleUser = (actor: Actor) => actor.kind === 'account';

export const accountPolicy = {
  /** List, create, edit, disable and reset the password of any account. */
  manage: isAdmin,
  /** Read and edit one's own profile and password. */
  editSelf: (actor: Actor, accountId: string) =>
    actor.kind === 'account' && actor.accountId === accountId,
  /** Set one's own online / away / offline status: agents only (admins are never routed). */
  setOwnStatus: isAgent,
  /** See every agent's status and load (transfer lists, dashboard). */
  listPresence: isConsoleUser,
};

export const channelPolicy = {
  /** Names and ids, without secrets: every console user needs them to label conversations. */
  list: isConsoleUser,
  manage: isAdmin,
  readSecret: isAdmin,
};

export const webhookPolicy = {
  /** Register, change, delete and test webhooks, read their deliveries and secrets. */
  manage: isAdmin,
};

export const labelPolicy = {
  /** Every console user reads the labels (to show and choose them). */
  list: isConsoleUser,
  /** Define, rename, recolour and delete labels. */
  manage: isAdmin,
};

export const privacyPolicy = {
  /** Find visitors, export what is held about them, erase them. */
  manage: isAdmin,
};

export const auditPolicy = {
  /** The log of administrators' actions. */
  read: isAdmin,
};

type SavedReplyOwner = Pick<SavedRepliesTable, 'owner_id'>;

const ownsReply = (actor: Actor, r: SavedReplyOwner) =>
  actor.kind === 'account' && r.owner_id !== null && r.owner_id === actor.accountId;

export const savedReplyPolicy = {
  /** One's own personal replies and the shared ones. */
  list: isConsoleUser,
  /** A shared reply: every console user. A personal one: its owner only (to anyone else it does
   * not exist). */
  see: (actor: Actor, r: SavedReplyOwner) =>
    r.owner_id === null ? isConsoleUser(actor) : ownsReply(actor, r),
  /** Shared replies are the administrators'; personal ones anyone's in the console. */
  create: (actor: Actor, scope: 'shared' | 'personal') =>
    scope === 'shared' ? isAdmin(actor) : isConsoleUser(actor),
  /** Edit or delete: administrators the shared replies, an owner their personal ones. */
  manage: (actor: Actor, r: SavedReplyOwner) =>
    r.owner_id === null ? isAdmin(actor) : ownsReply(actor, r),
};

type Conv = Pick<ConversationsTable, 'visitor_id' | 'agent_id' | 'state'>;

const ownsAsVisitor = (actor: Actor, c: Conv) =>
  actor.kind === 'visitor' && actor.visitorId === c.visitor_id;
const assignedAgent = (actor: Actor, c: Conv) =>
  isAgent(actor) && actor.kind === 'account' && c.agent_id === actor.accountId;

export const conversationPolicy = {
  /** Its visitor, its assigned agent (also once ended), and admins; any agent while it waits in
   * the queue (the shared `unassigned` view). */
  read: (actor: Actor, c: Conv) =>
    ownsAsVisitor(actor, c) ||
    assignedAgent(actor, c) ||
    isAdmin(actor) ||
    (isAgent(actor) && c.state === 'queued'),
  /** Agents write only in their active conversations; admins watch but never serve. */
  sendAsAgent: (actor: Actor, c: Conv) => assignedAgent(actor, c) && c.state === 'active',
  /** Read receipts and typing: the two participants. */
  participate: (actor: Actor, c: Conv) => ownsAsVisitor(actor, c) || assignedAgent(actor, c),
  end: (actor: Actor, c: Conv) => assignedAgent(actor, c) || isAdmin(actor),
  transfer: (actor: Actor, c: Conv) => assignedAgent(actor, c) || isAdmin(actor),
  /** Hand a queued conversation to an agent by hand. */
  assign: isAdmin,
  /** Every conversation, any agent's list. */
  listAll: isAdmin,
  /** The queue (the `unassigned` view): every console user. */
  listQueue: isConsoleUser,
  /** Put labels on it and take them off: the agent serving it (also once ended), and admins. */
  label: (actor: Actor, c: Conv) => assignedAgent(actor, c) || isAdmin(actor),
  /** Hide it until a time or until the visitor writes, and bring it back: the agent serving it,
   * while it is active. */
  snooze: (actor: Actor, c: Conv) => assignedAgent(actor, c) && c.state === 'active',
  /** Rate it (satisfaction): its visitor only; the action checks that it ended. */
  rate: ownsAsVisitor,
  /** Have its transcript mailed: its own visitor only. */
  mailTranscript: (actor: Actor, c: Conv) => ownsAsVisitor(actor, c),
};

export const notePolicy = {
  /** Internal notes: the conversation's agent (also once ended) and admins; never its visitor. */
  read: (actor: Actor, c: Conv) => assignedAgent(actor, c) || isAdmin(actor),
  /** Admins may note too (they never write messages); agents in the conversations they serve. */
  write: (actor: Actor, c: Conv) => assignedAgent(actor, c) || isAdmin(actor),
};

type FileOwner = Pick<FilesTable, 'owner_type' | 'owner_id' | 'published_at'>;

const uploaded = (actor: Actor, f: FileOwner) =>
  actor.kind === 'visitor'
    ? f.owner_type === 'visitor' && f.owner_id === actor.visitorId
    : f.owner_type === 'account' && f.owner_id === actor.accountId;

export const filePolicy = {
  /** Upload: any visitor or console user; anonymous callers never. */
  upload: (actor: Actor | undefined) => actor !== undefined,
  /** Only the uploader attaches a file to a message or makes it their avatar. */
  attach: uploaded,
  /** Read without a signed URL: the uploader, admins, anyone for a published avatar's thumbnail.
   * Participants of a conversation the file was sent in also may: the caller checks that. */
  readDirectly: (actor: Actor | undefined, f: FileOwner, variant: 'original' | 'preview') =>
    (f.published_at !== null && variant === 'preview') ||
    (actor !== undefined && (uploaded(actor, f) || isAdmin(actor))),
};

export function authorize(allowed: boolean, message?: string): void {
  if (!allowed) throw forbidden(message);
}

export const apiKeyPolicy = {
  /** Create, list, change and revoke API keys: administrators, from a console session (a key
   * never makes or changes keys, whatever its scopes). */
  manage: (actor: Actor) => isAdmin(actor) && actor.kind === 'account' && !actor.apiKeyId,
};
