import { sql, type Kysely } from 'kysely';
import type { AgentPresence } from '@servicesystem/protocol';
import {
  conversationColumns,
  type AccountsTable,
  visitorColumns,
  type ConversationsTable,
  type Database,
  type VisitorsTable,
} from '../db/schema.js';
import { prepared } from '../db/prepared.js';
import { queryPresence } from './agents/agentPresence.js';
import type { DomainContext } from './context.js';
import {
  appendSystemMessage,
  describeSystemMessage,
  systemSender,
} from './conversations/systemMessages.js';
import { completeFullView, queueReasonsOf, viewOf } from './conversations/conversationViews.js';
import type { DomainEvent } from './events.js';
import type { StoredMessage } from '../db/messages/messageStore.js';
import { writeSerial } from '../db/writeScope.js';

/**
 * Routing: who serves a conversation, and the queue. Every change to assignments (a conversation
 * starts, ends or moves; an agent's status or cap changes) runs in
 * `ctx.transaction(work, { lock: 'routing' })`, so on PostgreSQL two nodes never hand one
 * conversation to two agents or push an agent past its cap. On SQLite a single connection
 * serializes transactions already.
 *
 * Rules: candidates are enabled agents (never admins) whose status is online and whose active
 * conversations are below their cap. A returning visitor's previous agent is preferred when they
 * qualify; otherwise the fewest active conversations wins, then the one assigned least recently.
 * Nobody qualifies: the conversation waits in the queue, first in first out.
 */

/** An online agent's load, as routing weighs it. */
export interface Candidate {
  id: string;
  active: number;
  maxConcurrent: number | null;
  lastAssignedAt: number | null;
}

/**
 * The routing choice, pure: among online agents below their cap, the preferred one (a returning
 * visitor's previous agent) if they qualify; else the fewest active conversations, then the one
 * assigned least recently (never assigned first), then the smaller id. Undefined: nobody can.
 */
export function chooseAgent(
  candidates: readonly Candidate[],
  preferredAgentId: string | null,
): string | undefined {
  const open = candidates.filter((c) => c.maxConcurrent === null || c.active < c.maxConcurrent);
  if (preferredAgentId && open.some((c) => c.id === preferredAgentId)) return preferredAgentId;
  open.sort(
    (a, b) =>
      a.active - b.active ||
      (a.lastAssignedAt ?? -1) - (b.lastAssignedAt ?? -1) ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  return open[0]?.id;
}

/** The agent who should take the next conversation, or undefined when nobody can. */
export async function pickAgent(
  trx: Kysely<Database>,
  preferredAgentId: string | null,
): Promise<string | undefined> {
  return chooseAgent([...(await readOnlineAgents(trx)).agents.values()], preferredAgentId);
}

/**
 * What routing knows of the online agents, kept from one new conversation to the next while a
 * burst of them runs: their loads, names and the latest assignment time, read once instead of
 * three times per conversation. Nothing else changes loads meanwhile: every change to who serves
 * what holds the routing lock, and only `assignToAgent` runs between the reads and the writes
 * here, keeping the memo in step. It is kept only from one locked work to the next
 * (`writeSerial`): any other locked work in between, one that failed (rolled back to its
 * savepoint), or the end of a transaction that could have changed loads behind it (any on
 * PostgreSQL, where other nodes write; on SQLite, one that did not commit), and it is read again.
 * Works without the lock (a message's append) may run between: they change no load, status or
 * cap. (A profile edit may: then later notices may name the agent by the name of a moment before.)
 */
export interface RoutingMemo {
  agents: Map<string, Candidate & Omit<AgentPresence, 'activeConversations'>>;
  /** The latest `last_assigned_at` of any account. */
  latest: number;
  /** `writeSerial()` when the work that used it last finished. */
  serial: number;
}

/** Each database's memo, by the Kysely adapter its handles and their transactions share. */
const memos = new WeakMap<object, RoutingMemo>();

/** The memo for this work: kept from the locked work just before, else read. */
export async function routingMemo(trx: Kysely<Database>): Promise<RoutingMemo> {
  const database = trx.getExecutor().adapter;
  const kept = memos.get(database);
  if (kept && kept.serial === writeSerial() - 1) return kept;
  const memo = await readOnlineAgents(trx);
  memos.set(database, memo);
  return memo;
}

const agentColumns = [
  'a.id',
  'a.display_name',
  'a.avatar_url',
  'a.status',
  'a.max_concurrent',
  'a.last_assigned_at',
] as const;

/** The enabled online agents with their loads, and the latest assignment time of any account. */
const onlineAgents = prepared<
  object,
  Pick<
    AccountsTable,
    'id' | 'display_name' | 'avatar_url' | 'status' | 'max_concurrent' | 'last_assigned_at'
  > & { active: number | string; latest: number | string | null }
>((db) =>
  db
    .selectFrom('accounts as a')
    .leftJoin('conversations as c', (join) =>
      join.onRef('c.agent_id', '=', 'a.id').on('c.state', '=', sql.lit('active')),
    )
    .select((eb) => [
      ...agentColumns,
      eb.fn.count<number>('c.id').as('active'),
      // Over every account, not only these: assignment times stay strictly increasing.
      eb
        .selectFrom('accounts')
        .select((inner) => inner.fn.max('last_assigned_at').as('latest'))
        .as('latest'),
    ])
    .where('a.role', '=', sql.lit('agent'))
    .where('a.disabled_at', 'is', null)
    .where('a.status', '=', sql.lit('online'))
    .groupBy([...agentColumns]),
);

/** The enabled online agents with their loads, and the latest assignment time (a fresh memo). */
async function readOnlineAgents(trx: Kysely<Database>): Promise<RoutingMemo> {
  const rows = await onlineAgents(trx, {});
  const memo: RoutingMemo = { agents: new Map(), latest: 0, serial: -1 };
  for (const r of rows) {
    memo.latest = Math.max(memo.latest, Number(r.latest ?? 0));
    memo.agents.set(r.id, {
      id: r.id,
      active: Number(r.active),
      maxConcurrent: r.max_concurrent,
      lastAssignedAt: r.last_assigned_at,
      displayName: r.display_name,
      avatarUrl: r.avatar_url,
      status: r.status,
    });
  }
  return memo;
}

/** The work that used the memo finished without error: the next work may keep it. */
export function keepRoutingMemo(trx: Kysely<Database>): void {
  const memo = memos.get(trx.getExecutor().adapter);
  if (memo) memo.serial = writeSerial();
}

/** Hands a conversation to an agent: active, a system message, the agent's tie-break time. With
 * `memo`, the agent's name and the latest assignment come from it, and it counts the new load. */
export async function assignToAgent(
  trx: Kysely<Database>,
  ctx: DomainContext,
  conversation: ConversationsTable,
  agentId: string,
  events: DomainEvent[],
  memo?: RoutingMemo,
  /** What the caller read or wrote already: the visitor, the newest message, the labels. */
  known: Omit<Parameters<typeof completeFullView>[2], 'agent'> = {},
): Promise<void> {
  const now = ctx.now();
  // Strictly increasing, so "assigned least recently" has no ties even within one millisecond.
  const latest = memo
    ? memo.latest
    : Number(
        (
          await trx
            .selectFrom('accounts')
            .select((eb) => eb.fn.max('last_assigned_at').as('latest'))
            .executeTakeFirst()
        )?.latest ?? 0,
      );
  const stamp = Math.max(now, latest + 1);
  const remembered = memo?.agents.get(agentId);
  if (memo) {
    if (!remembered) throw new Error(`agent ${agentId} is not in the routing memo`);
    remembered.active += 1;
    remembered.lastAssignedAt = stamp;
    memo.latest = stamp;
  }
  const agent = remembered
    ? { id: agentId, display_name: remembered.displayName, avatar_url: remembered.avatarUrl }
    : await trx
        .selectFrom('accounts')
        .select(['id', 'display_name', 'avatar_url'])
        .where('id', '=', agentId)
        .executeTakeFirstOrThrow();
  const meta = { kind: 'assigned' as const, agentName: agent.display_name };
  // The notice's write is the assignment: the conversation becomes active and the agent's, and
  // the agent's tie-break time moves, in the same statement (PostgreSQL) as the append.
  const appended = await ctx.messages.append(trx, now, {
    conversationId: conversation.id,
    sender: systemSender,
    type: 'system',
    body: describeSystemMessage(meta),
    meta,
    assign: { agentId, stamp },
  });
  if (!appended) throw new Error(`conversation ${conversation.id} vanished`);
  const { message } = appended;
  // Built from the row the append returned and what is known here: no reads but the labels.
  // The assignment notice is not the conversation's preview: the caller's newest message is.
  const view = await completeFullView(trx, appended.conversation, {
    ...known,
    agent,
    lastMessage:
      known.lastMessage?.seq === appended.conversation.preview_seq ? known.lastMessage : message,
  });
  events.push({ type: 'conversation.updated', view });
  events.push({ type: 'message.created', view, message });
}

/** The first conversation in the queue, its visitor (columns `v__…`), and whether another
 * waits behind it (`waiting`: 1, or 2 and more). */
const queueHead = prepared<
  object,
  ConversationsTable & { [K in keyof VisitorsTable as `v__${K}`]: VisitorsTable[K] } & {
    waiting: number;
  }
>((db) =>
  db
    .selectFrom('conversations as c')
    .innerJoin('visitors as v', 'v.id', 'c.visitor_id')
    .select([
      ...conversationColumns.map((column) => `c.${column}` as const),
      ...visitorColumns.map((column) => `v.${column} as v__${column}` as const),
      sql<number>`(select count(*) from (select 1 from conversations where state = 'queued' limit 2) as q)`.as(
        'waiting',
      ),
    ])
    .where('c.state', '=', sql.lit('queued'))
    .orderBy('c.queue_order')
    .limit(1),
);

/** The queue's head, its visitor, and whether another waits behind it (`waiting` 2 or more). */
async function readQueueHead(
  trx: Kysely<Database>,
): Promise<
  { conversation: ConversationsTable; visitor: VisitorsTable; waiting: number } | undefined
> {
  const [head] = await queueHead(trx, {});
  return head ? { ...splitHead(head), waiting: Number(head.waiting) } : undefined;
}

/** A queue head's row split into the conversation and its visitor. */
function splitHead(head: object): {
  conversation: ConversationsTable;
  visitor: VisitorsTable;
} {
  const row = head as Record<string, unknown>;
  const conversation: Record<string, unknown> = {};
  const visitor: Record<string, unknown> = {};
  for (const column of conversationColumns) conversation[column] = row[column];
  for (const column of visitorColumns) visitor[column] = row[`v__${column}`];
  return {
    conversation: conversation as unknown as ConversationsTable,
    visitor: visitor as unknown as VisitorsTable,
  };
}

/**
 * Serves the queue in arrival order while some agent can take the head. When that moved the
 * queue, tells every visitor still waiting their new place. Call inside a transaction holding the routing lock.
 */
export async function drainQueue(
  trx: Kysely<Database>,
  ctx: DomainContext,
  events: DomainEvent[],
  /** Given by new conversations (startConversation.ts): the agents' loads kept across a burst. */
  memo?: RoutingMemo,
  /**
   * The conversation the caller just started, with its newest message (it has no labels). With
   * `alone`, the queue was empty before it joined: it is the head, nobody behind it, and the
   * queue is not read.
   */
  arrival?: {
    conversationId: string;
    lastMessage: StoredMessage;
    alone?: { conversation: ConversationsTable; visitor: VisitorsTable };
  },
): Promise<void> {
  const assignedAgents = new Set<string>();
  // Whether someone may still wait: the head's row says whether another is behind it, and
  // nothing joins the queue meanwhile (the routing lock is held).
  let waiting = true;
  let known = arrival?.alone;
  while (waiting) {
    const head = known ? { ...known, waiting: 1 } : await readQueueHead(trx);
    known = undefined;
    if (!head) {
      waiting = false;
      break;
    }
    const { conversation, visitor } = head;
    const agentId = memo
      ? chooseAgent([...memo.agents.values()], visitor.last_agent_id)
      : await pickAgent(trx, visitor.last_agent_id);
    if (!agentId) break;
    const fresh = arrival?.conversationId === conversation.id;
    await assignToAgent(trx, ctx, conversation, agentId, events, memo, {
      visitor,
      ...(fresh ? { lastMessage: arrival.lastMessage, labels: [] } : {}),
    });
    assignedAgents.add(agentId);
    waiting = head.waiting > 1;
  }
  // Places changed only for those still waiting.
  if (assignedAgents.size > 0 && waiting) await announceQueuePositions(trx, events);
  for (const agentId of assignedAgents) {
    const remembered = memo?.agents.get(agentId);
    if (remembered) {
      const { id, displayName, avatarUrl, status, maxConcurrent, active } = remembered;
      events.push({
        type: 'agent.status',
        presence: {
          id,
          displayName,
          avatarUrl,
          status,
          maxConcurrent,
          activeConversations: active,
        },
      });
    } else {
      events.push(await agentStatusChanged(trx, agentId));
    }
  }
}

/**
 * An agent left routing for good (disabled, or made an administrator): each conversation they
 * were serving goes at once to another agent by the usual rules, else back to the head of the
 * queue (ahead of newer arrivals, in the order they were first assigned), and its visitor is told
 * either way. Call holding the routing lock, after the account change.
 */
export async function rerouteFrom(
  trx: Kysely<Database>,
  ctx: DomainContext,
  agentId: string,
  events: DomainEvent[],
): Promise<void> {
  const held = await trx
    .selectFrom('conversations')
    .selectAll()
    .where('agent_id', '=', agentId)
    .where('state', '=', 'active')
    .execute();
  await rerouteConversations(trx, ctx, held, events);
}

/**
 * Active conversations whose agent can no longer serve them (rerouteFrom; an absent agent's,
 * handBackFromAbsentAgents) each go to another online agent by the usual rules, else back to
 * the head of the queue, ahead of newer arrivals, in the order they were first assigned; each
 * visitor is told either way. Call holding the routing lock, with rows read inside it.
 */
export async function rerouteConversations(
  trx: Kysely<Database>,
  ctx: DomainContext,
  conversations: readonly ConversationsTable[],
  events: DomainEvent[],
): Promise<void> {
  // Newest first: each one queued goes in front of the last, so the oldest ends at the head.
  const held = [...conversations].sort(
    (a, b) =>
      Number(b.assigned_at ?? 0) - Number(a.assigned_at ?? 0) ||
      (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
  );
  if (held.length === 0) return;
  const now = ctx.now();
  const takers = new Set<string>();
  for (const conversation of held) {
    const next = await pickAgent(trx, null);
    if (next) {
      await assignToAgent(trx, ctx, conversation, next, events);
      takers.add(next);
      continue;
    }
    const head = await trx
      .selectFrom('conversations')
      .select((eb) => eb.fn.min('queue_order').as('first'))
      .where('state', '=', 'queued')
      .executeTakeFirst();
    const order =
      head?.first !== null && head?.first !== undefined
        ? Number(head.first) - 1
        : await nextQueueOrder(trx, now);
    await trx
      .updateTable('conversations')
      .set({
        state: 'queued',
        agent_id: null,
        assigned_at: null,
        queue_order: order,
        snoozed_at: null,
        snoozed_until: null,
      })
      .where('id', '=', conversation.id)
      .execute();
    const queued = await viewOf(trx, conversation.id);
    const message = await appendSystemMessage(ctx, trx, now, conversation.id, {
      kind: 'queued',
      position: queued.queuePosition ?? 1,
      reason: queued.queueReason ?? 'busy',
    });
    const view = await viewOf(trx, conversation.id);
    events.push({ type: 'conversation.updated', view });
    events.push({ type: 'message.created', view, message });
  }
  await announceQueuePositions(trx, events);
  for (const taker of takers) events.push(await agentStatusChanged(trx, taker));
}

const queuedInOrder = prepared<
  object,
  Pick<ConversationsTable, 'id' | 'visitor_id' | 'channel_id'>
>((db) =>
  db
    .selectFrom('conversations')
    .select(['id', 'visitor_id', 'channel_id'])
    .where('state', '=', sql.lit('queued'))
    .orderBy('queue_order'),
);

/** Every queued conversation's place and why it waits, as one event (visitors each hear their
 * own). */
export async function announceQueuePositions(
  trx: Kysely<Database>,
  events: DomainEvent[],
): Promise<void> {
  const queued = await queuedInOrder(trx, {});
  if (queued.length === 0) return;
  const reasons = await queueReasonsOf(
    trx,
    queued.map((q) => q.channel_id),
  );
  events.push({
    type: 'queue.positions',
    entries: queued.map((q, index) => ({
      conversationId: q.id,
      visitorId: q.visitor_id,
      position: index + 1,
      reason: reasons.get(q.channel_id) ?? 'busy',
    })),
  });
}

const lastQueued = prepared<object, { latest: number | null }>((db) =>
  db
    .selectFrom('conversations')
    .select((eb) => eb.fn.max('queue_order').as('latest'))
    .where('state', '=', sql.lit('queued')),
);

/** The last arrival number this process gave: numbers stay distinct even within one millisecond. */
let lastIssued = 0;

/**
 * The next arrival number for the queue: after every conversation waiting now, after the last
 * this process gave, and not below the clock (milliseconds). Only the queued conversations are
 * read, a range of the (state, queue_order) index: the largest number over all conversations
 * ever would read the whole history (on PostgreSQL a full scan, 70 ms at a million
 * conversations, inside the routing lock every new conversation takes). The clock keeps numbers
 * rising across an empty queue, so lists that break ties by arrival still order by it. Call
 * inside a transaction holding the routing lock.
 */
export async function nextQueueOrder(trx: Kysely<Database>, now: number): Promise<number> {
  const [row] = await lastQueued(trx, {});
  return issueQueueOrder(row?.latest ?? null, now);
}

/** `nextQueueOrder` for a caller that read the largest queued number itself (`latestQueued`),
 * in the same transaction, holding the routing lock. */
export function issueQueueOrder(latestQueued: number | null, now: number): number {
  lastIssued = Math.max(now, Number(latestQueued ?? 0) + 1, lastIssued + 1);
  return lastIssued;
}

/** The event that tells console users an agent's status or load changed. */
export async function agentStatusChanged(
  trx: Kysely<Database>,
  agentId: string,
): Promise<DomainEvent> {
  return { type: 'agent.status', presence: await presenceOf(trx, agentId) };
}

/** An agent's status and load, as console users see it. */
export async function presenceOf(trx: Kysely<Database>, agentId: string): Promise<AgentPresence> {
  const [presence] = await queryPresence(trx, agentId);
  if (!presence) throw new Error(`agent ${agentId} not found`);
  return presence;
}
