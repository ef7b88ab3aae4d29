import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileInfo, MessageCreatedPayload, UploadResponse } from '@servicesystem/protocol';
import {
  newClientMsgId,
  nextEvent,
  request,
  startLiveApp,
  type LiveApp,
} from '../support/liveApp.js';
import {
  filesUnder,
  jpegWithGps,
  pixelBomb,
  png,
  truncated,
  video,
} from '../support/mediaFactory.js';
import { startS3Server, type S3Server } from '../support/s3Server.js';
import { testEngine } from '../support/testDatabase.js';

/** Media made once for every store. */
const media = {
  dir: '',
  jpeg: '',
  png: '',
  short: '',
  long: '',
  webm: '',
  brokenVideo: '',
  bomb: '',
  html: '',
  big: '',
};

beforeAll(async () => {
  media.dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ss-media-'));
  const at = (name: string) => path.join(media.dir, name);
  Object.assign(media, {
    jpeg: at('photo.jpg'),
    png: at('pic.png'),
    short: at('short.mp4'),
    long: at('long.mp4'),
    webm: at('clip.webm'),
    brokenVideo: at('broken.mp4'),
    bomb: at('bomb.png'),
    html: at('page.html'),
    big: at('big.bin'),
  });
  await Promise.all([
    jpegWithGps(media.jpeg),
    png(media.png),
    video(media.short, 0.5),
    video(media.long, 3),
    video(media.webm, 1, 'webm'),
    pixelBomb(media.bomb),
    fs.writeFile(media.html, '<html><script>alert(1)</script></html>'),
    fs.writeFile(media.big, Buffer.alloc(1.5 * 1024 * 1024, 7)),
  ]);
  await truncated(media.long, media.brokenVideo);
}, 60_000);
afterAll(() => fs.rm(media.dir, { recursive: true, force: true }));

// Every store on SQLite; the local store on PostgreSQL too (the store is engine-independent).
const stores = testEngine === 'sqlite' ? (['local', 's3'] as const) : (['local'] as const);

describe.each(stores)('media messages on the %s store', (store) => {
  let t: LiveApp;
  let s3: S3Server | undefined;
  let agent: { id: string; token: string };

  beforeAll(async () => {
    const env: Record<string, string> = { MAX_UPLOAD_MB: '1', MAX_VIDEO_SECONDS: '10' };
    if (store === 's3') {
      s3 = await startS3Server();
      Object.assign(env, {
        S3_ENDPOINT: s3.endpoint,
        S3_BUCKET: 'chat-files',
        S3_ACCESS_KEY_ID: 'S3RVER',
        S3_SECRET_ACCESS_KEY: 'S3RVER',
      });
    }
    t = await startLiveApp(env);
    agent = await t.agent({ status: 'online' });
  });
  afterAll(async () => {
    await t.close();
    await s3?.close();
  });

  async function upload(
    token: string | undefined,
    file: string,
    name = path.basename(file),
    type?: string,
  ) {
    const form = new FormData();
    const bytes = await fs.readFile(file);
    form.append('file', new Blob([bytes], type ? { type } : {}), name);
    const response = await fetch(`${t.url}/api/v1/uploads`, {
      method: 'POST',
      body: form,
      ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
    });
    return { status: response.status, body: (await response.json()) as any };
  }

  const get = (url: string, headers: Record<string, string> = {}) =>
    fetch(`${t.url}${url}`, { headers });

  /** Stored objects: files under DATA_DIR/files, or the S3 server's folder. */
  const storedObjects = () =>
    store === 'local' ? filesUnder(path.join(t.db.dataDir, 'files')) : s3!.objects();

  it('an image: content-typed, stripped of EXIF/GPS, with a ≤480 px thumbnail', async () => {
    const visitor = await t.visitor();
    const answer = await upload(visitor.token, media.jpeg, 'holiday.jpg', 'image/jpeg');
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    const file = UploadResponse.parse(answer.body).file;
    expect(file).toMatchObject({
      kind: 'image',
      mime: 'image/jpeg',
      width: 1200,
      height: 800,
      durationMs: null,
      name: 'holiday.jpg',
      previewWidth: 480,
      previewHeight: 320,
    });
    expect((await sharp(media.jpeg).metadata()).exif).toBeDefined();

    const original = await get(file.url);
    expect(original.status).toBe(200);
    expect(original.headers.get('content-type')).toBe('image/jpeg');
    expect(original.headers.get('x-content-type-options')).toBe('nosniff');
    expect(original.headers.get('content-disposition')).toMatch(/^inline; filename="holiday.jpg"/);
    expect(original.headers.get('accept-ranges')).toBe('bytes');
    const bytes = Buffer.from(await original.arrayBuffer());
    expect(bytes.length).toBe(file.size);
    const stored = await sharp(bytes).metadata();
    expect(stored.exif).toBeUndefined();
    expect([stored.width, stored.height]).toEqual([1200, 800]);

    const thumb = await get(file.previewUrl);
    expect(thumb.headers.get('content-type')).toBe('image/webp');
    const thumbMeta = await sharp(Buffer.from(await thumb.arrayBuffer())).metadata();
    expect([thumbMeta.width, thumbMeta.height]).toEqual([480, 320]);
  });

  it('a 3 s video: duration, size, a JPEG cover, and byte ranges for seeking', async () => {
    const answer = await upload(agent.token, media.long, 'clip.mp4');
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    const file = FileInfo.parse(answer.body.file);
    expect(file).toMatchObject({ kind: 'video', mime: 'video/mp4', width: 320, height: 240 });
    expect(file.durationMs).toBeGreaterThanOrEqual(2900);
    expect(file.durationMs).toBeLessThanOrEqual(3100);
    expect(file.previewUrl).toContain('/cover?');

    const cover = await get(file.previewUrl);
    expect(cover.headers.get('content-type')).toBe('image/jpeg');
    const coverMeta = await sharp(Buffer.from(await cover.arrayBuffer())).metadata();
    expect([coverMeta.format, coverMeta.width, coverMeta.height]).toEqual(['jpeg', 320, 240]);

    const whole = Buffer.from(await (await get(file.url)).arrayBuffer());
    expect(whole.length).toBe(file.size);
    const first = await get(file.url, { range: 'bytes=0-99' });
    expect(first.status).toBe(206);
    expect(first.headers.get('content-range')).toBe(`bytes 0-99/${file.size}`);
    expect(Buffer.from(await first.arrayBuffer())).toEqual(whole.subarray(0, 100));
    const middle = await get(file.url, { range: `bytes=1000-${file.size + 50}` });
    expect(middle.status).toBe(206);
    expect(Buffer.from(await middle.arrayBuffer())).toEqual(whole.subarray(1000));
    const tail = await get(file.url, { range: 'bytes=-10' });
    expect(Buffer.from(await tail.arrayBuffer())).toEqual(whole.subarray(whole.length - 10));
    const past = await get(file.url, { range: `bytes=${file.size}-` });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe(`bytes */${file.size}`);
    expect(((await past.json()) as any).error.code).toBe('RANGE_NOT_SATISFIABLE');
  });

  it('a 0.5 s clip gets its first frame as cover; webm is accepted', async () => {
    const short = await upload(agent.token, media.short);
    expect(short.status, JSON.stringify(short.body)).toBe(201);
    expect(short.body.file.durationMs).toBeLessThan(1000);
    expect((await get(short.body.file.previewUrl)).status).toBe(200);
    const webm = await upload(agent.token, media.webm);
    expect(webm.status, JSON.stringify(webm.body)).toBe(201);
    expect(webm.body.file.mime).toBe('video/webm');
  });

  it('sends an image message: the agent gets it with everything needed to render it', async () => {
    const visitor = await t.visitor();
    const visitorSocket = await t.connect(visitor.token);
    const agentSocket = await t.connect(agent.token);
    const uploaded = (await upload(visitor.token, media.png)).body.file;
    const heard = nextEvent(agentSocket, 'message.created', (p: any) => p.message.type === 'image');
    const ack = await request(visitorSocket, 'message.send', {
      clientMsgId: newClientMsgId(),
      type: 'image',
      fileId: uploaded.id,
      body: '  look at this  ',
    });
    expect(ack.ok, JSON.stringify(ack)).toBe(true);
    const payload = MessageCreatedPayload.parse(await heard);
    expect(payload.message).toMatchObject({ type: 'image', body: 'look at this' });
    expect(payload.message.attachment).toMatchObject({
      id: uploaded.id,
      kind: 'image',
      mime: 'image/png',
      width: 64,
      height: 64,
    });
    // The agent, a participant, reads the file with their own session, no signature needed.
    const direct = await get(`/api/v1/files/${uploaded.id}`, {
      authorization: `Bearer ${agent.token}`,
    });
    expect(direct.status).toBe(200);
    // History carries the attachment too.
    const history = await t.request(
      'GET',
      `/api/v1/conversations/${payload.message.conversationId}/messages`,
      { token: agent.token },
    );
    const image = history.body.messages.find((m: { type: string }) => m.type === 'image');
    expect(image.attachment.id).toBe(uploaded.id);
  });

  it('serves files only to those allowed', async () => {
    const owner = await t.visitor();
    const other = await t.visitor();
    const file = (await upload(owner.token, media.png)).body.file;
    const bare = `/api/v1/files/${file.id}`;
    expect((await get(bare)).status).toBe(401);
    expect((await get(bare, { authorization: `Bearer ${other.token}` })).status).toBe(403);
    expect((await get(bare, { authorization: `Bearer ${owner.token}` })).status).toBe(200);
    expect((await get(bare, { authorization: `Bearer ${t.adminToken}` })).status).toBe(200);
    // An agent who was never in a conversation with it: refused.
    const stranger = await t.agent();
    expect((await get(bare, { authorization: `Bearer ${stranger.token}` })).status).toBe(403);
    // A forged or re-used signature does not open another file or variant.
    const forged = file.url.replace(/sig=[^&]+/, 'sig=AAAA');
    expect((await get(forged)).status).toBe(401);
    const otherFile = (await upload(other.token, media.png)).body.file;
    const borrowed = file.url.replace(file.id, otherFile.id);
    expect((await get(borrowed)).status).toBe(401);
    const previewSigAsOriginal = `${bare}?${file.previewUrl.split('?')[1]}`;
    expect((await get(previewSigAsOriginal)).status).toBe(401);
    expect(
      (await get('/api/v1/files/nope', { authorization: `Bearer ${t.adminToken}` })).status,
    ).toBe(404);
  });

  it('only the uploader attaches a file, and as its own kind', async () => {
    const visitor = await t.visitor();
    const file = (await upload(visitor.token, media.png)).body.file;
    const sent = await t.request('POST', '/api/v1/visitor/messages', {
      token: visitor.token,
      body: { clientMsgId: newClientMsgId(), type: 'text', body: 'hi' },
    });
    const conversationId = sent.body.conversation.id;
    const theft = await t.request('POST', `/api/v1/conversations/${conversationId}/messages`, {
      token: agent.token,
      body: { clientMsgId: newClientMsgId(), type: 'image', fileId: file.id },
    });
    expect(theft.status).toBe(403);
    const wrongKind = await t.request('POST', '/api/v1/visitor/messages', {
      token: visitor.token,
      body: { clientMsgId: newClientMsgId(), type: 'video', fileId: file.id },
    });
    expect(wrongKind.status).toBe(400);
    expect(wrongKind.body.error.issues[0].path).toBe('fileId');
    const missing = await t.request('POST', '/api/v1/visitor/messages', {
      token: visitor.token,
      body: { clientMsgId: newClientMsgId(), type: 'image', fileId: 'no-such-file' },
    });
    expect(missing.status).toBe(404);
    const after = await t.request('GET', `/api/v1/conversations/${conversationId}`, {
      token: t.adminToken,
    });
    expect(after.body.conversation.lastSeq).toBe(sent.body.conversation.lastSeq);
  });

  it('refuses hostile uploads with a clear error and leaves nothing behind', async () => {
    const visitor = await t.visitor();
    const before = await storedObjects();
    const cases: [string, string, string | undefined, number, string][] = [
      [media.png, 'movie.mp4', undefined, 415, 'UNSUPPORTED_MEDIA_TYPE'],
      [media.html, 'photo.jpg', 'image/jpeg', 415, 'UNSUPPORTED_MEDIA_TYPE'],
      [media.jpeg, 'photo.jpg', 'image/png', 415, 'UNSUPPORTED_MEDIA_TYPE'],
      [media.brokenVideo, 'broken.mp4', 'video/mp4', 422, 'INVALID_MEDIA'],
      [media.bomb, 'bomb.png', 'image/png', 422, 'IMAGE_TOO_LARGE'],
      [media.big, 'big.jpg', 'image/jpeg', 413, 'PAYLOAD_TOO_LARGE'],
    ];
    for (const [file, name, type, status, code] of cases) {
      const answer = await upload(visitor.token, file, name, type);
      expect(answer.status, `${name}: ${JSON.stringify(answer.body)}`).toBe(status);
      expect(answer.body.error.code).toBe(code);
      expect(answer.body.error.message.length).toBeGreaterThan(10);
    }
    expect(await storedObjects()).toEqual(before);
    expect(await filesUnder(path.join(t.db.dataDir, 'tmp'))).toEqual([]);
    const rows = await t.app.ctx.db
      .selectFrom('files')
      .select('id')
      .where('owner_id', '=', visitor.id)
      .execute();
    expect(rows).toHaveLength(0);
  });

  it('keeps a hostile file name only as metadata', async () => {
    const visitor = await t.visitor();
    const name = '../../etc/passwd/..\\照片 x;.png';
    const answer = await upload(visitor.token, media.png, name);
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    expect(answer.body.file.name).toBe('照片 x;.png');
    const row = await t.app.ctx.db
      .selectFrom('files')
      .selectAll()
      .where('id', '=', answer.body.file.id)
      .executeTakeFirstOrThrow();
    expect(row.storage_key).toMatch(/^\d{4}\/\d{2}\/[0-9a-f-]{36}\.png$/);
    const served = await get(answer.body.file.url);
    expect(served.headers.get('content-disposition')).toBe(
      `inline; filename="__ x_.png"; filename*=UTF-8''${encodeURIComponent('照片 x;.png')}`,
    );
    if (store === 'local') {
      expect((await filesUnder(t.db.dataDir)).every((f) => !f.includes('passwd'))).toBe(true);
    }
  });

  it('refuses anonymous and non-multipart uploads', async () => {
    expect((await upload(undefined, media.png)).status).toBe(401);
    const visitor = await t.visitor();
    const json = await t.request('POST', '/api/v1/uploads', {
      token: visitor.token,
      body: { file: 'data' },
    });
    expect(json.status).toBe(415);
    const empty = await fetch(`${t.url}/api/v1/uploads`, {
      method: 'POST',
      body: new FormData(),
      headers: { authorization: `Bearer ${visitor.token}` },
    });
    expect([400, 415]).toContain(empty.status);
  });

  it('agents set an uploaded image as avatar; visitors can load it', async () => {
    const me = await t.agent();
    const image = (await upload(me.token, media.png)).body.file;
    const answer = await t.request('PATCH', '/api/v1/me', {
      token: me.token,
      body: { avatarFileId: image.id },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.account.avatarUrl).toBe(`/api/v1/files/${image.id}/thumbnail`);
    expect((await get(answer.body.account.avatarUrl)).status).toBe(200);
    // The original stays private; only the avatar (thumbnail) path is public.
    expect((await get(`/api/v1/files/${image.id}`)).status).toBe(401);
    const video = (await upload(me.token, media.short)).body.file;
    const notImage = await t.request('PATCH', '/api/v1/me', {
      token: me.token,
      body: { avatarFileId: video.id },
    });
    expect(notImage.status).toBe(400);
    const visitor = await t.visitor();
    const visitorImage = (await upload(visitor.token, media.png)).body.file;
    const notMine = await t.request('PATCH', '/api/v1/me', {
      token: me.token,
      body: { avatarFileId: visitorImage.id },
    });
    expect(notMine.status).toBe(403);
  });
});
