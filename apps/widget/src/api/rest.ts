/**
 * The visitor page's REST calls that the page makes before anything else: the session, the
 * conversation list, history pages. Apart from api/client.ts (which holds the socket), so the
 * page's first small script can start them while the rest is still downloading.
 */
import { createHttpClient } from '@servicesystem/chat-client';
import type {
  ConversationRating,
  MessagePage,
  VisitorConversation,
  VisitorSessionResponse,
} from '@servicesystem/protocol/wire';

/** The answer of POST /api/v1/visitor/session, as the protocol package defines it. */
export type VisitorSession = VisitorSessionResponse;

// Bearer tokens only: the page never sends or receives cookies.
const http = createHttpClient({ credentials: 'omit' });

export function createSession(
  channelId: string,
  identity?: string,
  previousToken?: string,
): Promise<VisitorSession> {
  return http.request<VisitorSession>('POST', '/api/v1/visitor/session', {
    token: previousToken,
    body: identity ? { channelId, identity } : { channelId },
  });
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
