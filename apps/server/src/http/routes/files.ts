import { FileParams, FileQuery } from '@servicesystem/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FileVariant } from '../../auth/fileUrls.js';
import { AppError } from '../../domain/errors.js';
import { readFile } from '../../domain/files/readFile.js';
import { uploadFile } from '../../domain/files/uploadFile.js';
import { FileNotFoundError, StorageUnavailableError } from '../../storage/fileStore.js';
import { parseRange } from '../range.js';
import { receiveUpload } from '../receiveUpload.js';
import { parseWith } from '../validate.js';
import type { RouteDeps } from './deps.js';
import { authorizeCaller, callers } from '../../domain/policies.js';

/** `inline; filename="<ascii>"; filename*=UTF-8''<utf-8>`: safe whatever the uploader named it. */
function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\%;]/g, '_');
  return `inline; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/** Uploads (images and videos) and serving them, with byte ranges for video seeking. */
export function fileRoutes(
  app: FastifyInstance,
  { ctx }: RouteDeps,
  options: { maxUploadBytes: number },
): void {
  app.post('/api/v1/uploads', async (request, reply) => {
    const actor = authorizeCaller(request.actor, callers.anyone);
    const file = await receiveUpload(request, ctx.media.workDir, options.maxUploadBytes, (upload) =>
      uploadFile(ctx, actor, upload),
    );
    return reply.status(201).send({ file });
  });

  async function serve(
    request: FastifyRequest,
    reply: FastifyReply,
    variant: FileVariant,
    onlyKind?: 'video',
  ) {
    const { id } = parseWith(FileParams, request.params);
    const query = parseWith(FileQuery, request.query);
    const signature =
      query.exp !== undefined && query.sig !== undefined
        ? { exp: query.exp, sig: query.sig }
        : undefined;
    const target = await readFile(ctx, request.actor, id, variant, signature);
    if (onlyKind && target.file.kind !== onlyKind) {
      throw new AppError('NOT_FOUND', 'Only videos have a cover; use /thumbnail');
    }
    const range = parseRange(request.headers.range, target.size);
    void reply
      .header('Content-Type', target.mime)
      .header('Accept-Ranges', 'bytes')
      .header('Cache-Control', 'private, max-age=3600')
      .header('ETag', `"${target.file.id}-${variant}"`)
      .header(
        'Content-Disposition',
        contentDisposition(
          variant === 'original' ? target.file.original_name : `${target.file.id}-preview`,
        ),
      )
      // Nothing served here may run as a page, whatever a browser guesses.
      .header('Content-Security-Policy', "default-src 'none'; sandbox");
    if (range.kind === 'unsatisfiable') {
      void reply.header('Content-Range', `bytes */${target.size}`);
      throw new AppError(
        'RANGE_NOT_SATISFIABLE',
        `The range is outside the file (${target.size} bytes)`,
      );
    }
    if (
      request.headers['if-none-match'] === `"${target.file.id}-${variant}"` &&
      range.kind === 'whole'
    ) {
      return reply.status(304).send();
    }
    try {
      if (range.kind === 'partial') {
        const { start, end } = range.range;
        const stream = await ctx.files.read(target.key, range.range);
        return reply
          .status(206)
          .header('Content-Range', `bytes ${start}-${end}/${target.size}`)
          .header('Content-Length', String(end - start + 1))
          .send(stream);
      }
      const stream = await ctx.files.read(target.key);
      return reply.status(200).header('Content-Length', String(target.size)).send(stream);
    } catch (error) {
      if (error instanceof FileNotFoundError) {
        request.log.error({ fileId: target.file.id, key: target.key }, 'stored file is missing');
        throw new AppError('NOT_FOUND', 'The file’s content is missing from storage');
      }
      if (error instanceof StorageUnavailableError) {
        throw new AppError(
          'STORAGE_UNAVAILABLE',
          'File storage is unavailable right now; try again',
        );
      }
      throw error;
    }
  }

  app.get('/api/v1/files/:id', (request, reply) => serve(request, reply, 'original'));
  app.get('/api/v1/files/:id/thumbnail', (request, reply) => serve(request, reply, 'preview'));
  app.get('/api/v1/files/:id/cover', (request, reply) => serve(request, reply, 'preview', 'video'));
}
