import { PassThrough, type Readable } from 'node:stream';
import type { ExportedFile, ExportedMessage, VisitorExport } from '@servicesystem/protocol';
import { strToU8, Zip, ZipDeflate, ZipPassThrough } from 'fflate';
import { FileNotFoundError } from '../../storage/fileStore.js';
import { recordAudit } from '../audit/recordAudit.js';
import type { AccountActor, DomainContext } from '../context.js';
import { authorize, privacyPolicy } from '../policies.js';
import { readVisitorContext } from '../visitors/visitorContext.js';
import { findVisitorOrThrow, visitorFileIds } from './visitorRecords.js';

export interface VisitorExportDownload {
  /** `visitor-<id>.zip`. */
  fileName: string;
  /** The zip, produced as it is read. */
  body: Readable;
}

/** Until the reader has taken what is buffered, or gone away. */
const drained = (body: PassThrough) =>
  new Promise<void>((resolve) => {
    const done = () => {
      body.off('drain', done);
      body.off('close', done);
      resolve();
    };
    body.on('drain', done);
    body.on('close', done);
  });

/** A file's name inside the zip: no folders, no control characters, not too long. */
function zipName(id: string, name: string): string {
  const clean = [...name]
    .filter((c) => c >= ' ' && c !== '\u007f' && c !== '/' && c !== '\\')
    .join('')
    .replace(/^\.+/, '')
    .slice(-100);
  return `files/${id}-${clean || 'file'}`;
}

/**
 * An administrator exports what the server holds about a visitor: a zip with `visitor.json`
 * (the VisitorExport shape: identity, attributes, context, every conversation with its messages,
 * rating and left-message contact) and `files/<id>-<name>` for every file they or agents sent in
 * their conversations, read from the file store. The zip is streamed: files are copied chunk by
 * chunk as the client reads (no size cap, memory stays small); `visitor.json` comes last so it
 * can say which files could not be read (`path: null`). The export is audited before it starts.
 */
export async function exportVisitor(
  ctx: DomainContext,
  actor: AccountActor,
  visitorId: string,
): Promise<VisitorExportDownload> {
  authorize(privacyPolicy.manage(actor), 'Only administrators can export visitors');
  const visitor = await findVisitorOrThrow(ctx.db, visitorId);
  const channel = await ctx.db
    .selectFrom('channels')
    .select('name')
    .where('id', '=', visitor.channel_id)
    .executeTakeFirst();
  const conversations = await ctx.db
    .selectFrom('conversations')
    .selectAll()
    .where('visitor_id', '=', visitor.id)
    .orderBy('created_at')
    .execute();
  const files = await ctx.db
    .selectFrom('files')
    .select(['id', 'original_name', 'mime', 'size', 'storage_key'])
    .where('id', 'in', visitorFileIds(ctx.db, visitor.id))
    .orderBy('created_at')
    .execute();

  const exported: VisitorExport['conversations'] = [];
  for (const conversation of conversations) {
    const messages = await ctx.db
      .selectFrom('messages')
      .select([
        'id',
        'seq',
        'sender_type',
        'sender_name',
        'type',
        'body',
        'attachment_id',
        'redacted_at',
        'created_at',
      ])
      .where('conversation_id', '=', conversation.id)
      .orderBy('seq')
      .execute();
    const rating = await ctx.db
      .selectFrom('conversation_ratings')
      .selectAll()
      .where('conversation_id', '=', conversation.id)
      .executeTakeFirst();
    const left = await ctx.db
      .selectFrom('left_messages')
      .selectAll()
      .where('conversation_id', '=', conversation.id)
      .executeTakeFirst();
    exported.push({
      id: conversation.id,
      kind: conversation.kind,
      state: conversation.state,
      createdAt: Number(conversation.created_at),
      endedAt: conversation.ended_at === null ? null : Number(conversation.ended_at),
      messages: messages.map((m): ExportedMessage => ({
        id: m.id,
        seq: Number(m.seq),
        sender: { type: m.sender_type, name: m.sender_name },
        type: m.type,
        body: m.body,
        fileId: m.attachment_id,
        redacted: m.redacted_at !== null,
        createdAt: Number(m.created_at),
      })),
      rating: rating
        ? {
            score: Number(rating.score),
            comment: rating.comment,
            createdAt: Number(rating.created_at),
          }
        : null,
      leftMessage: left
        ? {
            name: left.name,
            email: left.email,
            phone: left.phone,
            createdAt: Number(left.created_at),
          }
        : null,
    });
  }

  const now = ctx.now();
  await ctx.transaction((trx) =>
    recordAudit(
      trx,
      actor,
      {
        action: 'visitor.export',
        target: { type: 'visitor', id: visitor.id, label: visitor.id },
        changes: [
          { field: 'conversations', to: conversations.length },
          { field: 'files', to: files.length },
        ],
      },
      now,
    ),
  );

  const document = {
    format: 'servicesystem.visitor-export.v1' as const,
    exportedAt: now,
    visitor: {
      id: visitor.id,
      channelId: visitor.channel_id,
      channelName: channel?.name ?? '',
      externalId: visitor.external_id,
      name: visitor.name,
      avatarUrl: visitor.avatar_url,
      attributes: JSON.parse(visitor.attributes) as Record<string, unknown>,
      context: await readVisitorContext(ctx.db, visitor.id),
      createdAt: Number(visitor.created_at),
      updatedAt: Number(visitor.updated_at),
      erasedAt: visitor.erased_at === null ? null : Number(visitor.erased_at),
    },
    conversations: exported,
  };

  const body = new PassThrough();
  const zip = new Zip((error, chunk, final) => {
    if (body.destroyed) return;
    if (error) {
      body.destroy(error);
      return;
    }
    body.write(Buffer.from(chunk));
    if (final) body.end();
  });
  const pump = async () => {
    const listed: ExportedFile[] = [];
    for (const file of files) {
      const entry: ExportedFile = {
        id: file.id,
        name: file.original_name,
        mime: file.mime,
        size: Number(file.size),
        path: null,
      };
      listed.push(entry);
      let source: Readable;
      try {
        source = await ctx.files.read(file.storage_key);
      } catch (error) {
        if (error instanceof FileNotFoundError) continue;
        throw error;
      }
      entry.path = zipName(file.id, file.original_name);
      const item = new ZipPassThrough(entry.path);
      zip.add(item);
      for await (const chunk of source as AsyncIterable<Buffer>) {
        if (body.destroyed) {
          source.destroy();
          return;
        }
        item.push(chunk);
        if (body.writableNeedDrain) await drained(body);
      }
      item.push(new Uint8Array(0), true);
    }
    const json = new ZipDeflate('visitor.json', { level: 6 });
    zip.add(json);
    const full: VisitorExport = { ...document, files: listed };
    json.push(strToU8(JSON.stringify(full, null, 2)), true);
    zip.end();
  };
  pump().catch((error: unknown) => body.destroy(error as Error));
  return { fileName: `visitor-${visitor.id}.zip`, body };
}
