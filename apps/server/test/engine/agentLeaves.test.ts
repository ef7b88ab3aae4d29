import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, type World } from '../support/world.js';

/**
 * An agent who leaves takes nothing with them: disabling an agent or making them an admin hands
 * their conversations at once to another agent by the usual rules, else back to the head of the
 * queue, and the visitors are told.
 */
describe('an agent who leaves', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld();
  });
  afterAll(() => w.close());

  const patch = (id: string, body: object) =>
    w.request('PATCH', `/api/v1/agents/${id}`, { token: w.adminToken, body });

  it('disabled: their conversations go to another online agent, and the visitor is told who', async () => {
    const served = await w.servedConversation({ agentName: 'Leaving Lee' });
    const stays = await w.agent({ displayName: 'Staying Sam', status: 'online' });
    const heard: { body: string; sender: { type: string } }[] = [];
    served.visitorSocket.on('message.created', (p: { message: (typeof heard)[number] }) =>
      heard.push(p.message),
    );
    expect((await patch(served.agent.id, { enabled: false })).status).toBe(200);
    const after = await w.conversation(served.id);
    expect(after.state).toBe('active');
    expect(after.agent?.id).toBe(stays.id);
    await expect.poll(() => heard.some((m) => m.sender.type === 'system')).toBe(true);
    const history = await w.history(w.adminToken, served.id);
    expect(history.messages.at(-1)).toMatchObject({
      sender: { type: 'system' },
      meta: { kind: 'assigned', agentName: 'Staying Sam' },
    });
    await w.setStatus(stays.token, 'offline');
  });

  it('made an admin with nobody else online: their conversations go to the head of the queue', async () => {
    // (The first test's agent was disabled: a new world helper's sole agent would touch it.)
    const agent = await w.agent({ displayName: 'Promoted Pat', status: 'online' });
    const visitor = await w.visitor();
    const servedId = await w.startConversation(visitor.token);
    const served = { id: servedId, agent, visitorSocket: await w.connect(visitor.token) };
    const second = await w.visitor();
    const secondId = await w.startConversation(second.token, 'me too');
    expect((await w.conversation(secondId)).agent?.id).toBe(served.agent.id);
    // Someone already waits: a visitor who arrived when the agent was away.
    await w.setStatus(served.agent.token, 'away');
    const waiting = await w.visitor();
    const waitingId = await w.startConversation(waiting.token, 'anyone?');
    expect((await w.conversation(waitingId)).state).toBe('queued');

    const positions: { position: number }[] = [];
    served.visitorSocket.on('queue.position', (p: { position: number }) => positions.push(p));
    expect((await patch(served.agent.id, { role: 'admin' })).status).toBe(200);

    const [first, other, newer] = await Promise.all([
      w.conversation(served.id),
      w.conversation(secondId),
      w.conversation(waitingId),
    ]);
    expect([first.state, other.state, newer.state]).toEqual(['queued', 'queued', 'queued']);
    expect(first.agent).toBeNull();
    // The ones that were being served come first, oldest first, then the newer arrival.
    expect([first.queuePosition, other.queuePosition, newer.queuePosition]).toEqual([1, 2, 3]);
    await expect.poll(() => positions.at(-1)?.position).toBe(1);
    const history = await w.history(w.adminToken, served.id);
    expect(history.messages.at(-1)).toMatchObject({ meta: { kind: 'queued', position: 1 } });

    // The next agent online takes them in that order.
    const next = await w.agent({ displayName: 'Next Nia', status: 'online', maxConcurrent: 1 });
    expect((await w.conversation(served.id)).agent?.id).toBe(next.id);
    expect((await w.conversation(secondId)).state).toBe('queued');
  });
});
