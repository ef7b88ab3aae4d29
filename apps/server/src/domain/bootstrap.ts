import { sql } from 'kysely';
import { doCreateAccount } from './accounts/createAccount.js';
import { doCreateChannel } from './channels/createChannel.js';
import type { DomainContext } from './context.js';

export interface BootstrapResult {
  /** Set when this start created the first admin. `password` only when it was generated. */
  admin?: { username: string; generatedPassword?: string };
  /** Set when this start created the default channel. */
  channel?: { id: string; name: string };
}

/**
 * First start on an empty database: the first admin and a default channel. Later starts create
 * nothing. On PostgreSQL an advisory lock keeps nodes that start together from racing.
 */
export async function bootstrap(
  ctx: DomainContext,
  options: { adminUsername: string; adminPassword: string | undefined },
): Promise<BootstrapResult> {
  return ctx.db.transaction().execute(async (trx) => {
    if (ctx.engine === 'postgres') {
      await sql`select pg_advisory_xact_lock(hashtext('servicesystem.bootstrap'))`.execute(trx);
    }
    // Writes made through tx join this transaction.
    const tx: DomainContext = { ...ctx, db: trx, write: (work) => work(trx) };
    const result: BootstrapResult = {};
    const anyAccount = await trx.selectFrom('accounts').select('id').limit(1).executeTakeFirst();
    if (!anyAccount) {
      const created = await doCreateAccount(tx, {
        username: options.adminUsername,
        displayName: 'Administrator',
        password: options.adminPassword,
        role: 'admin',
      });
      result.admin = {
        username: created.agent.username,
        ...(created.password ? { generatedPassword: created.password } : {}),
      };
    }
    const anyChannel = await trx.selectFrom('channels').select('id').limit(1).executeTakeFirst();
    if (!anyChannel) {
      const channel = await doCreateChannel(tx, { name: 'Default' });
      result.channel = { id: channel.id, name: channel.name };
    }
    return result;
  });
}
