import { afterEach, beforeEach, expect, it } from 'vitest';
import { applyAgentStatus } from '../../src/domain/agents/setAgentStatus.js';
import { startConversation } from '../../src/domain/conversations/startConversation.js';
import { startLiveApp, type LiveApp } from '../support/liveApp.js';

/**
 * New conversations that share one routing round (a PostgreSQL lock round, a SQLite group commit)
 * keep routing's memo of the agents' loads from one to the next. Any other routing work between
 * them must make the next one read the loads again: here an agent goes away in the middle of a
 * round, and nothing after it in the same round may still go to them.
 */
let app: LiveApp;

beforeEach(async () => {
  app = await startLiveApp();
});

afterEach(async () => {
  await app.close();
});

it('an agent who goes away mid-round gets none of the round’s later conversations', async () => {
  const first = await app.agent({ maxConcurrent: 5, status: 'online' });
  const second = await app.agent({ maxConcurrent: 5, status: 'online' });
  const visitors = await Promise.all(
    [0, 1, 2, 3].map(async () => {
      const { id } = await app.visitor();
      return app.app.ctx.db
        .selectFrom('visitors')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
    }),
  );
  const text = (n: number) => ({
    clientMsgId: `round-${n}`,
    type: 'text' as const,
    body: `hello ${n}`,
  });

  // Hold the routing lock so that what follows gathers behind it into the next round.
  let release!: () => void;
  const held = app.app.ctx.transaction(() => new Promise<void>((resolve) => (release = resolve)), {
    lock: 'routing',
  });
  const [a, b] = [
    startConversation(app.app.ctx, visitors[0]!, text(0)),
    startConversation(app.app.ctx, visitors[1]!, text(1)),
  ];
  const away = applyAgentStatus(app.app.ctx, first.id, 'away');
  const [c, d] = [
    startConversation(app.app.ctx, visitors[2]!, text(2)),
    startConversation(app.app.ctx, visitors[3]!, text(3)),
  ];
  await new Promise((resolve) => setTimeout(resolve, 50));
  release();
  await held;
  const [ra, rb, , rc, rd] = await Promise.all([a, b, away, c, d]);

  // The first two were split between the two agents (fewest active first); after the first one
  // went away, both later ones went to the second, though the first had as few.
  expect(new Set([ra.view.agent?.id, rb.view.agent?.id])).toEqual(new Set([first.id, second.id]));
  expect(rc.view.agent?.id).toBe(second.id);
  expect(rd.view.agent?.id).toBe(second.id);
  const rows = await app.app.ctx.db
    .selectFrom('conversations')
    .select(['agent_id'])
    .where('state', '=', 'active')
    .execute();
  expect(rows.filter((r) => r.agent_id === second.id)).toHaveLength(3);
  expect(rows.filter((r) => r.agent_id === first.id)).toHaveLength(1);
});
