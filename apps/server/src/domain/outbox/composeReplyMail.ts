import { sql } from 'kysely';
import { composeReplyMail as compose, type MailLocale } from '../../mail/composeMail.js';
import type { OutboxTable } from '../../db/schema.js';
import type { DomainContext } from '../context.js';
import { mailMessageOf, messagesAfter } from './messagesForMail.js';

/** How long the link in a reply mail works. */
export const resumeLinkLifetimeMs = 7 * 24 * 60 * 60 * 1000;

/**
 * A reply mail whose delay is over becomes a mail: the agents' messages since the last reply
 * mail, and a signed link back into the conversation. Skipped when the visitor has read them
 * meanwhile (or there are none). Either way the conversation's `mailed_seq` moves past them and
 * the row gives up its dedupe key, so the next reply starts a new mail. One transaction; the
 * row must still be pending (a second round finds nothing to do).
 */
export function composeReplyMail(ctx: DomainContext, row: OutboxTable): Promise<void> {
  return ctx.transaction(async (trx) => {
    const now = ctx.now();
    const { conversationId } = JSON.parse(row.payload) as { conversationId: string };
    // Takes the contact row's lock first (a no-op update), as an agent's reply does
    // (queueReplyMail.ts): a reply committing meanwhile is either read here or starts a new mail.
    await trx
      .updateTable('left_messages')
      .set((eb) => ({ mailed_seq: eb.ref('mailed_seq') }))
      .where('conversation_id', '=', conversationId)
      .execute();
    const pending = await trx
      .selectFrom('outbox')
      .select('id')
      .where('id', '=', row.id)
      .where('state', '=', sql.lit('pending'))
      .where('kind', '=', 'replyMail')
      .executeTakeFirst();
    if (!pending) return;
    const found = await trx
      .selectFrom('conversations')
      .innerJoin('left_messages', 'left_messages.conversation_id', 'conversations.id')
      .innerJoin('channels', 'channels.id', 'conversations.channel_id')
      .select([
        'conversations.visitor_id',
        'conversations.channel_id',
        'conversations.visitor_read_seq',
        'left_messages.name',
        'left_messages.email',
        'left_messages.locale',
        'left_messages.time_zone',
        'left_messages.mailed_seq',
        'channels.name as channel_name',
      ])
      .where('conversations.id', '=', conversationId)
      .executeTakeFirst();
    const skip = (reason: string) =>
      trx
        .updateTable('outbox')
        .set({ state: 'skipped', dedupe_key: null, finished_at: now, last_error: reason })
        .where('id', '=', row.id)
        .execute();
    if (!found?.email) {
      await skip('the conversation or its address is gone');
      return;
    }
    const replies = (
      await messagesAfter(ctx, trx, conversationId, Number(found.mailed_seq))
    ).filter((m) => m.sender_type === 'agent');
    const last = replies[replies.length - 1];
    if (!last) {
      await skip('no new replies');
      return;
    }
    await trx
      .updateTable('left_messages')
      .set({ mailed_seq: last.seq })
      .where('conversation_id', '=', conversationId)
      .execute();
    if (Number(found.visitor_read_seq) >= last.seq) {
      await skip('the visitor read the replies');
      return;
    }
    const token = await ctx.resumeTokens.issue(
      { visitorId: found.visitor_id, channelId: found.channel_id },
      now + resumeLinkLifetimeMs,
    );
    const link =
      `${ctx.mail.publicUrl}/chat/?channel=${encodeURIComponent(found.channel_id)}` +
      `&resume=${encodeURIComponent(token)}`;
    const mail = compose({
      locale: found.locale === 'zh-CN' ? 'zh-CN' : ('en' satisfies MailLocale),
      timeZone: found.time_zone,
      channelName: found.channel_name,
      visitorName: found.name,
      messages: replies.flatMap((m) => mailMessageOf(m) ?? []),
      link,
    });
    await trx
      .updateTable('outbox')
      .set({
        kind: 'mail',
        payload: JSON.stringify({ to: found.email, ...mail }),
        dedupe_key: null,
      })
      .where('id', '=', row.id)
      .execute();
  });
}
