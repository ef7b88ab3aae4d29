import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { S3Config } from '../../src/config.js';
import { createFileStore } from '../../src/storage/createFileStore.js';
import {
  FileNotFoundError,
  StorageUnavailableError,
  type FileStore,
} from '../../src/storage/fileStore.js';
import { createLocalStore } from '../../src/storage/localStore.js';
import { createS3Store } from '../../src/storage/s3Store.js';

/** The same store behaviour, checked on local disk and on a fake S3 server (s3rver). */

const size = 300 * 1024 + 17;
const content = randomBytes(size);
let scratch: string;
let sample: string;

beforeAll(async () => {
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'filestore-'));
  sample = path.join(scratch, 'sample.bin');
  await fs.writeFile(sample, content);
});

afterAll(async () => {
  await fs.rm(scratch, { recursive: true, force: true });
});

async function readAll(stream: Readable): Promise<Buffer> {
  return Buffer.concat((await stream.toArray()) as Buffer[]);
}

/** Byte equality without element-by-element deep comparison (slow on 300 KB). */
function expectBytes(actual: Buffer, expected: Buffer): void {
  expect({ length: actual.length, same: actual.equals(expected) }).toEqual({
    length: expected.length,
    same: true,
  });
}

function s3Config(endpoint: string, overrides: Partial<S3Config> = {}): S3Config {
  return {
    endpoint,
    bucket: 'chat-files',
    region: 'us-east-1',
    // s3rver's built-in account.
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    forcePathStyle: true,
    ...overrides,
  };
}

interface FakeS3 {
  server: S3rver;
  directory: string;
  endpoint: string;
}

/** An s3rver on a free port with an empty temp directory and no buckets. */
async function startFakeS3(): Promise<FakeS3> {
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), 's3rver-'));
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory,
    configureBuckets: [],
  });
  const { port } = await server.run();
  return { server, directory, endpoint: `http://127.0.0.1:${port}` };
}

async function stopFakeS3(fake: FakeS3): Promise<void> {
  await fake.server.close().catch(() => undefined); // already closed by the test
  await fs.rm(fake.directory, { recursive: true, force: true });
}

interface Driver {
  kind: 'local' | 's3';
  open(): Promise<{ store: FileStore; close(): Promise<void> }>;
}

const drivers: Driver[] = [
  {
    kind: 'local',
    async open() {
      const root = path.join(scratch, 'local-root', 'files');
      return { store: createLocalStore(root), close: async () => undefined };
    },
  },
  {
    kind: 's3',
    async open() {
      const fake = await startFakeS3();
      return { store: createS3Store(s3Config(fake.endpoint)), close: () => stopFakeS3(fake) };
    },
  },
];

describe.each(drivers)('$kind file store', ({ open }) => {
  let store: FileStore;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ store, close } = await open());
    // Creates the local folder / the bucket.
    await store.check();
  });

  afterAll(async () => {
    await close();
  });

  it('passes check() again once set up', async () => {
    await expect(store.check()).resolves.toBeUndefined();
  });

  it('reads back exactly the bytes it stored, and leaves the source in place', async () => {
    await store.put('2026/11/whole.bin', sample, 'application/octet-stream');
    expectBytes(await readAll(await store.read('2026/11/whole.bin')), content);
    expectBytes(await fs.readFile(sample), content);
  });

  it('reads byte ranges, end inclusive', async () => {
    await store.put('2026/11/ranges.bin', sample, 'application/octet-stream');
    const slice = async (start: number, end: number) =>
      readAll(await store.read('2026/11/ranges.bin', { start, end }));

    expectBytes(await slice(0, 0), content.subarray(0, 1));
    expectBytes(await slice(0, 1), content.subarray(0, 2));
    expectBytes(await slice(1000, 70_999), content.subarray(1000, 71_000));
    expectBytes(await slice(size - 1, size - 1), content.subarray(size - 1));
    expectBytes(await slice(12_345, size - 1), content.subarray(12_345));
    expectBytes(await slice(0, size - 1), content);
    // Running past the end is cut short; starting past it is refused.
    expectBytes(await slice(size - 10, size + 1000), content.subarray(size - 10));
    await expect(slice(size, size + 10)).rejects.toThrow(RangeError);
    await expect(slice(10, 5)).rejects.toThrow(RangeError);
  });

  it('throws FileNotFoundError for a key never stored', async () => {
    await expect(store.read('2026/11/never-stored.jpg')).rejects.toBeInstanceOf(FileNotFoundError);
    await expect(
      store.read('2026/11/never-stored.jpg', { start: 0, end: 9 }),
    ).rejects.toBeInstanceOf(FileNotFoundError);
  });

  it('forgets a deleted file, and deleting twice (or never stored) is fine', async () => {
    await store.put('2026/11/deleted.bin', sample, 'application/octet-stream');
    await store.delete('2026/11/deleted.bin');
    await expect(store.read('2026/11/deleted.bin')).rejects.toBeInstanceOf(FileNotFoundError);
    await expect(store.delete('2026/11/deleted.bin')).resolves.toBeUndefined();
    await expect(store.delete('1999/01/never-stored.bin')).resolves.toBeUndefined();
  });

  it('keeps keys in nested folders apart, and a folder is not a file', async () => {
    const small = path.join(scratch, 'small.txt');
    await fs.writeFile(small, 'thumbnail');
    await store.put('2026/12/a/b/c/deep.bin', sample, 'application/octet-stream');
    await store.put('2026/12/a/b/c/deep-thumb.webp', small, 'image/webp');

    expectBytes(await readAll(await store.read('2026/12/a/b/c/deep.bin')), content);
    expect((await readAll(await store.read('2026/12/a/b/c/deep-thumb.webp'))).toString()).toBe(
      'thumbnail',
    );
    await expect(store.read('2026/12/a/b')).rejects.toBeInstanceOf(FileNotFoundError);
    await store.delete('2026/12/a/b/c/deep.bin');
    expect((await readAll(await store.read('2026/12/a/b/c/deep-thumb.webp'))).toString()).toBe(
      'thumbnail',
    );
  });

  it('stores nothing when the source file is missing', async () => {
    await expect(
      store.put('2026/11/no-source.bin', path.join(scratch, 'absent.bin'), 'image/png'),
    ).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(store.read('2026/11/no-source.bin')).rejects.toBeInstanceOf(FileNotFoundError);
  });

  it.each([
    '../escape.bin',
    '2026/../../escape.bin',
    '/etc/escape.bin',
    '2026\\11\\escape.bin',
    '2026/11/esc\0ape.bin',
    '2026//escape.bin',
    './escape.bin',
    '',
  ])('refuses the key %j for every operation', async (key) => {
    await expect(store.put(key, sample, 'image/png')).rejects.toThrow(/Invalid storage key/);
    await expect(store.read(key)).rejects.toThrow(/Invalid storage key/);
    await expect(store.delete(key)).rejects.toThrow(/Invalid storage key/);
    await expect(fs.stat(path.join(scratch, 'local-root', 'escape.bin'))).rejects.toThrow();
    await expect(fs.stat(path.join(scratch, 'escape.bin'))).rejects.toThrow();
  });
});

describe('local file store on disk', () => {
  it('writes rootDir/<key> and leaves no temporary files behind', async () => {
    const root = path.join(scratch, 'layout');
    const store = createLocalStore(root);
    await store.put('2026/11/photo.jpg', sample, 'image/jpeg');
    expectBytes(await fs.readFile(path.join(root, '2026/11/photo.jpg')), content);
    expect(await fs.readdir(path.join(root, '2026/11'))).toEqual(['photo.jpg']);

    // A put that fails after copying (the key names an existing folder, so the rename fails)
    // leaves no temporary file behind.
    await store.put('2026/11/taken/inner.jpg', sample, 'image/jpeg');
    await expect(store.put('2026/11/taken', sample, 'image/jpeg')).rejects.toThrow();
    expect((await fs.readdir(path.join(root, '2026/11'))).sort()).toEqual(['photo.jpg', 'taken']);
  });

  it('check() creates a missing root and leaves no probe file', async () => {
    const root = path.join(scratch, 'fresh', 'nested', 'files');
    await createLocalStore(root).check();
    expect(await fs.readdir(root)).toEqual([]);
  });

  it('is unavailable when the root is a file, not a folder', async () => {
    const root = path.join(scratch, 'root-is-a-file');
    await fs.writeFile(root, 'not a folder');
    const store = createLocalStore(root);

    const checked = store.check();
    await expect(checked).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(checked).rejects.toThrow(root);
    await expect(store.put('2026/11/x.jpg', sample, 'image/jpeg')).rejects.toBeInstanceOf(
      StorageUnavailableError,
    );
  });

  it('createFileStore() uses dataDir/files when no bucket is configured', async () => {
    const dataDir = path.join(scratch, 'data');
    const store = createFileStore({ dataDir, s3: undefined });
    expect(store.kind).toBe('local');
    await store.put('2026/11/via-factory.bin', sample, 'application/octet-stream');
    expect((await fs.readFile(path.join(dataDir, 'files/2026/11/via-factory.bin'))).length).toBe(
      size,
    );
    expect(createFileStore({ dataDir, s3: s3Config('http://127.0.0.1:1') }).kind).toBe('s3');
  });
});

describe('S3 file store against s3rver', () => {
  let fake: FakeS3;

  beforeAll(async () => {
    fake = await startFakeS3();
  });

  afterAll(async () => {
    await stopFakeS3(fake);
  });

  it('check() creates the missing bucket; before that, reads are unavailable, not missing', async () => {
    const store = createS3Store(s3Config(fake.endpoint, { bucket: 'made-by-check' }));
    await expect(store.read('2026/11/x.jpg')).rejects.toBeInstanceOf(StorageUnavailableError);
    await store.check();
    expect(await fs.readdir(fake.directory)).toContain('made-by-check');
    await store.check();
    await store.put('2026/11/x.jpg', sample, 'image/jpeg');
    expectBytes(await readAll(await store.read('2026/11/x.jpg')), content);
  });

  it('nodes starting together all pass check() on one missing bucket, whoever creates it', async () => {
    const stores = Array.from({ length: 6 }, () =>
      createS3Store(s3Config(fake.endpoint, { bucket: 'made-together' })),
    );
    const results = await Promise.allSettled(stores.map((store) => store.check()));
    expect(results.map((r) => r.status)).toEqual(stores.map(() => 'fulfilled'));
    expect(await fs.readdir(fake.directory)).toContain('made-together');
  });

  it('stores the content type and the plain bytes (no aws-chunked framing)', async () => {
    const store = createS3Store(s3Config(fake.endpoint, { bucket: 'typed' }));
    await store.check();
    await store.put('2026/11/typed.webp', sample, 'image/webp');
    // s3rver answers unsigned requests, which lets the test look at the object directly.
    const response = await fetch(`${fake.endpoint}/typed/2026/11/typed.webp`);
    expect(response.headers.get('content-type')).toBe('image/webp');
    expectBytes(Buffer.from(await response.arrayBuffer()), content);
  });

  it('is unavailable with an unknown access key', async () => {
    // s3rver does not verify V4 signatures, so a wrong secret would pass; a wrong key id does not.
    const store = createS3Store(s3Config(fake.endpoint, { accessKeyId: 'NOT-S3RVER' }));
    const checked = store.check();
    await expect(checked).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(checked).rejects.toThrow(/access denied/);
  });

  it('is unavailable, quickly, when nothing listens at the endpoint', async () => {
    const port = await closedPort();
    const endpoint = `http://127.0.0.1:${port}`;
    const store = createS3Store(s3Config(endpoint, { bucket: 'nobody-home' }));
    const started = Date.now();
    const checked = store.check();
    await expect(checked).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(checked).rejects.toThrow(`endpoint ${endpoint}, bucket nobody-home`);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('is unavailable for put, read and delete once the server has stopped', async () => {
    const own = await startFakeS3();
    try {
      const store = createS3Store(s3Config(own.endpoint));
      await store.check();
      await store.put('2026/11/before.bin', sample, 'application/octet-stream');
      await own.server.close();

      const started = Date.now();
      await expect(
        store.put('2026/11/after.bin', sample, 'application/octet-stream'),
      ).rejects.toBeInstanceOf(StorageUnavailableError);
      await expect(store.read('2026/11/before.bin')).rejects.toBeInstanceOf(
        StorageUnavailableError,
      );
      await expect(store.delete('2026/11/before.bin')).rejects.toBeInstanceOf(
        StorageUnavailableError,
      );
      await expect(store.check()).rejects.toBeInstanceOf(StorageUnavailableError);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await stopFakeS3(own);
    }
  });
});

/** A port that was free a moment ago and has no listener now. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
