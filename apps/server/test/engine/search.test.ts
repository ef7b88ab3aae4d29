import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SearchResponse, type SearchResult } from '@servicesystem/protocol';
import { createSearchIndex } from '../../src/db/search/searchIndex.js';
import { queryTerms, queryWords } from '../../src/db/search/searchTerms.js';
import { newClientMsgId, startLiveApp, type LiveApp } from '../support/liveApp.js';

/**
 * Full-text search over messages, notes and visitors, Chinese included: substring matches (two
 * Chinese characters and up; three letters or digits and up), every word required, newest first,
 * highlighted; agents find only their own conversations, admins all.
 */
describe('search', () => {
  let t: LiveApp;
  let X: Awaited<ReturnType<LiveApp['agent']>>;
  let Y: Awaited<ReturnType<LiveApp['agent']>>;
  let mine: string;
  let theirs: string;
  let visitorName: string;

  const search = async (token: string | undefined, q: string, extra = '') => {
    const answer = await t.request(
      'GET',
      `/api/v1/search?q=${encodeURIComponent(q)}${extra}`,
      token ? { token } : {},
    );
    return answer;
  };
  const found = async (token: string, q: string): Promise<SearchResult[]> => {
    const answer = await search(token, q);
    expect(answer.status).toBe(200);
    return SearchResponse.parse(answer.body).results;
  };
  const ids = (results: SearchResult[]) => results.map((r) => r.conversation.id);
  const say = (token: string, body: string) =>
    t.request('POST', '/api/v1/visitor/messages', {
      token,
      body: { clientMsgId: newClientMsgId(), type: 'text', body },
    });

  beforeAll(async () => {
    t = await startLiveApp();
    X = await t.agent({ status: 'online', displayName: 'Xavier' });
    const a = await t.visitor();
    visitorName = a.name;
    const first = await say(a.token, '我想申请退款，订单号 A12345');
    mine = first.body.conversation.id as string;
    await t.request('POST', `/api/v1/conversations/${mine}/messages`, {
      token: X.token,
      body: { clientMsgId: newClientMsgId(), type: 'text', body: 'Your REFUND is on its way' },
    });
    await t.request('POST', `/api/v1/conversations/${mine}/notes`, {
      token: X.token,
      body: { clientNoteId: newClientMsgId(), body: '客户很着急，优先处理' },
    });
    await t.setStatus(X.token, 'away');
    Y = await t.agent({ status: 'online', displayName: 'Yvonne' });
    const b = await t.visitor();
    theirs = (await say(b.token, '退款怎么操作？')).body.conversation.id as string;
  });
  afterAll(() => t.close());

  it('finds two Chinese characters inside a sentence, in the agent’s own conversations only', async () => {
    const results = await found(X.token, '退款');
    expect(ids(results)).toEqual([mine]);
    const [result] = results;
    expect(result!.match).toMatchObject({ kind: 'message', seq: 2, noteId: null });
    const { text, highlights } = result!.match.snippet;
    expect(highlights).toHaveLength(1);
    expect(text.slice(highlights[0]![0], highlights[0]![1])).toBe('退款');
    expect(ids(await found(Y.token, '退款'))).toEqual([theirs]);
    // Admins: every conversation, newest match first.
    expect(ids(await found(t.adminToken, '退款'))).toEqual([theirs, mine]);
  });

  it('matches parts of words and numbers, any case, every word required', async () => {
    expect(ids(await found(X.token, '1234'))).toEqual([mine]);
    expect(ids(await found(X.token, 'a12345'))).toEqual([mine]);
    const both = await found(X.token, 'refund WAY');
    expect(ids(both)).toEqual([mine]);
    expect(both[0]!.match.seq).toBe(4);
    const snippet = both[0]!.match.snippet;
    expect(snippet.highlights.map(([s, e]) => snippet.text.slice(s, e))).toEqual(['REFUND', 'way']);
    expect(await found(X.token, 'refund nowhere')).toEqual([]);
    // Punctuation ends a run: “款，订” is not “款订”.
    expect(await found(X.token, '款订')).toEqual([]);
    expect(await found(X.token, '订单号')).toHaveLength(1);
  });

  it('finds internal notes for those who may read them, never for others', async () => {
    const results = await found(X.token, '着急');
    expect(ids(results)).toEqual([mine]);
    expect(results[0]!.match.kind).toBe('note');
    expect(results[0]!.match.noteId).toEqual(expect.any(String));
    expect(await found(Y.token, '着急')).toEqual([]);
    expect(ids(await found(t.adminToken, '着急'))).toEqual([mine]);
  });

  it('finds a conversation by its visitor’s name', async () => {
    const digits = visitorName.replace(/\D/g, '');
    const results = await found(X.token, digits);
    expect(ids(results)).toContain(mine);
    expect(results.find((r) => r.conversation.id === mine)!.match.kind).toBe('visitor');
  });

  it('finds what was just sent, and follows a transfer', async () => {
    const late = await t.visitor();
    const id = (await say(late.token, 'где мой заказ 98765')).body.conversation.id as string;
    expect(ids(await found(Y.token, '98765'))).toEqual([id]);
    expect(ids(await found(Y.token, 'заказ'))).toEqual([id]);
    await t.setStatus(X.token, 'online');
    const moved = await t.request('POST', `/api/v1/conversations/${id}/transfer`, {
      token: Y.token,
      body: { agentId: X.id },
    });
    expect(moved.status).toBe(200);
    expect(await found(Y.token, '98765')).toEqual([]);
    expect(ids(await found(X.token, '98765'))).toEqual([id]);
  });

  it('finds the same whether matches are among the newest entries or older (PostgreSQL: two steps)', async () => {
    const ctx = t.app.ctx;
    const terms = queryTerms(queryWords('退款'));
    const all = await ctx.search.find(ctx.db, terms, {}, 50);
    expect(all.length).toBeGreaterThanOrEqual(2);
    for (const recentWindow of [1, 2, 3]) {
      const narrow = createSearchIndex(t.app.db.engine, { recentWindow });
      const found = await narrow.find(ctx.db, terms, {}, 50);
      expect(found.map((h) => h.ref_id)).toEqual(all.map((h) => h.ref_id));
      const scoped = await narrow.find(ctx.db, terms, { agentId: X.id }, 50);
      expect(scoped.map((h) => h.conversation_id)).toEqual([mine]);
    }
  });

  it('refuses bad queries and callers clearly', async () => {
    for (const q of ['', ' ', 'a', 'x'.repeat(101), 'a\u0000b']) {
      const answer = await search(X.token, q);
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe('VALIDATION_FAILED');
    }
    for (const extra of ['&limit=0', '&limit=51', '&limit=x', '&agentId=me']) {
      expect((await search(X.token, '退款', extra)).status).toBe(400);
    }
    expect((await search(undefined, '退款')).status).toBe(401);
    const visitor = await t.visitor();
    expect((await search(visitor.token, '退款')).status).toBe(401);
    // Nothing to look up (no letters or digits): an empty answer, not an error.
    expect(await found(X.token, '?!')).toEqual([]);
    expect((await found(t.adminToken, '退款')).length).toBeLessThanOrEqual(20);
    const limited = await search(t.adminToken, '退款', '&limit=1');
    expect(SearchResponse.parse(limited.body).results).toHaveLength(1);
  });
});
