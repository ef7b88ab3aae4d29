import '../nodeVersion.js';
import { openDomain } from '../app.js';
import { ConfigError, loadConfig } from '../config.js';
import { doCreateAccount } from '../domain/accounts/createAccount.js';
import { doResetPassword } from '../domain/accounts/resetAccountPassword.js';
import { AppError } from '../domain/errors.js';
import { Username } from '@servicesystem/protocol';

/**
 * The operator's CLI, run on the server machine with the server's environment:
 *   npm run admin -- reset-password <username>
 *   npm run admin -- create-admin <username>
 * Each prints a new generated password once.
 */
const usage = `Usage:
  npm run admin -- reset-password <username>   set a new password and end the account's sessions
  npm run admin -- create-admin <username>     create an administrator`;

async function run(args: string[]): Promise<number> {
  const [command, rawUsername, ...rest] = args;
  if (
    !command ||
    !rawUsername ||
    rest.length > 0 ||
    !['reset-password', 'create-admin'].includes(command)
  ) {
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  const username = Username.safeParse(rawUsername);
  if (!username.success) {
    process.stderr.write(`Invalid username: ${username.error.issues[0]?.message ?? ''}\n`);
    return 2;
  }
  const config = loadConfig();
  const { db, ctx } = await openDomain(config);
  try {
    if (command === 'reset-password') {
      const {
        value: { password },
      } = await doResetPassword(ctx, { username: username.data }, undefined, 'cli');
      process.stdout.write(`New password for ${username.data}: ${password}\n`);
    } else {
      const created = await doCreateAccount(
        ctx,
        { username: username.data, displayName: username.data, role: 'admin' },
        'cli',
      );
      process.stdout.write(
        `Created admin ${username.data} with password: ${created.password ?? ''}\n`,
      );
    }
    return 0;
  } finally {
    await db.close();
  }
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof AppError || error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
    } else {
      process.stderr.write(`Failed: ${error instanceof Error ? error.message : String(error)}\n`);
    }
    process.exit(1);
  },
);
