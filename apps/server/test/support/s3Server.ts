import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import { filesUnder } from './mediaFactory.js';

/** A fake S3 server (s3rver) on loopback, for the S3 file store. */
export interface S3Server {
  endpoint: string;
  /** Keys of every stored object, to prove what was (not) left behind. */
  objects(): Promise<string[]>;
  close(): Promise<void>;
}

export async function startS3Server(): Promise<S3Server> {
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), 's3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async objects() {
      return (await filesUnder(directory))
        .filter((file) => file.endsWith('._S3rver_object'))
        .map((file) => path.relative(directory, file));
    },
    async close() {
      await server.close();
      await fs.rm(directory, { recursive: true, force: true });
    },
  };
}
