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
 * nothing. The bootstrap lock keeps nodes that start together from racing.
 */
export async function bootstrap(
  ctx: DomainContext,
  options: { adminUsername: string; adminPassword: string | undefined },
): Promise<BootstrapResult> {
  return ctx.transaction(
    async (trx) => {
      const result: BootstrapResult = {};
      const anyAccount = await trx.selectFrom('accounts').select('id').limit(1).executeTakeFirst();
      if (!anyAccount) {
        const created = await doCreateAccount(
          ctx,
          {
            username: options.adminUsername,
            displayName: 'Administrator',
            password: options.adminPassword,
            role: 'admin',
          },
          'setup',
          trx,
        );
        result.admin = {
          username: created.agent.username,
          ...(created.password ? { generatedPassword: created.password } : {}),
        };
      }
      const anyChannel = await trx.selectFrom('channels').select('id').limit(1).executeTakeFirst();
      if (!anyChannel) {
        const channel = await doCreateChannel(ctx, { name: 'Default' }, 'setup', trx);
        result.channel = { id: channel.id, name: channel.name };
      }
      return result;
    },
    // Nodes that start together on an empty database create one admin and one channel.
    { lock: 'bootstrap' },
  );
}
