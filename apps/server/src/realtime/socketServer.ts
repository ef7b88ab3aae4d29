import type { Server as HttpServer } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import { Server, type Socket } from 'socket.io';
import { fastifyCookie } from '@fastify/cookie';
import { clientAddressOf, type ProxyTrust } from '../auth/clientAddress.js';
import { comesFromOwnSite, isOwnOrigin } from '../auth/requestOrigin.js';
import { resolveSession } from '../domain/accounts/resolveSession.js';
import { channelOrigins, frameAncestorsOfChannel } from '../domain/channels/frameAncestors.js';
import { agentsNotOffline } from '../domain/agents/agentPresence.js';
import { applyAgentStatus, resumeChosenStatus } from '../domain/agents/setAgentStatus.js';
import type { Actor, DomainContext } from '../domain/context.js';
import type { ActionRunner } from '../domain/runner.js';
import { resolveVisitor } from '../domain/visitors/resolveVisitor.js';
import { sessionCookieName } from '../http/authenticate.js';
import { AgentConnections } from './agentConnections.js';
import { registerHandlers, type SocketEventObserver } from './handlers.js';
import { createSocketDelivery } from './socketDelivery.js';
import { RedisPresence } from './redisPresence.js';
import { rooms } from './rooms.js';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import type { Redis } from 'ioredis';

export interface Realtime {
  io: Server;
  connections: AgentConnections;
  close(): Promise<void>;
}

/**
 * Closes the transport of every socket on this node (not the others'). Closing the transport,
 * not disconnecting the socket: a client treats "io server disconnect" as "the server sent you
 * away" and stays away; after a lost transport it reconnects by itself (through the load
 * balancer, to a node that is up) and resyncs.
 */
function closeLocalTransports(io: Server): void {
  // The namespace's `sockets` are this process's own connections.
  for (const socket of io.of('/').sockets.values()) socket.conn.close();
}

interface AuthError extends Error {
  data?: { code: string; message: string };
}

/** Open sockets one visitor may have on one node (tabs, the embed and the page, reconnects). */
const socketsPerVisitor = 10;

function refusal(
  code: 'UNAUTHENTICATED' | 'SERVICE_UNAVAILABLE' | 'RATE_LIMITED',
  message: string,
): AuthError {
  const error: AuthError = new Error(message);
  error.data = { code, message };
  return error;
}

/**
 * Socket.IO at /socket.io. The handshake carries `auth: {token}`: a console session token or a
 * visitor token; a browser on our own origin may use the session cookie instead. Each socket
 * joins the rooms of who it is; handlers are in handlers.ts, recipients in fanout.ts.
 */
export function createRealtime(
  server: HttpServer,
  ctx: DomainContext,
  runner: ActionRunner,
  options: {
    publicUrl: string;
    agentOfflineGraceMs: number;
    log: FastifyBaseLogger;
    /** Client events per socket: at once, then a minute (0: no limit). */
    socketEvents: { burst: number; perMinute: number };
    /** Open sockets one client address may have on this node (0: no limit). */
    socketsPerAddress: number;
    /** TRUST_PROXY, as for REST: which `X-Forwarded-For` hops give the client's address. */
    proxyTrust: ProxyTrust;
    /** Several nodes: events cross them through Redis streams; presence lives in Redis. */
    redis?: { client: Redis; prefix: string } | undefined;
    /** Hears each handled client event (metrics); undefined: nothing is timed. */
    observeSocketEvent?: SocketEventObserver | undefined;
  },
): Realtime {
  const { log, redis } = options;
  const publicOrigin = new URL(options.publicUrl).origin;
  let stopping = false;
  const io = new Server(server, {
    path: '/socket.io',
    serveClient: false,
    // Browsers may connect from our own pages and from the websites listed on a channel; those
    // connect with a visitor token, never a cookie (no credentials). Same-origin pages need no
    // CORS header; a channel's website gets one; any other site gets none.
    cors: {
      origin: (origin, callback) => {
        if (origin === undefined || origin === publicOrigin) {
          return callback(null, origin !== undefined);
        }
        channelOrigins(ctx.db).then(
          (allowed) => callback(null, allowed.has(origin)),
          (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
        );
      },
      credentials: false,
    },
    // The handshake (polling or WebSocket; WebSockets know no CORS) is refused outright from a
    // browser page on any other site.
    allowRequest: (request, callback) => {
      // Stopping: no new connections. The client's transport fails, so it tries again by itself
      // a moment later, through the load balancer, and reaches a node that is up.
      if (stopping) return callback('this node is stopping', false);
      const origin = request.headers.origin;
      if (origin === undefined || isOwnOrigin(origin, request.headers.host, options.publicUrl)) {
        return callback(null, true);
      }
      channelOrigins(ctx.db).then(
        (allowed) =>
          callback(allowed.has(origin) ? null : 'origin not allowed', allowed.has(origin)),
        (error: unknown) => {
          log.warn({ err: error }, 'socket origin check failed');
          callback('origin check failed', false);
        },
      );
    },
    maxHttpBufferSize: 1_000_000,
    ...(redis
      ? {
          adapter: createAdapter(redis.client, {
            streamName: `${redis.prefix}:socket.io`,
            channelPrefix: `${redis.prefix}:socket.io`,
            sessionKeyPrefix: `${redis.prefix}:socket.io:session:`,
          }),
        }
      : {}),
  });
  runner.listen(createSocketDelivery(io, ctx.fileUrls, { clustered: redis !== undefined }));
  const graceMs = options.agentOfflineGraceMs;
  const presence = redis
    ? new RedisPresence(redis.client, redis.prefix, Math.max(5000, graceMs))
    : undefined;

  const markOffline = (agentId: string) =>
    runner
      .run(applyAgentStatus(ctx, agentId, 'offline', { currentIn: ['online', 'away'] }))
      .catch((error: unknown) => log.warn({ err: error, agentId }, 'could not mark agent offline'));

  const connections = new AgentConnections(graceMs, (agentId) => {
    if (!presence) return void markOffline(agentId);
    // Another node may serve the agent now.
    presence.connectedAnywhere(agentId).then(
      (elsewhere) => (elsewhere ? undefined : markOffline(agentId)),
      (error: unknown) => log.warn({ err: error, agentId }, 'presence check failed'),
    );
  });

  // With several nodes, a node that crashed cannot mark its agents offline: every node sweeps
  // for agents no node has renewed, once their entries have expired.
  let sweeper: NodeJS.Timeout | undefined;
  if (presence) {
    presence.start();
    sweeper = setInterval(
      () => {
        void (async () => {
          for (const id of await agentsNotOffline(ctx.db)) {
            if (await presence.lapsed(id)) await markOffline(id);
          }
        })().catch((error: unknown) => log.warn({ err: error }, 'presence sweep failed'));
      },
      Math.max(1000, Math.floor(graceMs / 2)),
    );
    sweeper.unref();
  }

  // Events other nodes published while Redis was unreachable never reached this node's clients,
  // and nothing else tells them so. Once Redis is back, close their connections: they reconnect
  // and resync (missed messages by seq, conversations afresh), as after any network gap.
  if (redis) {
    let lost = false;
    redis.client.on('close', () => (lost = true));
    redis.client.on('ready', () => {
      if (!lost) return;
      lost = false;
      log.warn("Redis is back: closing this node's connections so that clients resync");
      closeLocalTransports(io);
    });
  }

  // Open sockets per client address on this node, counted from a successful handshake until
  // the connection closes (whatever closes it).
  const openPerAddress = new Map<string, number>();
  const countOpen = (socket: Socket, address: string) => {
    if (socket.conn.readyState !== 'open') return;
    openPerAddress.set(address, (openPerAddress.get(address) ?? 0) + 1);
    socket.conn.once('close', () => {
      const left = (openPerAddress.get(address) ?? 1) - 1;
      if (left > 0) openPerAddress.set(address, left);
      else openPerAddress.delete(address);
    });
  };

  io.use((socket, next) => {
    const address = clientAddressOf(socket.request, options.proxyTrust);
    const full = () =>
      options.socketsPerAddress > 0 &&
      (openPerAddress.get(address) ?? 0) >= options.socketsPerAddress;
    if (full()) return next(refusal('RATE_LIMITED', 'Too many open connections from this address'));
    authenticate(socket).then(
      (actor) => {
        if (!actor) return next(refusal('UNAUTHENTICATED', 'A valid token is required to connect'));
        if (
          actor.kind === 'visitor' &&
          (io.sockets.adapter.rooms.get(rooms.visitor(actor.visitorId))?.size ?? 0) >=
            socketsPerVisitor
        ) {
          return next(refusal('RATE_LIMITED', 'Too many open connections for this visitor'));
        }
        // Checked again: other handshakes from the address may have finished meanwhile.
        if (full()) {
          return next(refusal('RATE_LIMITED', 'Too many open connections from this address'));
        }
        socket.data.actor = actor;
        socket.data.address = address;
        countOpen(socket, address);
        next();
      },
      (error: unknown) => {
        // Not the client's fault (the database is down, say): it must not sign out, but retry.
        log.warn({ err: error }, 'socket authentication failed');
        next(refusal('SERVICE_UNAVAILABLE', 'Authentication could not be checked; try again'));
      },
    );
  });

  async function authenticate(socket: Socket): Promise<Actor | undefined> {
    const auth = socket.handshake.auth as Record<string, unknown> | undefined;
    const token = typeof auth?.token === 'string' ? auth.token : undefined;
    const headers = socket.handshake.headers;
    const origin = headers.origin;
    const foreignOrigin =
      origin !== undefined && !isOwnOrigin(origin, headers.host, options.publicUrl)
        ? origin
        : undefined;
    if (token !== undefined) {
      if (token.startsWith('sst_')) {
        // The console lives on our own origin; another site has no business with its sessions.
        if (foreignOrigin !== undefined) return undefined;
        return (await resolveSession(ctx, token))?.actor;
      }
      const visitor = await resolveVisitor(ctx, token);
      // A website connects only for visitors of a channel that lists it.
      if (visitor && foreignOrigin !== undefined) {
        const allowed = await frameAncestorsOfChannel(ctx.db, visitor.channelId);
        if (!allowed.includes(foreignOrigin)) return undefined;
      }
      return visitor;
    }
    const cookieHeader = headers.cookie;
    if (!cookieHeader) return undefined;
    if (!comesFromOwnSite(headers, options.publicUrl)) return undefined;
    const cookieToken = fastifyCookie.parse(cookieHeader)[sessionCookieName];
    return cookieToken ? (await resolveSession(ctx, cookieToken))?.actor : undefined;
  }

  io.on('connection', (socket) => {
    const actor = socket.data.actor as Actor;
    if (actor.kind === 'visitor') {
      void socket.join(rooms.visitor(actor.visitorId));
    } else {
      void socket.join([rooms.agent(actor.accountId), rooms.session(actor.sessionId)]);
      void socket.join(actor.role === 'admin' ? rooms.admins : rooms.agents);
      if (actor.role === 'agent') {
        const agentId = actor.accountId;
        if (connections.connected(agentId)) {
          presence?.here(agentId).catch((error: unknown) => log.warn({ err: error }, 'presence'));
        }
        runner
          .run(resumeChosenStatus(ctx, agentId))
          .catch((error: unknown) => log.warn({ err: error, agentId }, 'could not resume status'));
        socket.on('disconnect', () => {
          if (connections.disconnected(agentId)) {
            presence
              ?.gone(agentId, graceMs)
              .catch((error: unknown) => log.warn({ err: error }, 'presence'));
          }
        });
      }
    }
    registerHandlers(
      socket,
      actor,
      ctx,
      runner.run,
      log,
      options.socketEvents,
      options.observeSocketEvent,
    );
  });

  return {
    io,
    connections,
    async close() {
      stopping = true;
      connections.stop();
      if (sweeper) clearInterval(sweeper);
      await presence?.stop();
      // This node's connections only: `io.disconnectSockets()` goes through the adapter to every
      // node, so a rolling restart would send every client of every node away.
      closeLocalTransports(io);
      io.engine.close();
    },
  };
}
