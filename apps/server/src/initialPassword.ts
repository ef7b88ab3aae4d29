import fs from 'node:fs/promises';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { verifyPassword } from './auth/passwords.js';
import type { Database } from './db/schema.js';

/**
 * The first admin's generated password, also kept in `DATA_DIR/initial-admin-password` (owner
 * read/write only) so it cannot scroll away with the logs. The file goes as soon as that password
 * no longer works: the admin changed it, or an operator reset it.
 */
export const initialPasswordFile = (dataDir: string) =>
  path.join(dataDir, 'initial-admin-password');

export async function keepInitialPassword(
  dataDir: string,
  username: string,
  password: string,
): Promise<string> {
  const file = initialPasswordFile(dataDir);
  await fs.mkdir(dataDir, { recursive: true });
  const text = [
    `username: ${username}`,
    `password: ${password}`,
    '',
    'The first administrator of this ServiceSystem. This file is deleted once the password',
    'is changed (console: your name → Change password).',
    '',
  ].join('\n');
  await fs.writeFile(file, text, { mode: 0o600 });
  await fs.chmod(file, 0o600);
  return file;
}

/** Deletes the file when its password no longer signs its admin in. */
export async function forgetInitialPasswordIfChanged(
  db: Kysely<Database>,
  dataDir: string,
): Promise<void> {
  const file = initialPasswordFile(dataDir);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return;
  }
  const username = /^username: (.+)$/m.exec(text)?.[1];
  const password = /^password: (.+)$/m.exec(text)?.[1];
  const account = username
    ? await db
        .selectFrom('accounts')
        .select('password_hash')
        .where('username', '=', username)
        .executeTakeFirst()
    : undefined;
  if (!account || !password || !(await verifyPassword(account.password_hash, password))) {
    await fs.rm(file, { force: true });
  }
}
