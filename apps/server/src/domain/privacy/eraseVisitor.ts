import type { EraseVisitorResponse } from '@servicesystem/protocol';
import { sql, type Kysely } from 'kysely';
import { removeSearchEntries } from '../../db/search/searchIndex.js';
import type { Database } from '../../db/schema.js';
import { recordAudit } from '../audit/recordAudit.js';
import { closeConversation } from '../conversations/closeConversation.js';
import { recordWebhookEvents } from '../webhooks/recordWebhookEvents.js';
import type { AccountActor, DomainContext } from '../context.js';
import { AppError } from '../errors.js';
import type { DomainEvent, Outcome } from '../events.js';
import { authorize, privacyPolicy } from '../policies.js';
import {
  emailAttribute,
  findVisitorOrThrow,
  visitorFileIds,
  visitorRecords,
} from './visitorRecords.js';

/** The name an erased visitor keeps (their messages' sender name too). */
export const erasedVisitorName = 'Erased visitor';

/**
 * An administrator erases a visitor, in one transaction:
 * - their open conversation ends first, through the one end path (closeConversation);
 * - their messages are redacted (text, file and sender name gone, `redacted_at` set), and so are
 *   the agents' messages that carried a file in their conversations; other agent messages,
 *   system notices and internal notes stay;
 * - the files they uploaded and every file sent in their conversations are marked deleted (their
 *   URLs answer 404 from the commit; the objects go in the background, fileLifecycle.ts), unless
 *   a file was also sent to another visitor;
 * - their identity is forgotten: external id, name, avatar, attributes, context, the contact of
 *   their left messages, their rating comments, their search entries, and pending mail to them;
 * - the row stays as an anonymous shell (`erased_at` set) so conversations and reports keep
 *   their keys; every token they hold stops resolving and their live connections close.
 * A second erase changes nothing more and answers zeros. Audited with the counts.
 */
export async function eraseVisitor(
  ctx: DomainContext,
  actor: AccountActor,
  visitorId: string,
  confirm: string,
): Promise<Outcome<EraseVisitorResponse>> {
  authorize(privacyPolicy.manage(actor), 'Only administrators can erase visitors');
  return ctx.transaction(
    async (trx) => {
      const visitor = await findVisitorOrThrow(trx, visitorId);
      if (confirm !== visitor.id) {
        throw new AppError(
          'CONFIRMATION_MISMATCH',
          'To erase a visitor, send {"confirm": "<the visitor id>"}',
        );
      }
      const now = ctx.now();
      const events: DomainEvent[] = [];

      const open = await trx
        .selectFrom('conversations')
        .selectAll()
        .where('visitor_id', '=', visitor.id)
        .where('state', '!=', 'ended')
        .execute();
      for (const conversation of open) {
        await closeConversation(
          ctx,
          trx,
          conversation,
          { endedBy: actor.accountId, notice: { kind: 'ended' } },
          events,
        );
      }

      const conversationIds = (
        await trx
          .selectFrom('conversations')
          .select('id')
          .where('visitor_id', '=', visitor.id)
          .execute()
      ).map((row) => row.id);

      // Webhooks: what the ends set moving elsewhere (the queue's next visitor assigned) is
      // reported; nothing more about this visitor is, and the deliveries that carry their
      // conversations (waiting, or kept in the log) go.
      await recordWebhookEvents(
        ctx,
        trx,
        events.filter((event) => !('view' in event) || event.view.visitor.id !== visitor.id),
      );
      if (conversationIds.length > 0) {
        await trx
          .deleteFrom('webhook_deliveries')
          .where('conversation_id', 'in', conversationIds)
          .execute();
      }

      const filesDeleted = await markFilesDeleted(trx, visitor.id, now);
      const redactedIds = await redactMessages(trx, conversationIds, now);
      await removeSearchEntries(trx, { messageIds: redactedIds, visitorOf: conversationIds });

      // Their contact details, kept for reply mails and transcripts.
      const emails = new Set<string>();
      const attributeEmail = emailAttribute(visitor.attributes);
      if (attributeEmail) emails.add(attributeEmail);
      if (conversationIds.length > 0) {
        const left = await trx
          .selectFrom('left_messages')
          .select('email')
          .where('conversation_id', 'in', conversationIds)
          .where('email', 'is not', null)
          .execute();
        for (const row of left) if (row.email) emails.add(row.email);
        await trx
          .updateTable('left_messages')
          .set({ name: '', email: null, phone: null, email_replies: 0 })
          .where('conversation_id', 'in', conversationIds)
          .execute();
        await trx
          .updateTable('conversation_ratings')
          .set({ comment: null })
          .where('conversation_id', 'in', conversationIds)
          .execute();
        await trx
          .deleteFrom('outbox')
          .where('kind', '=', 'replyMail')
          .where(
            'payload',
            'in',
            conversationIds.map((id) => JSON.stringify({ conversationId: id })),
          )
          .execute();
      }
      for (const email of emails) {
        // A composed mail's payload starts with its recipient (domain/outbox).
        const start = `{"to":${JSON.stringify(email)},`.replace(/[\\%_]/g, (c) => `\\${c}`);
        await trx
          .deleteFrom('outbox')
          .where('kind', '=', 'mail')
          .where(sql<boolean>`payload like ${`${start}%`} escape '\\'`)
          .execute();
      }
      await trx.deleteFrom('visitor_contexts').where('visitor_id', '=', visitor.id).execute();
      await trx
        .updateTable('visitors')
        .set({
          external_id: null,
          name: erasedVisitorName,
          avatar_url: null,
          attributes: '{}',
          updated_at: now,
          erased_at: visitor.erased_at ?? now,
        })
        .where('id', '=', visitor.id)
        .execute();

      const erased = {
        conversationsEnded: open.length,
        messagesRedacted: redactedIds.length,
        filesDeleted,
      };
      await recordAudit(
        trx,
        actor,
        {
          action: 'visitor.erase',
          target: { type: 'visitor', id: visitor.id, label: visitor.id },
          changes: [
            { field: 'conversationsEnded', to: erased.conversationsEnded },
            { field: 'messagesRedacted', to: erased.messagesRedacted },
            { field: 'filesDeleted', to: erased.filesDeleted },
          ],
        },
        now,
      );
      events.push({ type: 'visitor.erased', visitorId: visitor.id });
      const [record] = await visitorRecords(trx, [await findVisitorOrThrow(trx, visitor.id)]);
      return { value: { visitor: record!, erased }, events };
    },
    { lock: 'routing' },
  );
}

/** Marks the visitor's files deleted (see visitorFileIds), but not one also sent to another
 * visitor. Answers how many. */
async function markFilesDeleted(
  trx: Kysely<Database>,
  visitorId: string,
  now: number,
): Promise<number> {
  const result = await trx
    .updateTable('files')
    .set({ deleted_at: now })
    .where('id', 'in', visitorFileIds(trx, visitorId))
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('messages as other')
            .innerJoin('conversations as there', 'there.id', 'other.conversation_id')
            .select('other.id')
            .whereRef('other.attachment_id', '=', 'files.id')
            .where('there.visitor_id', '!=', visitorId),
        ),
      ),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Redacts the visitor's messages and every message with a file in `conversationIds`. Answers
 * the ids redacted now. */
async function redactMessages(
  trx: Kysely<Database>,
  conversationIds: string[],
  now: number,
): Promise<string[]> {
  if (conversationIds.length === 0) return [];
  const rows = await trx
    .selectFrom('messages')
    .select('id')
    .where('conversation_id', 'in', conversationIds)
    .where('redacted_at', 'is', null)
    .where((eb) => eb.or([eb('sender_type', '=', 'visitor'), eb('attachment_id', 'is not', null)]))
    .execute();
  const ids = rows.map((row) => row.id);
  const removed = {
    type: 'text' as const,
    body: '',
    meta: null,
    attachment: null,
    redacted_at: now,
  };
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    await trx
      .updateTable('messages')
      .set({ ...removed, attachment_id: null })
      .where('id', 'in', chunk)
      .where('sender_type', '!=', 'visitor')
      .execute();
    await trx
      .updateTable('messages')
      .set({
        ...removed,
        attachment_id: null,
        sender_name: erasedVisitorName,
        sender_avatar_url: null,
      })
      .where('id', 'in', chunk)
      .where('sender_type', '=', 'visitor')
      .execute();
  }
  return ids;
}
