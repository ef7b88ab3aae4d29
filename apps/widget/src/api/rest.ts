/**
 * The visitor page's REST calls that the page makes before anything else: the session, the
 * conversation list, history pages. Apart from api/client.ts (which holds the socket), so the
 * page's first small script can start them while the rest is still downloading.
 */
import { createHttpClient } from '@servicesystem/chat-client';
import type {
  ConversationRating,
  LeaveMessageRequest,
  Message,
  MessagePage,
  TranscriptRequest,
  VisitorConversation,
  VisitorContextReport,
  VisitorSessionResponse,
} from '@servicesystem/protocol/wire';

/** The answer of POST /api/v1/visitor/session, as the protocol package defines it. */
export type VisitorSession = VisitorSessionResponse;

// Bearer tokens only: the page never sends or receives cookies.
const http = createHttpClient({ credentials: 'omit' });

/**
 * POST /api/v1/visitor/session. `language`: what the visitor reads (see readerLanguage), so the
 * robot's suggestions come in it; only a language tag the server takes is sent.
 */
export function createSession(
  channelId: string,
  language: string,
  identity?: string,
  previousToken?: string,
  resume?: string,
): Promise<VisitorSession> {
  const body: {
    channelId: string;
    identity?: string;
    resume?: string;
    context?: VisitorContextReport;
  } = identity ? { channelId, identity } : resume ? { channelId, resume } : { channelId };
  // A context the server would refuse refuses the whole session: only a plain language tag.
  if (/^[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*$/.test(language)) body.context = { language };
  return http.request<VisitorSession>('POST', '/api/v1/visitor/session', {
    token: previousToken,
    body,
  });
}

/** POST /api/v1/visitor/leave-message: the form shown when nobody can answer. */
export function leaveMessage(
  token: string,
  body: LeaveMessageRequest,
): Promise<{ message: Message; conversation: VisitorConversation }> {
  return http.request('POST', '/api/v1/visitor/leave-message', { token, body });
}

/** POST /api/v1/visitor/conversations/:id/transcript: mail an ended conversation. */
export function emailTranscript(
  token: string,
  conversationId: string,
  body: TranscriptRequest,
): Promise<{ queued: true }> {
  return http.request(
    'POST',
    `/api/v1/visitor/conversations/${encodeURIComponent(conversationId)}/transcript`,
    { token, body },
  );
}

export async function listConversations(token: string): Promise<VisitorConversation[]> {
  const answer = await http.request<{ conversations: VisitorConversation[] }>(
    'GET',
    '/api/v1/visitor/conversations',
    { token },
  );
  return answer.conversations;
}

export function listMessages(
  token: string,
  conversationId: string,
  page: { before?: number; after?: number; limit?: number } = {},
): Promise<MessagePage> {
  return http.request<MessagePage>(
    'GET',
    `/api/v1/conversations/${encodeURIComponent(conversationId)}/messages`,
    { token, query: { before: page.before, after: page.after, limit: page.limit ?? 30 } },
  );
}

/** The visitor rates a conversation that ended (once). */
export async function rateConversation(
  token: string,
  conversationId: string,
  rating: { score: number; comment?: string },
): Promise<ConversationRating> {
  const answer = await http.request<{ rating: ConversationRating }>(
    'POST',
    `/api/v1/conversations/${encodeURIComponent(conversationId)}/rating`,
    { token, body: rating },
  );
  return answer.rating;
}
