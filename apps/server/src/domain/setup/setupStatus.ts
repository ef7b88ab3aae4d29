import type { SetupStatus } from '@servicesystem/protocol';
import { anyAgentOnline } from '../agents/agentPresence.js';
import type { AccountActor, DomainContext } from '../context.js';
import { authorize, channelPolicy } from '../policies.js';

/**
 * The first-run checklist, worked out from real state each time (nothing to keep in step): an
 * agent exists, a website is allowed (or the visitor page link is in use: a conversation exists),
 * the bubble loaded on an allowed site, an agent is online, a conversation was started.
 */
export async function setupStatus(ctx: DomainContext, actor: AccountActor): Promise<SetupStatus> {
  authorize(channelPolicy.manage(actor), 'Only administrators see the setup checklist');
  const db = ctx.db;
  const [agent, channels, loaded, online, conversation] = await Promise.all([
    db
      .selectFrom('accounts')
      .select('id')
      .where('role', '=', 'agent')
      .where('disabled_at', 'is', null)
      .limit(1)
      .executeTakeFirst(),
    db.selectFrom('channels').select(['id', 'allowed_origins']).orderBy('created_at').execute(),
    db
      .selectFrom('channel_origins')
      .select('origin')
      .where('outcome', '=', 'loaded')
      .limit(1)
      .executeTakeFirst(),
    anyAgentOnline(db),
    db.selectFrom('conversations').select('id').limit(1).executeTakeFirst(),
  ]);
  const someSite = channels.some((c) => (JSON.parse(c.allowed_origins) as unknown[]).length > 0);
  const steps = {
    agentCreated: agent !== undefined,
    siteAllowed: someSite || conversation !== undefined,
    snippetLoaded: loaded !== undefined,
    agentOnline: online,
    firstConversation: conversation !== undefined,
  };
  return {
    steps,
    complete: Object.values(steps).every(Boolean),
    channelId: channels[0]?.id ?? null,
  };
}
