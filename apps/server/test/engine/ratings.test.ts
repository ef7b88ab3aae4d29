import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ChannelResponse,
  Conversation,
  ConversationListResponse,
  RatingResponse,
  ServerEvent,
  VisitorConversationListResponse,
  VisitorSessionResponse,
} from '@servicesystem/protocol';
import { bodyOf, errorOf, startWorld, waitFor, type World } from '../support/world.js';

/**
 * Satisfaction ratings: once a conversation has ended, its visitor rates it once (1 to 5 and
 * perhaps a comment); the agent and admins see it on the conversation, live. Nobody else rates
 * it, an open conversation is not rated, a second answer is refused, and a channel can stop
 * asking.
 */
describe('satisfaction ratings', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld();
  });
  afterAll(() => w.close());

  const rate = (token: string, id: string, body: unknown) =>
    w.request('POST', `/api/v1/conversations/${id}/rating`, { token, body });
  const end = async (id: string, token: string) => {
    const answer = await w.request('POST', `/api/v1/conversations/${id}/end`, { token });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  };
  const ratingRows = (id: string) =>
    w.app.app.ctx.db
      .selectFrom('conversation_ratings')
      .select(['score', 'comment'])
      .where('conversation_id', '=', id)
      .execute();

  it('its visitor rates an ended conversation once; the agent and admins see it live', async () => {
    const served = await w.servedConversation({ agentName: 'Rated Rita' });
    const outsider = await w.visitor();

    // Still open: refused with its own code; nothing stored.
    const early = await rate(served.visitor.token, served.id, { score: 5 });
    expect(early.status).toBe(409);
    expect(errorOf(early).code).toBe('CONVERSATION_NOT_ENDED');

    await end(served.id, served.agent.token);
    const adminSocket = await w.connect(w.adminToken);

    // Someone else's conversation, a console session, nobody: refused.
    const other = await rate(outsider.token, served.id, { score: 1 });
    expect([other.status, errorOf(other).code]).toEqual([403, 'FORBIDDEN']);
    const byAgent = await rate(served.agent.token, served.id, { score: 5 });
    expect([byAgent.status, errorOf(byAgent).code]).toEqual([401, 'UNAUTHENTICATED']);
    expect((await rate('', served.id, { score: 5 })).status).toBe(401);
    const missing = await rate(served.visitor.token, 'no-such-conversation', { score: 5 });
    expect([missing.status, errorOf(missing).code]).toEqual([404, 'NOT_FOUND']);
    expect(await ratingRows(served.id)).toEqual([]);

    const seenByAgent = waitFor(
      served.agentSocket,
      ServerEvent.ConversationUpdated,
      (p) => p.conversation.id === served.id && !!p.conversation.rating,
    );
    const seenByAdmin = waitFor(
      adminSocket,
      ServerEvent.ConversationUpdated,
      (p) => p.conversation.id === served.id && !!p.conversation.rating,
    );
    const answer = await rate(served.visitor.token, served.id, {
      score: 4,
      comment: '  Quick and <b>kind</b>\u0007  ',
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    const { rating } = bodyOf(answer, RatingResponse);
    expect(rating).toMatchObject({ score: 4, comment: 'Quick and <b>kind</b>' });

    // Live, in the console shape, to the agent who served it and to admins.
    const live = await seenByAgent;
    expect(Conversation.parse(live.conversation).rating).toEqual(rating);
    expect((await seenByAdmin).conversation.rating).toEqual(rating);

    // One row; the conversation as the console and the visitor read it carries the rating.
    expect(await ratingRows(served.id)).toEqual([
      expect.objectContaining({ score: 4, comment: 'Quick and <b>kind</b>' }),
    ]);
    expect((await w.conversation(served.id)).rating).toEqual(rating);
    expect((await w.conversation(served.id, served.agent.token)).rating).toEqual(rating);
    const ended = await w.request(
      'GET',
      `/api/v1/conversations?agentId=${served.agent.id}&state=ended`,
      { token: served.agent.token },
    );
    const listed = bodyOf(ended, ConversationListResponse).conversations;
    expect(listed.find((c) => c.id === served.id)?.rating).toEqual(rating);
    const mine = await w.request('GET', '/api/v1/visitor/conversations', {
      token: served.visitor.token,
    });
    const own = bodyOf(mine, VisitorConversationListResponse).conversations;
    expect(own.find((c) => c.id === served.id)?.rating).toEqual(rating);

    // A second answer is refused, and the first stays.
    const again = await rate(served.visitor.token, served.id, { score: 1, comment: 'changed' });
    expect([again.status, errorOf(again).code]).toEqual([409, 'ALREADY_RATED']);
    expect(await ratingRows(served.id)).toEqual([
      expect.objectContaining({ score: 4, comment: 'Quick and <b>kind</b>' }),
    ]);
  });

  it('an unrated conversation reads as unrated; two answers at once store one', async () => {
    const served = await w.servedConversation();
    await end(served.id, served.agent.token);
    expect((await w.conversation(served.id)).rating).toBeNull();
    const answers = await Promise.all([
      rate(served.visitor.token, served.id, { score: 2 }),
      rate(served.visitor.token, served.id, { score: 5 }),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409]);
    const rows = await ratingRows(served.id);
    expect(rows).toHaveLength(1);
    const winner = answers.find((a) => a.status === 201)!;
    expect(rows[0]).toMatchObject({
      score: bodyOf(winner, RatingResponse).rating.score,
      comment: null,
    });
  });

  it('refuses scores outside 1 to 5 and long comments, with the field named', async () => {
    const served = await w.servedConversation();
    await end(served.id, served.agent.token);
    for (const body of [
      {},
      { score: 0 },
      { score: 6 },
      { score: 4.5 },
      { score: '5' },
      { score: 5, comment: 'x'.repeat(501) },
      { score: 5, extra: true },
    ]) {
      const answer = await rate(served.visitor.token, served.id, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(errorOf(answer).code).toBe('VALIDATION_FAILED');
    }
    expect(await ratingRows(served.id)).toEqual([]);
    // 500 characters is the limit, and a blank comment is none.
    const longest = await rate(served.visitor.token, served.id, {
      score: 5,
      comment: 'y'.repeat(500),
    });
    expect(longest.status).toBe(201);
    const blank = await w.servedConversation();
    await end(blank.id, blank.agent.token);
    const answer = await rate(blank.visitor.token, blank.id, { score: 3, comment: '   ' });
    expect(bodyOf(answer, RatingResponse).rating.comment).toBeNull();
  });

  it('a channel that does not ask refuses ratings, and its visitor page is told not to ask', async () => {
    const channelId = w.app.channelId;
    const off = await w.request('PATCH', `/api/v1/channels/${channelId}`, {
      token: w.adminToken,
      body: { ratingEnabled: false },
    });
    expect(bodyOf(off, ChannelResponse).channel.ratingEnabled).toBe(false);
    try {
      const session = await w.request('POST', '/api/v1/visitor/session', { body: { channelId } });
      expect(bodyOf(session, VisitorSessionResponse).channel.ratingEnabled).toBe(false);
      const served = await w.servedConversation();
      await end(served.id, served.agent.token);
      const refused = await rate(served.visitor.token, served.id, { score: 5 });
      expect([refused.status, errorOf(refused).code]).toEqual([409, 'RATING_OFF']);
      expect(await ratingRows(served.id)).toEqual([]);
    } finally {
      await w.request('PATCH', `/api/v1/channels/${channelId}`, {
        token: w.adminToken,
        body: { ratingEnabled: true },
      });
    }
    const session = await w.request('POST', '/api/v1/visitor/session', { body: { channelId } });
    expect(bodyOf(session, VisitorSessionResponse).channel.ratingEnabled).toBe(true);
  });
});
