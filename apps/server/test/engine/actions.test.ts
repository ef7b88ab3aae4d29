import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setAgentStatus } from '../../src/domain/agents/setAgentStatus.js';
import type { AccountActor, DomainContext, VisitorActor } from '../../src/domain/context.js';
import { endConversation } from '../../src/domain/conversations/endConversation.js';
import { markRead } from '../../src/domain/conversations/markRead.js';
import { sendMessage } from '../../src/domain/conversations/sendMessage.js';

import { transferConversation } from '../../src/domain/conversations/transferConversation.js';
import type { DomainEvent, Outcome } from '../../src/domain/events.js';
import { fanOut } from '../../src/realtime/fanout.js';
import { serverEventPayloads } from '../support/eventPayloads.js';
import { newClientMsgId } from '../support/liveApp.js';
import { startWorld, type World } from '../support/world.js';

/** Where the actions' visitor sends from (new conversations are counted per address). */
const origin = { ip: '127.0.0.1' };

/**
 * Domain actions called directly: the events each returns (what the runner publishes after
 * commit), the rows it wrote, and every event's payloads as the fan-out shapes them, each
 * checked against its protocol schema (Zulip's verify_action).
 */

let w: World;
let ctx: DomainContext;

beforeAll(async () => {
  w = await startWorld({ VISITOR_MESSAGES_PER_MINUTE: '0' });
  ctx = w.app.app.ctx;
});
afterAll(() => w.close());

const sessionId = 'not-a-real-session';

async function agentActor(displayName: string): Promise<AccountActor> {
  const made = await w.agent({ displayName });
  return { kind: 'account', accountId: made.id, role: 'agent', sessionId };
}

async function visitorActor(): Promise<VisitorActor> {
  const made = await w.visitor();
  return { kind: 'visitor', visitorId: made.id, channelId: w.app.channelId };
}

/** The events' kinds, with the kind of each system message. */
function kinds(events: readonly DomainEvent[]): string[] {
  return events.map((event) =>
    event.type === 'message.created'
      ? `message.created:${event.message.meta?.kind ?? event.message.type}${event.inReply ? ':inReply' : ''}`
      : event.type,
  );
}

/** Every payload the fan-out makes of these events fits its event's schema. */
function expectDeliverable(outcome: Outcome<unknown>): void {
  for (const event of outcome.events) {
    for (const delivery of fanOut(event, ctx.fileUrls)) {
      if (delivery.kind !== 'emit') continue;
      const parsed = serverEventPayloads[delivery.event].safeParse(delivery.payload);
      expect(parsed.success, `${event.type} → ${delivery.event}`).toBe(true);
    }
  }
}

async function storedSeqs(conversationId: string): Promise<number[]> {
  const rows = await ctx.db
    .selectFrom('messages')
    .select('seq')
    .where('conversation_id', '=', conversationId)
    .orderBy('seq')
    .execute();
  return rows.map((row) => row.seq);
}

describe('actions return the events they caused', () => {
  it('a conversation from first message to end', async () => {
    const alice = await agentActor('Alice');
    const bob = await agentActor('Bob');
    const visitor = await visitorActor();
    // Only Alice is online: the new conversation is hers.
    for (const other of await ctx.db
      .selectFrom('accounts')
      .select('id')
      .where('status', '=', 'online')
      .execute()) {
      await ctx.db
        .updateTable('accounts')
        .set({ status: 'away' })
        .where('id', '=', other.id)
        .execute();
    }

    const online = await setAgentStatus(ctx, alice, 'online');
    expect(kinds(online.events)).toEqual(['agent.status']);
    expect(online.events[0]).toMatchObject({ presence: { id: alice.accountId, status: 'online' } });
    expectDeliverable(online);

    const first = await sendMessage(
      ctx,
      visitor,
      {
        clientMsgId: newClientMsgId(),
        type: 'text',
        body: 'Where is my order?',
      },
      origin,
    );
    const conversationId = first.value.conversation.id;
    expect(kinds(first.events)).toEqual([
      'conversation.updated',
      'message.created:welcome',
      'message.created:text:inReply',
      'conversation.updated',
      'message.created:assigned',
      // Nobody else waits: no queue event.
      'agent.status',
    ]);
    const assigned = first.events[4];
    expect(assigned?.type === 'message.created' && assigned.message.meta).toEqual({
      kind: 'assigned',
      agentName: 'Alice',
    });
    expect(first.value).toMatchObject({
      created: true,
      message: { seq: 2, body: 'Where is my order?' },
    });
    expect(await storedSeqs(conversationId)).toEqual([1, 2, 3]);
    expectDeliverable(first);

    // A retry writes nothing and reports nothing.
    const retry = await sendMessage(
      ctx,
      visitor,
      {
        clientMsgId: first.value.message.clientMsgId!,
        type: 'text',
        body: 'Where is my order?',
      },
      origin,
    );
    expect(retry.events).toEqual([]);
    expect(retry.value).toMatchObject({ created: false, message: { id: first.value.message.id } });
    expect(await storedSeqs(conversationId)).toEqual([1, 2, 3]);

    const reply = await sendMessage(
      ctx,
      alice,
      {
        conversationId,
        clientMsgId: newClientMsgId(),
        type: 'text',
        body: 'On its way.',
      },
      origin,
    );
    expect(kinds(reply.events)).toEqual(['message.created:text:inReply']);
    expect(reply.value.message).toMatchObject({
      seq: 4,
      sender: { type: 'agent', id: alice.accountId },
    });
    expectDeliverable(reply);

    const read = await markRead(ctx, visitor, conversationId, 4);
    expect(read.events).toMatchObject([{ type: 'conversation.read', side: 'visitor', seq: 4 }]);
    expect(read.value).toEqual({ seq: 4 });
    // Reading again moves nothing and reports nothing.
    expect((await markRead(ctx, visitor, conversationId, 4)).events).toEqual([]);

    await setAgentStatus(ctx, bob, 'online');
    const moved = await transferConversation(ctx, alice, conversationId, bob.accountId);
    expect(kinds(moved.events)).toEqual([
      'conversation.updated',
      'message.created:transferred',
      'agent.status',
      'agent.status',
    ]);
    expect(moved.events[0]).toMatchObject({ previousAgentId: alice.accountId });
    const note = moved.events[1];
    expect(note?.type === 'message.created' && note.message.meta).toEqual({
      kind: 'transferred',
      fromName: 'Alice',
      toName: 'Bob',
    });
    expect(moved.value).toMatchObject({ state: 'active', agent: { id: bob.accountId } });
    expectDeliverable(moved);

    const ended = await endConversation(ctx, bob, conversationId);
    expect(kinds(ended.events)).toEqual([
      'message.created:ended',
      'conversation.updated',
      'agent.status',
    ]);
    expect(ended.value).toMatchObject({ state: 'ended', lastSeq: 6 });
    expect(await storedSeqs(conversationId)).toEqual([1, 2, 3, 4, 5, 6]);
    expectDeliverable(ended);

    for (const actor of [alice, bob]) await setAgentStatus(ctx, actor, 'away');
  });

  it('a new conversation with nobody online waits in the queue and says where', async () => {
    const visitor = await visitorActor();
    const queued = await sendMessage(
      ctx,
      visitor,
      {
        clientMsgId: newClientMsgId(),
        type: 'text',
        body: 'Anyone there?',
      },
      origin,
    );
    expect(kinds(queued.events)).toEqual([
      'conversation.updated',
      'message.created:welcome',
      'message.created:text:inReply',
      'message.created:queued',
    ]);
    const note = queued.events[3];
    expect(note?.type === 'message.created' && note.message.meta).toEqual({
      kind: 'queued',
      position: 1,
      reason: 'nobodyOnline',
    });
    expect(queued.value.conversation).toMatchObject({ state: 'queued' });
    expectDeliverable(queued);

    // The visitor's next message joins the open conversation: one event, no routing.
    const next = await sendMessage(
      ctx,
      visitor,
      {
        clientMsgId: newClientMsgId(),
        type: 'text',
        body: 'Hello?',
      },
      origin,
    );
    expect(kinds(next.events)).toEqual(['message.created:text:inReply']);
    expect(next.value.conversation.id).toBe(queued.value.conversation.id);
    expectDeliverable(next);
  });

  it('a refused action reports nothing and writes nothing', async () => {
    const stranger = await agentActor('Stranger');
    const visitor = await visitorActor();
    const started = await sendMessage(
      ctx,
      visitor,
      {
        clientMsgId: newClientMsgId(),
        type: 'text',
        body: 'Hi',
      },
      origin,
    );
    const conversationId = started.value.conversation.id;
    const before = await storedSeqs(conversationId);
    await expect(
      sendMessage(
        ctx,
        stranger,
        {
          conversationId,
          clientMsgId: newClientMsgId(),
          type: 'text',
          body: 'Not mine',
        },
        origin,
      ),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(endConversation(ctx, stranger, conversationId)).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(await storedSeqs(conversationId)).toEqual(before);
  });
});
