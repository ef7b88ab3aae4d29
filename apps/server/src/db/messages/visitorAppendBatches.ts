import { sql, type Kysely } from 'kysely';
import { prepared } from '../prepared.js';
import {
  messageColumns,
  visitorColumns,
  type ConversationsTable,
  type Database,
  type MessagesTable,
  type VisitorsTable,
} from '../schema.js';
import { advance, type AdvanceShape, type AdvanceValues } from './messageRows.js';

/** One visitor's message in a batch: its row as `rowOf` writes it (sender and seq come from
 * the statement), and its search terms. */
export interface BatchedAppend {
  visitorId: string;
  row: MessagesTable;
  searchTerms: string;
}

/** What the statement answers for one message: as the one-message statement does. */
export interface BatchedRow {
  /** Null when the visitor has no open conversation (nothing was written for this one). */
  conversation: ConversationsTable | null;
  /** Null when there is no such visitor. */
  visitor: VisitorsTable | null;
  agent_id: string | null;
  agent_name: string | null;
  agent_avatar_url: string | null;
  stored_id: string | null;
}

/** The batch statement's values: one array per column, the message at index i in each. */
interface BatchValues {
  ords: number[];
  visitorIds: string[];
  nows: number[];
  ids: string[];
  types: string[];
  bodies: string[];
  metas: (string | null)[];
  attachmentIds: (string | null)[];
  attachments: (string | null)[];
  clientMsgIds: (string | null)[];
  searchTerms: string[];
}

/** The columns the input rows are named by: none is a column of conversations or visitors, so
 * the advance's own names stay unambiguous beside them. */
const inputColumns = [
  ['in_ord', 'int', 'ords'],
  ['in_vid', 'text', 'visitorIds'],
  ['in_now', 'bigint', 'nows'],
  ['in_mid', 'text', 'ids'],
  ['in_type', 'text', 'types'],
  ['in_body', 'text', 'bodies'],
  ['in_meta', 'text', 'metas'],
  ['in_attachment_id', 'text', 'attachmentIds'],
  ['in_attachment', 'text', 'attachments'],
  ['in_client_msg_id', 'text', 'clientMsgIds'],
  ['in_terms', 'text', 'searchTerms'],
] as const satisfies readonly (readonly [string, string, keyof BatchValues])[];

/** Where a message's column comes from in the batch: its input, its advance, its visitor. */
const messageSource: Record<(typeof messageColumns)[number], string> = {
  id: 'i.in_mid',
  conversation_id: 'c.id',
  seq: 'c.last_seq',
  sender_type: `'visitor'`,
  sender_id: 'v.id',
  sender_name: 'v.name',
  sender_avatar_url: 'v.avatar_url',
  type: 'i.in_type',
  body: 'i.in_body',
  meta: 'i.in_meta',
  attachment_id: 'i.in_attachment_id',
  attachment: 'i.in_attachment',
  client_msg_id: 'i.in_client_msg_id',
  created_at: 'i.in_now',
  redacted_at: 'null',
};

/** A visitor's append: the seq advance of their open conversation, found by visitor. */
export const visitorShape: AdvanceShape = {
  by: 'visitor',
  senderType: 'visitor',
  states: ['queued', 'active', 'robot'],
  byAgent: false,
  assigns: false,
};

/** A batch's answer row: which input it answers, and whether its conversation was busy. */
type BatchRow = BatchedRow & {
  ord: number;
  /** The visitor's open conversation was locked by another writer: nothing was written for
   * this message, which then runs alone. */
  busy: boolean | null;
};

/**
 * Many visitors' messages as one statement, each as the one-message statement writes it
 * (postgresMessages.ts): the same seq advance (`visitorShape`, by conversation id) on each open
 * conversation the statement could lock at once, the insert and the search entry from each
 * advance, one answer row per input. Each visitor appears once in a batch, so no conversation is
 * advanced twice. A conversation locked by another writer is skipped rather than waited for:
 * holding the others' locks while waiting could deadlock with a writer that locks several
 * conversations (a routing round, a bulk end).
 */
export function batchStatement() {
  const shape: AdvanceShape = { ...visitorShape, by: 'id' };
  return prepared<BatchValues, BatchRow>((db, slot) => {
    const fromLocked = <K extends keyof AdvanceValues & string>(name: K): AdvanceValues[K] =>
      (name === 'key' ? sql.ref('l.l_id') : name === 'now' ? sql.ref('l.l_now') : null) as never;
    const advanced = advance(db, shape, fromLocked)
      .from(sql<never>`l`.as('l') as never)
      .returning(sql.ref('l.l_ord').as('in_ord') as never);
    const unnest = sql.join(
      inputColumns.map(([, type, values]) => sql`cast(${slot(values)} as ${sql.raw(type)}[])`),
    );
    const names = sql.raw(inputColumns.map(([column]) => column).join(', '));
    const open = sql.join((shape.states ?? []).map((state) => sql.lit(state)));
    return sql<BatchRow>`
      with input as (select * from unnest(${unnest}) as t(${names})),
      l as (
        select conversations.id as l_id, i.in_ord as l_ord, i.in_now as l_now
        from conversations join input i on conversations.visitor_id = i.in_vid
        where conversations.state in (${open})
        for update of conversations skip locked
      ),
      c as (${advanced}),
      v as (
        select ${sql.join(visitorColumns.map((column) => sql.ref(`visitors.${column}`)))}, i.in_ord
        from visitors join input i on visitors.id = i.in_vid
      ),
      m as (
        insert into messages (${sql.join(messageColumns.map((column) => sql.ref(column)))})
        select ${sql.raw(messageColumns.map((column) => messageSource[column]).join(', '))}
        from c join input i on i.in_ord = c.in_ord join v on v.in_ord = c.in_ord
      ),
      s as (
        insert into search_index (terms, kind, ref_id, conversation_id)
        select string_to_array(i.in_terms, ' '), 'message', i.in_mid, c.id
        from c join input i on i.in_ord = c.in_ord where i.in_terms <> ''
      )
      select i.in_ord as ord, row_to_json(c) as conversation, row_to_json(v) as visitor,
        a.id as agent_id, a.display_name as agent_name, a.avatar_url as agent_avatar_url,
        case when c.id is null and v.id is not null then (
          select id from messages where sender_id = i.in_vid and client_msg_id = i.in_client_msg_id
        ) end as stored_id,
        case when c.id is null and v.id is not null then exists (
          select 1 from conversations
          where visitor_id = i.in_vid and state in (${open})
        ) end as busy
      from input i
      left join v on v.in_ord = i.in_ord
      left join c on c.in_ord = i.in_ord
      left join accounts a on a.id = c.agent_id`;
  });
}

interface Waiting {
  append: BatchedAppend;
  resolve: (row: BatchedRow) => void;
  reject: (error: unknown) => void;
}

/** At most this many messages in one statement. */
const maxBatch = 64;
/** At most this many batches in flight at once (each on its own pooled connection). */
const maxInFlight = 2;

/**
 * Visitors' sends outside any transaction, gathered into one statement per batch: PostgreSQL
 * spends most of a one-message append on running a statement at all (the executor, the commit),
 * and the server on its round trip, so a batch of n costs far less than n of them.
 *
 * A send waits at most until the end of the event loop's turn, or for a batch in flight to
 * finish. A visitor's messages go out in the order they came, one batch after another: a second
 * message waits while the first is in flight. A batch whose statement fails wrote nothing (it is
 * one statement); each of its messages then runs alone, so each gets its own answer or error.
 */
export class VisitorAppendBatches {
  private readonly waiting: Waiting[] = [];
  /** Visitors with a message in a batch in flight. */
  private readonly inFlight = new Set<string>();
  private running = 0;
  private scheduled = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly runBatch: (db: Kysely<Database>, values: BatchValues) => Promise<BatchRow[]>,
    private readonly runAlone: (db: Kysely<Database>, append: BatchedAppend) => Promise<BatchedRow>,
  ) {}

  add(append: BatchedAppend): Promise<BatchedRow> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ append, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.running >= maxInFlight || this.waiting.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.running < maxInFlight) {
      const batch = this.take();
      if (batch.length === 0) return;
      this.running += 1;
      for (const w of batch) this.inFlight.add(w.append.visitorId);
      void this.run(batch).finally(() => {
        this.running -= 1;
        for (const w of batch) this.inFlight.delete(w.append.visitorId);
        this.schedule();
      });
    }
  }

  /** The next batch: the oldest waiting messages, one per visitor, none of a visitor in flight. */
  private take(): Waiting[] {
    const batch: Waiting[] = [];
    const visitors = new Set<string>();
    let kept = 0;
    for (let i = 0; i < this.waiting.length; i++) {
      const w = this.waiting[i]!;
      const visitorId = w.append.visitorId;
      if (batch.length < maxBatch && !visitors.has(visitorId) && !this.inFlight.has(visitorId)) {
        batch.push(w);
        visitors.add(visitorId);
      } else {
        // Stays, in order; a later message of this visitor stays behind it too.
        visitors.add(visitorId);
        this.waiting[kept++] = w;
      }
    }
    this.waiting.length = kept;
    return batch;
  }

  /** One message as the one-message statement, answered with its own row or error. */
  private alone(w: Waiting): Promise<void> {
    return this.runAlone(this.db, w.append).then(w.resolve, w.reject);
  }

  private async run(batch: Waiting[]): Promise<void> {
    if (batch.length === 1) return this.alone(batch[0]!);
    let rows: BatchRow[];
    try {
      rows = await this.runBatch(this.db, valuesOf(batch));
    } catch {
      // Nothing was written: each message alone, with its own answer or error.
      await Promise.all(batch.map((w) => this.alone(w)));
      return;
    }
    const busy: Waiting[] = [];
    for (const { ord, busy: locked, conversation, visitor, ...agent } of rows) {
      const w = batch[ord]!;
      if (locked) {
        busy.push(w);
        continue;
      }
      // The input's ordinal came along in each row's JSON: it is not a column.
      w.resolve({
        ...agent,
        conversation: conversation && withoutOrd(conversation),
        visitor: visitor && withoutOrd(visitor),
      });
    }
    // Alone, each waits for its conversation's lock as a one-message statement does.
    await Promise.all(busy.map((w) => this.alone(w)));
  }
}

function withoutOrd<T extends object>(row: T): T {
  const { in_ord: _ord, ...rest } = row as T & { in_ord?: number };
  return rest as T;
}

function valuesOf(batch: Waiting[]): BatchValues {
  const values: BatchValues = {
    ords: [],
    visitorIds: [],
    nows: [],
    ids: [],
    types: [],
    bodies: [],
    metas: [],
    attachmentIds: [],
    attachments: [],
    clientMsgIds: [],
    searchTerms: [],
  };
  batch.forEach(({ append: { visitorId, row, searchTerms } }, ord) => {
    values.ords.push(ord);
    values.visitorIds.push(visitorId);
    values.nows.push(row.created_at);
    values.ids.push(row.id);
    values.types.push(row.type);
    values.bodies.push(row.body);
    values.metas.push(row.meta);
    values.attachmentIds.push(row.attachment_id);
    values.attachments.push(row.attachment);
    values.clientMsgIds.push(row.client_msg_id);
    values.searchTerms.push(searchTerms);
  });
  return values;
}
