import { randomInt, randomUUID } from 'node:crypto';
import {
  DisplayName,
  HttpUrl,
  type VisitorSessionRequest,
  type VisitorSessionResponse,
} from '@servicesystem/protocol';
import { verifyIdentityToken } from '../../auth/identityTokens.js';
import type { ChannelsTable, VisitorsTable } from '../../db/schema.js';
import { findChannelOrThrow } from '../channels/channelRows.js';
import { anyAgentOnline } from '../agents/agentPresence.js';
import { isChannelOpen } from '../channels/channelOpen.js';
import { parseTexts } from '../channels/channelTexts.js';
import { rateLimited } from '../errors.js';
import type { DomainContext } from '../context.js';
import type { Outcome } from '../events.js';
import { presentVisitor } from '../presenters/visitor.js';
import type { VisitorDevice } from './deviceOfUserAgent.js';
import { reportVisitorContext } from './reportVisitorContext.js';
import { suggestionsOf } from '../robot/knowledge.js';
import { localeOfLanguage } from '../robot/visitorLocale.js';
import { robotApplies, robotSender } from '../robot/robotMessages.js';

const day = 24 * 60 * 60 * 1000;
/** Anonymous visitors keep their token in localStorage: it lives a year. */
const anonymousTokenLifetime = 365 * day;
/** Identified visitors' host apps can sign a new identity any time. */
const identifiedTokenLifetime = 30 * day;

/**
 * Opens a visitor session on a channel. With `resume` (a reply mail's link), the visitor that
 * link was made for. With a valid identity token (signed by the host app's
 * backend with the channel's secret), the visitor is the host's user `sub`, the same one on every
 * device. Without one, an anonymous visitor: the one `currentToken` names when it is still valid
 * for this channel, else a new one. Every session start records the browser, OS and device of
 * its User-Agent (`origin.device`) and the page `input.context` reports, if any, in the visitor's
 * context (the console hears of a change).
 */
export async function startVisitorSession(
  ctx: DomainContext,
  input: VisitorSessionRequest,
  currentToken: string | undefined,
  origin: { ip: string; device: VisitorDevice | undefined },
): Promise<Outcome<VisitorSessionResponse>> {
  const channel = await findChannelOrThrow(ctx.db, input.channelId);
  const now = ctx.now();
  let visitor: VisitorsTable;
  // A reply mail's link: the visitor it names, when it is valid for this channel. Else the
  // session is made as without it, and the page says the link did not work.
  const resumed =
    input.resume === undefined || input.identity !== undefined
      ? undefined
      : await resumedVisitor(ctx, input.resume, channel.id);

  if (input.identity !== undefined) {
    const claims = await verifyIdentityToken(input.identity, channel.identity_secret, now);
    const name = DisplayName.safeParse(claims.name ?? '');
    const avatar = HttpUrl.safeParse(claims.avatar ?? '');
    const profile = {
      name: name.success ? name.data : `User ${claims.sub.slice(0, 24)}`,
      avatar_url: avatar.success ? avatar.data : null,
      attributes: JSON.stringify(claims.attributes ?? {}),
      updated_at: now,
    };
    visitor = await ctx.db
      .insertInto('visitors')
      .values({
        id: randomUUID(),
        channel_id: channel.id,
        external_id: claims.sub,
        last_agent_id: null,
        created_at: now,
        ...profile,
      })
      .onConflict((oc) =>
        oc
          .columns(['channel_id', 'external_id'])
          .where('external_id', 'is not', null)
          .doUpdateSet(profile),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
  } else if (resumed) {
    visitor = resumed;
  } else {
    const claims = currentToken ? await ctx.visitorTokens.verify(currentToken) : undefined;
    const existing =
      claims && claims.channelId === channel.id
        ? await ctx.db
            .selectFrom('visitors')
            .selectAll()
            .where('id', '=', claims.visitorId)
            .where('external_id', 'is', null)
            .where('erased_at', 'is', null)
            .executeTakeFirst()
        : undefined;
    if (existing) {
      visitor = existing;
    } else {
      // One address making anonymous visitor after visitor (to sidestep the per-visitor message
      // limit) is held to VISITOR_SESSIONS_PER_ADDRESS_PER_MINUTE. Returning visitors (a page
      // reload) and identities a host app signed are not counted.
      const waitMs = await ctx.visitorSessionLimit.take(origin.ip);
      if (waitMs > 0) {
        throw rateLimited(
          waitMs,
          (s) => `Too many new chat visitors from this address. Try again in ${s} s.`,
        );
      }
      visitor = {
        id: randomUUID(),
        channel_id: channel.id,
        external_id: null,
        name: `Visitor ${randomInt(1000, 10000)}`,
        avatar_url: null,
        attributes: '{}',
        last_agent_id: null,
        created_at: now,
        updated_at: now,
        erased_at: null,
      };
      await ctx.db.insertInto('visitors').values(visitor).execute();
    }
  }

  const expiresAt =
    now + (visitor.external_id === null ? anonymousTokenLifetime : identifiedTokenLifetime);
  const visitorToken = await ctx.visitorTokens.issue(
    { visitorId: visitor.id, channelId: channel.id },
    expiresAt,
  );
  const open = isChannelOpen(channel.business_hours, now);
  const agentsOnline = await anyAgentOnline(ctx.db);
  const robot = await robotOfSession(ctx, channel, now, input.context?.language);
  const { events } = await reportVisitorContext(
    ctx,
    { kind: 'visitor', visitorId: visitor.id, channelId: channel.id },
    input.context ?? {},
    origin.device,
  );
  const value: VisitorSessionResponse = {
    ...(input.resume === undefined ? {} : { resume: resumed ? 'resumed' : 'invalid' }),
    visitorToken,
    expiresAt: Math.floor(expiresAt / 1000) * 1000,
    visitor: presentVisitor(visitor),
    channel: {
      id: channel.id,
      name: channel.name,
      open,
      agentsOnline,
      welcomeMessage: parseTexts(channel.welcome_message),
      offHoursMessage: parseTexts(channel.off_hours_message),
      ratingEnabled: channel.rating_enabled !== 0,
      available: robot !== null || (open && agentsOnline),
      robot,
      mail: ctx.mail.enabled,
    },
  };
  return { value, events };
}

async function resumedVisitor(
  ctx: DomainContext,
  token: string,
  channelId: string,
): Promise<VisitorsTable | undefined> {
  const claims = await ctx.resumeTokens.verify(token);
  if (!claims || claims.channelId !== channelId) return undefined;
  return ctx.db
    .selectFrom('visitors')
    .selectAll()
    .where('id', '=', claims.visitorId)
    .where('channel_id', '=', channelId)
    .where('erased_at', 'is', null)
    .executeTakeFirst();
}

/** The robot as the visitor page may show it before the first message, when it takes new
 * conversations now. */
async function robotOfSession(
  ctx: DomainContext,
  channel: ChannelsTable,
  now: number,
  language: string | undefined,
): Promise<VisitorSessionResponse['channel']['robot']> {
  if (!robotApplies(channel, now)) return null;
  const locale = localeOfLanguage(language);
  const index = await ctx.robotKnowledge.indexFor(channel.id);
  const sender = robotSender(channel);
  return {
    name: sender.name,
    avatarUrl: sender.avatarUrl,
    greeting: parseTexts(channel.robot_greeting),
    suggestions: suggestionsOf(index.items, locale),
  };
}
