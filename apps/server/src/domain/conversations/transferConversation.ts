import type { Conversation } from '@servicesystem/protocol';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { AccountActor, DomainContext } from '../context.js';
import { AppError } from '../errors.js';
import type { DomainEvent, Outcome } from '../events.js';
import { authorize, conversationPolicy } from '../policies.js';
import { presentConversationForConsole } from '../presenters/conversation.js';
import {
  announceQueuePositions,
  assignToAgent,
  drainQueue,
  agentStatusChanged,
} from '../routing.js';
import { appendSystemMessage } from './systemMessages.js';
import { findConversationOrThrow, viewOf } from './conversationViews.js';
import { recordWebhookEvents } from '../webhooks/recordWebhookEvents.js';
import { leaveRobot } from '../robot/handOff.js';

async function targetAgent(trx: Kysely<Database>, agentId: string) {
  const agent = await trx
    .selectFrom('accounts')
    .selectAll()
    .where('id', '=', agentId)
    .executeTakeFirst();
  if (!agent || agent.role !== 'agent' || agent.disabled_at !== null) {
    throw new AppError('AGENT_UNAVAILABLE', 'That agent does not exist or is disabled');
  }
  return agent;
}

async function activeCount(trx: Kysely<Database>, agentId: string): Promise<number> {
  const row = await trx
    .selectFrom('conversations')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('agent_id', '=', agentId)
    .where('state', '=', 'active')
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/**
 * The assigned agent or an admin moves an active conversation to another agent. An agent can
 * hand over only to an agent who is not offline and below their cap; an admin may exceed the
 * cap. Both agents and the visitor see a system message.
 */
export async function transferConversation(
  ctx: DomainContext,
  actor: AccountActor,
  conversationId: string,
  toAgentId: string,
): Promise<Outcome<Conversation>> {
  return ctx.transaction(
    async (trx) => {
      const conversation = await findConversationOrThrow(trx, conversationId);
      authorize(
        conversationPolicy.transfer(actor, conversation),
        'Only the assigned agent or an admin can transfer this conversation',
      );
      if (conversation.state !== 'active') {
        throw new AppError('INVALID_STATE', 'Only an active conversation can be transferred');
      }
      if (conversation.agent_id === toAgentId) {
        throw new AppError('INVALID_STATE', 'The conversation is already with that agent');
      }
      const target = await targetAgent(trx, toAgentId);
      if (actor.role !== 'admin') {
        if (target.status === 'offline') {
          throw new AppError('AGENT_UNAVAILABLE', `${target.display_name} is offline`);
        }
        if (
          target.max_concurrent !== null &&
          (await activeCount(trx, target.id)) >= target.max_concurrent
        ) {
          throw new AppError('AGENT_UNAVAILABLE', `${target.display_name} is at their limit`);
        }
      }
      const from = conversation.agent_id
        ? await trx
            .selectFrom('accounts')
            .select('display_name')
            .where('id', '=', conversation.agent_id)
            .executeTakeFirst()
        : undefined;
      const now = ctx.now();
      await trx
        .updateTable('conversations')
        // A snooze was the previous agent's: the new one sees it at once.
        .set({ agent_id: target.id, assigned_at: now, snoozed_at: null, snoozed_until: null })
        .where('id', '=', conversationId)
        .execute();
      const message = await appendSystemMessage(ctx, trx, now, conversationId, {
        kind: 'transferred',
        fromName: from?.display_name ?? null,
        toName: target.display_name,
      });
      const view = await viewOf(trx, conversationId);
      const events: DomainEvent[] = [
        {
          type: 'conversation.updated',
          view,
          ...(conversation.agent_id ? { previousAgentId: conversation.agent_id } : {}),
        },
        { type: 'message.created', view, message },
        await agentStatusChanged(trx, target.id),
      ];
      if (conversation.agent_id) {
        events.push(await agentStatusChanged(trx, conversation.agent_id));
      }
      await drainQueue(trx, ctx, events);
      await recordWebhookEvents(ctx, trx, events);
      return { value: presentConversationForConsole(view, ctx.fileUrls), events };
    },
    { lock: 'routing' },
  );
}

/** An admin hands a queued conversation to an agent by hand (the cap may be exceeded), or takes
 * one from the robot so (a handoff for reason `agent`). */
export async function assignConversation(
  ctx: DomainContext,
  actor: AccountActor,
  conversationId: string,
  toAgentId: string,
): Promise<Outcome<Conversation>> {
  authorize(conversationPolicy.assign(actor), 'Only administrators can assign from the queue');
  return ctx.transaction(
    async (trx) => {
      const conversation = await findConversationOrThrow(trx, conversationId);
      if (conversation.state !== 'queued' && conversation.state !== 'robot') {
        throw new AppError(
          'INVALID_STATE',
          'Only a queued conversation or one with the robot can be assigned',
        );
      }
      const target = await targetAgent(trx, toAgentId);
      const events: DomainEvent[] = [];
      if (conversation.state === 'robot') {
        const notice = await leaveRobot(ctx, trx, conversation, 'agent');
        events.push({
          type: 'message.created',
          view: await viewOf(trx, conversationId),
          message: notice,
        });
      }
      await assignToAgent(trx, ctx, conversation, target.id, events);
      events.push(await agentStatusChanged(trx, target.id));
      await announceQueuePositions(trx, events);
      await recordWebhookEvents(ctx, trx, events);
      const view = await viewOf(trx, conversationId);
      return { value: presentConversationForConsole(view, ctx.fileUrls), events };
    },
    { lock: 'routing' },
  );
}
