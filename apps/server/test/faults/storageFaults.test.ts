import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../support/databaseRows.js';
import { eventually } from '../support/liveApp.js';
import { filesUnder, jpegWithGps } from '../support/mediaFactory.js';
import { startS3Server, type S3Server } from '../support/s3Server.js';
import {
  api,
  createVisitor,
  firstChannelId,
  loginAdmin,
  startServerProcess,
  type ServerProcess,
} from '../support/serverProcess.js';
import { canMountTmpfs, mountSmallDisk, type SmallDisk } from '../support/smallDisk.js';
import { startTcpProxy, type TcpProxy } from '../support/tcpProxy.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

/** A refused upload must answer within this (no hanging on a dead store). */
const fastMs = 5_000;

let mediaDir = '';
let photo = '';
beforeAll(async () => {
  mediaDir = await fs.mkdtemp(path.join(os.tmpdir(), 'ss-faults-media-'));
  photo = path.join(mediaDir, 'photo.jpg');
  await jpegWithGps(photo);
});
afterAll(() => fs.rm(mediaDir, { recursive: true, force: true }));

interface UploadAnswer {
  status: number;
  body: any;
  ms: number;
}

/** POST /api/v1/uploads with one file, as a browser's FormData does. */
async function upload(url: string, token: string, file: string): Promise<UploadAnswer> {
  const form = new FormData();
  form.append('file', new Blob([await fs.readFile(file)], { type: 'image/jpeg' }), 'photo.jpg');
  const started = Date.now();
  const response = await fetch(`${url}/api/v1/uploads`, {
    method: 'POST',
    body: form,
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(30_000),
  });
  return { status: response.status, body: await response.json(), ms: Date.now() - started };
}

/**
 * The same upload with its body sent in two halves: `between` runs once the first half has been
 * sent, while the request is still in progress.
 */
async function uploadInTwoHalves(
  url: string,
  token: string,
  file: string,
  between: () => Promise<void>,
): Promise<UploadAnswer> {
  const bytes = await fs.readFile(file);
  const boundary = `----faults${randomBytes(8).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="photo.jpg"\r\n` +
      'Content-Type: image/jpeg\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const half = Math.floor(bytes.length / 2);
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(head);
      controller.enqueue(bytes.subarray(0, half));
      await between();
      controller.enqueue(bytes.subarray(half));
      controller.enqueue(tail);
      controller.close();
    },
  });
  const started = Date.now();
  const response = await fetch(`${url}/api/v1/uploads`, {
    method: 'POST',
    body,
    duplex: 'half',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': `multipart/form-data; boundary=${boundary}`,
    },
    signal: AbortSignal.timeout(30_000),
  } as RequestInit);
  return { status: response.status, body: await response.json(), ms: Date.now() - started };
}

function expectStorageUnavailable(answer: UploadAnswer): void {
  expect(answer.status, JSON.stringify(answer.body)).toBe(503);
  expect(answer.body).toEqual({
    error: { code: 'STORAGE_UNAVAILABLE', message: expect.any(String) },
  });
  expect(answer.ms).toBeLessThan(fastMs);
}

async function fileRowCount(databaseUrl: string): Promise<number> {
  const [row] = await queryRows<{ n: number }>(databaseUrl, 'select count(*) as n from files');
  return Number(row!.n);
}

/**
 * S3 goes away while an upload is in progress (a TCP hop in front of the fake S3 server is cut:
 * s3rver cannot be stopped and started again on the same port with its objects kept, and the
 * cut is what the server sees when S3 becomes unreachable).
 */
describe('S3 storage down during an upload', () => {
  let s3: S3Server | undefined;
  let proxy: TcpProxy | undefined;
  let db: TestDatabase | undefined;
  let server: ServerProcess | undefined;

  beforeAll(async () => {
    s3 = await startS3Server();
    proxy = await startTcpProxy('127.0.0.1', Number(new URL(s3.endpoint).port));
    db = await createTestDatabase('sqlite');
    server = await startServerProcess({
      DATABASE_URL: db.url,
      DATA_DIR: db.dataDir,
      S3_ENDPOINT: `http://127.0.0.1:${proxy.port}`,
      S3_BUCKET: 'chat-files',
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
    });
  });

  afterAll(async () => {
    await server?.kill();
    await proxy?.close();
    await s3?.close();
    await db?.drop();
  });

  it('answers 503 STORAGE_UNAVAILABLE, keeps no row and no object, and works again once S3 is back', async () => {
    const { url } = server!;
    const visitorToken = await createVisitor(url, await firstChannelId(url, await loginAdmin(url)));
    const work = path.join(db!.dataDir, 'tmp');

    const first = await upload(url, visitorToken, photo);
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    const objectsBefore = await s3!.objects();
    expect(objectsBefore).toHaveLength(2); // the photo and its thumbnail

    const refused = await uploadInTwoHalves(url, visitorToken, photo, async () => {
      // The server is receiving the upload: its bytes are arriving in the work folder.
      await eventually(async () => {
        expect((await filesUnder(work)).some((f) => path.basename(f).startsWith('upload-'))).toBe(
          true,
        );
      });
      proxy!.cut();
    });
    expectStorageUnavailable(refused);
    // The operator's log says what broke; the client only got the code.
    await eventually(() =>
      expect(server!.running.output().stdout).toMatch(/S3 storage .* could not store/),
    );
    expect(await fileRowCount(db!.url)).toBe(1);
    expect(await s3!.objects()).toEqual(objectsBefore);
    expect(await filesUnder(work)).toEqual([]);

    // Reading a stored file fails the same clear way.
    const read = await api(url, 'GET', first.body.file.url as string);
    expect(read.status).toBe(503);
    expect(read.body.error.code).toBe('STORAGE_UNAVAILABLE');

    proxy!.restore();
    const again = await upload(url, visitorToken, photo);
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect(await fileRowCount(db!.url)).toBe(2);
    expect(await s3!.objects()).toHaveLength(4);
    expect((await fetch(`${url}${first.body.file.url as string}`)).status).toBe(200);
  });
});

const mountable = await canMountTmpfs();

/**
 * The local store on a disk that fills up: real tmpfs file systems, filled to the last page, so
 * writes fail with ENOSPC. DATA_DIR (with the SQLite file, as by default, and the uploads' work
 * folder) is one small disk; DATA_DIR/files, where stored files go, is another inside it.
 * Mounting needs root: without it this part is skipped.
 */
describe.skipIf(!mountable)('the local disk full during an upload', () => {
  let root = '';
  let dataDisk: SmallDisk | undefined;
  let filesDisk: SmallDisk | undefined;
  let server: ServerProcess | undefined;

  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'ss-faults-disk-'));
    dataDisk = await mountSmallDisk(path.join(root, 'data'), 16 * 1024 * 1024);
    filesDisk = await mountSmallDisk(path.join(root, 'data', 'files'), 2 * 1024 * 1024);
    server = await startServerProcess({ DATA_DIR: dataDisk.dir });
  });

  afterAll(async () => {
    await server?.kill();
    await filesDisk?.unmount();
    await dataDisk?.unmount();
    await fs.rm(root, { recursive: true, force: true });
  });

  it('answers 503 STORAGE_UNAVAILABLE wherever the disk fills, keeps nothing, and recovers', async () => {
    const { url } = server!;
    const databaseUrl = `sqlite:${path.join(dataDisk!.dir, 'servicesystem.db')}`;
    const adminToken = await loginAdmin(url);
    const visitorToken = await createVisitor(url, await firstChannelId(url, adminToken));
    const work = path.join(dataDisk!.dir, 'tmp');
    const stored = async () =>
      (await filesUnder(filesDisk!.dir)).filter((f) => path.basename(f) !== 'filler.bin');

    const first = await upload(url, visitorToken, photo);
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    const storedBefore = await stored();
    expect(storedBefore).toHaveLength(2);

    const nothingKept = async () => {
      expect(await fileRowCount(databaseUrl)).toBe(1);
      expect(await stored()).toEqual(storedBefore);
      expect(await filesUnder(work)).toEqual([]);
    };

    // 1. The store's disk is full: the upload is received and processed, storing it fails.
    await filesDisk!.fill();
    expectStorageUnavailable(await upload(url, visitorToken, photo));
    await nothingKept();
    await filesDisk!.free();

    // 2. DATA_DIR's disk is full: the upload cannot even be received.
    await dataDisk!.fill();
    expectStorageUnavailable(await upload(url, visitorToken, photo));
    await dataDisk!.free();
    await nothingKept();

    // 3. Room for the upload, but not for the processed copies.
    const { size } = await fs.stat(photo);
    await dataDisk!.fill(size + 8192);
    expectStorageUnavailable(await upload(url, visitorToken, photo));
    await dataDisk!.free();
    await nothingKept();

    await eventually(() =>
      expect(server!.running.output().stdout).toMatch(/ENOSPC|No space left on device/),
    );

    // Room again: uploads work, without a restart, and the file can be sent.
    const again = await upload(url, visitorToken, photo);
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    const sent = await api(url, 'POST', '/api/v1/visitor/messages', {
      token: visitorToken,
      body: { clientMsgId: 'after-disk-full', type: 'image', fileId: again.body.file.id, body: '' },
    });
    expect(sent.status, JSON.stringify(sent.body)).toBe(201);
  });
});
