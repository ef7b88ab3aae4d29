import path from 'node:path';
import type { S3Config } from '../config.js';
import type { FileStore } from './fileStore.js';
import { createLocalStore } from './localStore.js';
import { createS3Store } from './s3Store.js';

/** The configured store: the S3 bucket when one is set, else local disk under `dataDir/files`. */
export function createFileStore(options: { dataDir: string; s3: S3Config | undefined }): FileStore {
  return options.s3 === undefined
    ? createLocalStore(path.join(options.dataDir, 'files'))
    : createS3Store(options.s3);
}
