/**
 * The visitor's session and conversation list: the two answers the page needs before it can show
 * anything. The page's first script (boot.ts, a few hundred bytes) asks for them while the main
 * script is still downloading; the chat store then takes those answers instead of asking again.
 */
import { ApiError } from '@servicesystem/chat-client';
import type { VisitorConversation } from '@servicesystem/protocol/wire';
import { createSession, listConversations, type VisitorSession } from '../api/rest';
import { safeGet, safeRemove, safeSet } from './storage';

export interface OpenedSession {
  session: Promise<VisitorSession>;
  /** Rejects when the session does; nobody has to wait for it to fail twice. */
  conversations: Promise<VisitorConversation[]>;
}

const tokenKey = (channelId: string) => `servicesystem.visitor.${channelId}`;

/**
 * A session for this channel: with a signed identity when the host gave one, else the visitor a
 * reply mail's link names (`resume`), else the visitor this browser had (its stored token), else
 * a new anonymous visitor; then their conversations. A link that did not work answers the
 * session as without it, marked `resume: 'invalid'`. `language`: what the visitor reads (the
 * robot's suggestions come in it).
 */
export function openSession(
  channelId: string,
  identity: string | null,
  resume: string | null,
  language: string,
): OpenedSession {
  const session = (async () => {
    if (identity) return createSession(channelId, language, identity);
    const stored = safeGet(tokenKey(channelId));
    let opened: VisitorSession;
    try {
      opened = await createSession(
        channelId,
        language,
        undefined,
        stored ?? undefined,
        resume ?? undefined,
      );
    } catch (error) {
      if (!(error instanceof ApiError) || error.code !== 'UNAUTHENTICATED' || !stored) throw error;
      opened = await createSession(channelId, language, undefined, undefined, resume ?? undefined);
    }
    safeSet(tokenKey(channelId), opened.visitorToken);
    return opened;
  })();
  const conversations = session.then((s) => listConversations(s.visitorToken));
  // Handled where it is awaited; this only keeps an early failure from being reported unhandled.
  conversations.catch(() => undefined);
  return { session, conversations };
}

/** The host app logged its user out: this browser's anonymous visitor is not kept either. */
export function forgetVisitor(channelId: string): void {
  safeRemove(tokenKey(channelId));
}

let early: {
  channelId: string;
  identity: string | null;
  resume: string | null;
  language: string;
  opened: OpenedSession;
} | null = null;
let claimed = false;

/** Called by boot.ts: opens the session now, unless the chat store has already begun. */
export function openEarly(
  channelId: string,
  identity: string | null,
  resume: string | null,
  language: string,
): void {
  if (claimed || early) return;
  early = {
    channelId,
    identity,
    resume,
    language,
    opened: openSession(channelId, identity, resume, language),
  };
}

/**
 * The chat store's way in: the early answers when they were asked for the same visitor, once;
 * every later start (a retry, a new identity) asks afresh.
 */
export function takeSession(
  channelId: string,
  identity: string | null,
  resume: string | null,
  language: string,
): OpenedSession {
  claimed = true;
  const taken = early;
  early = null;
  if (
    taken &&
    taken.channelId === channelId &&
    taken.identity === identity &&
    taken.resume === resume &&
    taken.language === language
  ) {
    return taken.opened;
  }
  return openSession(channelId, identity, resume, language);
}
