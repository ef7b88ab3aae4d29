import type { SearchMatch, SearchResult } from '@servicesystem/protocol';
import type { SearchHit } from '../../db/search/searchIndex.js';
import { containsQuery, queryTerms, queryWords, snippetOf } from '../../db/search/searchTerms.js';
import type { AccountActor, DomainContext } from '../context.js';
import { viewsOf } from '../conversations/conversationViews.js';
import { conversationPolicy } from '../policies.js';
import { presentConversationForConsole } from '../presenters/conversation.js';

/** Index entries read per search: enough for `limit` conversations after checking the text. */
const candidates = 100;

interface Found {
  conversationId: string;
  match: SearchMatch;
}

/**
 * Full-text search over messages, internal notes and visitors' names and external ids. Agents
 * find only the conversations they serve (or served last); administrators every conversation.
 * The index gives candidates, newest first; each is kept only if its text really contains every
 * word of the query. One result per conversation: its newest match.
 */
export async function searchConversations(
  ctx: DomainContext,
  actor: AccountActor,
  query: { q: string; limit: number },
): Promise<SearchResult[]> {
  const words = queryWords(query.q);
  const terms = queryTerms(words);
  if (terms.length === 0) return [];
  const scope = conversationPolicy.listAll(actor) ? {} : { agentId: actor.accountId };
  const hits = await ctx.search.find(ctx.db, terms, scope, candidates);
  const texts = await textsOf(ctx, hits);

  const found: Found[] = [];
  const taken = new Set<string>();
  for (const hit of hits) {
    if (taken.has(hit.conversation_id)) continue;
    const source = texts.get(`${hit.kind}:${hit.ref_id}`);
    if (!source || !containsQuery(source.text, words)) continue;
    taken.add(hit.conversation_id);
    found.push({
      conversationId: hit.conversation_id,
      match: {
        kind: hit.kind,
        messageId: hit.kind === 'message' ? hit.ref_id : null,
        seq: source.seq,
        noteId: hit.kind === 'note' ? hit.ref_id : null,
        createdAt: source.createdAt,
        snippet: snippetOf(source.text, words),
      },
    });
    if (found.length === query.limit) break;
  }
  if (found.length === 0) return [];

  const rows = await ctx.db
    .selectFrom('conversations')
    .selectAll()
    .where(
      'id',
      'in',
      found.map((f) => f.conversationId),
    )
    .execute();
  const views = new Map((await viewsOf(ctx.db, rows)).map((v) => [v.conversation.id, v]));
  const results: SearchResult[] = [];
  for (const { conversationId, match } of found) {
    const view = views.get(conversationId);
    // Checked again against the rule itself: the index's scope is only a way to be fast.
    if (!view || !conversationPolicy.read(actor, view.conversation)) continue;
    results.push({ conversation: presentConversationForConsole(view, ctx.fileUrls), match });
  }
  return results;
}

interface Source {
  text: string;
  seq: number | null;
  createdAt: number;
}

/** The text of every hit (a hit whose message, note or conversation is gone has none). */
async function textsOf(ctx: DomainContext, hits: SearchHit[]): Promise<Map<string, Source>> {
  const ids = (kind: SearchHit['kind']) => [
    ...new Set(hits.filter((h) => h.kind === kind).map((h) => h.ref_id)),
  ];
  const messageIds = ids('message');
  const noteIds = ids('note');
  const conversationIds = ids('visitor');
  const texts = new Map<string, Source>();
  if (messageIds.length > 0) {
    const rows = await ctx.db
      .selectFrom('messages')
      .select(['id', 'seq', 'body', 'created_at'])
      .where('id', 'in', messageIds)
      .execute();
    for (const r of rows) {
      texts.set(`message:${r.id}`, { text: r.body, seq: r.seq, createdAt: Number(r.created_at) });
    }
  }
  if (noteIds.length > 0) {
    const rows = await ctx.db
      .selectFrom('notes')
      .select(['id', 'body', 'created_at'])
      .where('id', 'in', noteIds)
      .execute();
    for (const r of rows) {
      texts.set(`note:${r.id}`, { text: r.body, seq: null, createdAt: Number(r.created_at) });
    }
  }
  if (conversationIds.length > 0) {
    const rows = await ctx.db
      .selectFrom('conversations')
      .innerJoin('visitors', 'visitors.id', 'conversations.visitor_id')
      .select([
        'conversations.id as id',
        'conversations.created_at as created_at',
        'visitors.name as name',
        'visitors.external_id as external_id',
      ])
      .where('conversations.id', 'in', conversationIds)
      .execute();
    for (const r of rows) {
      texts.set(`visitor:${r.id}`, {
        text: r.external_id ? `${r.name} · ${r.external_id}` : r.name,
        seq: null,
        createdAt: Number(r.created_at),
      });
    }
  }
  return texts;
}
