import type { HandoffReason } from '@servicesystem/protocol';
import type { Kysely } from 'kysely';
import type { ReportState } from '../../db/reportState.js';
import type { Database } from '../../db/schema.js';
import { localDayOf } from './reportDays.js';
import { handoffColumnOf, type RollupDelta, type RollupKey } from './rollups.js';

/** What the roll-ups take from an ended conversation. */
export interface EndedConversationRow {
  id: string;
  channel_id: string;
  agent_id: string | null;
  created_at: number;
  first_response_at: number | null;
  ended_at: number | null;
  robot_replies: number;
  handed_off_at: number | null;
  handoff_reason: string | null;
}

export const endedConversationColumns = [
  'id',
  'channel_id',
  'agent_id',
  'created_at',
  'first_response_at',
  'ended_at',
  'robot_replies',
  'handed_off_at',
  'handoff_reason',
] as const;

/** Where a conversation counts: the local day it started, its channel, its agent at the end. */
export function rollupKeyOf(
  conversation: Pick<EndedConversationRow, 'channel_id' | 'agent_id' | 'created_at'>,
  zone: string,
): RollupKey {
  return {
    day: localDayOf(Number(conversation.created_at), zone),
    channelId: conversation.channel_id,
    agentId: conversation.agent_id ?? '',
  };
}

/**
 * An ended conversation: one conversation, its messages by side, the time from its start (the
 * visitor's first message) to the first agent reply if there was one (robot answers never set
 * it), and to its end; what the robot did in it.
 */
export function addEndedConversation(
  delta: RollupDelta,
  zone: string,
  conversation: EndedConversationRow,
  messages: { visitor: number; agent: number },
): void {
  const key = rollupKeyOf(conversation, zone);
  const created = Number(conversation.created_at);
  const firstResponse =
    conversation.first_response_at === null
      ? null
      : Number(conversation.first_response_at) - created;
  const resolution =
    conversation.ended_at === null ? null : Number(conversation.ended_at) - created;
  delta.add(key, {
    conversations: 1,
    visitor_messages: messages.visitor,
    agent_messages: messages.agent,
    ...(firstResponse === null
      ? {}
      : { first_response_count: 1, first_response_sum_ms: Math.max(0, firstResponse) }),
    ...(resolution === null
      ? {}
      : { resolution_count: 1, resolution_sum_ms: Math.max(0, resolution) }),
  });
  // The robot resolved it alone: it answered and never handed over (an administrator's takeover
  // is a handoff too), so the conversation ended while the robot held it.
  if (Number(conversation.robot_replies) > 0 && conversation.handed_off_at === null) {
    delta.add(key, { robot_resolved: 1 });
  }
  const reason = conversation.handoff_reason as HandoffReason | null;
  if (conversation.handed_off_at !== null && reason !== null && reason in handoffColumnOf) {
    delta.add(key, { [handoffColumnOf[reason]]: 1 });
  }
  if (firstResponse !== null) delta.addTime(key, 'first_response', firstResponse);
  if (resolution !== null) delta.addTime(key, 'resolution', resolution);
}

/** Visitor and agent messages per conversation: one indexed count by side. */
export async function countMessagesBySide(
  db: Kysely<Database>,
  conversationIds: string[],
): Promise<Map<string, { visitor: number; agent: number }>> {
  const counts = new Map(conversationIds.map((id) => [id, { visitor: 0, agent: 0 }]));
  if (!conversationIds.length) return counts;
  const rows = await db
    .selectFrom('messages')
    .select(['conversation_id', 'sender_type', (eb) => eb.fn.countAll().as('n')])
    .where('conversation_id', 'in', conversationIds)
    .where('sender_type', 'in', ['visitor', 'agent'])
    .groupBy(['conversation_id', 'sender_type'])
    .execute();
  for (const row of rows) {
    const count = counts.get(row.conversation_id)!;
    if (row.sender_type === 'visitor') count.visitor = Number(row.n);
    else count.agent = Number(row.n);
  }
  return counts;
}

/**
 * Whether a change to conversation `id` is added to the roll-ups now: always when they are
 * ready; during a rebuild only for conversations the rebuild has passed (it counts the rest
 * itself); never before the first rebuild was set up (it will count everything).
 */
export function foldsNow(state: ReportState | undefined, id: string): state is ReportState {
  if (!state) return false;
  return state.status === 'ready' || id <= state.cursor;
}
