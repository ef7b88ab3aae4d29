import type { Server as HttpServer } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import { Server, type Socket } from 'socket.io';
import { fastifyCookie } from '@fastify/cookie';
import { resolveSession } from '../domain/accounts/resolveSession.js';
import { applyAgentStatus } from '../domain/agents/setAgentStatus.js';
import type { Actor, DomainContext } from '../domain/context.js';
import { resolveVisitor } from '../domain/visitors/resolveVisitor.js';
import { sessionCookieName } from '../http/authenticate.js';
import { AgentConnections } from './agentPresence.js';
import { registerHandlers } from './handlers.js';
import { createPublisher, type Publish } from './publisher.js';
import { rooms } from './rooms.js';

export interface Realtime {
  io: Server;
  publish: Publish;
  connections: AgentConnections;
  close(): Promise<void>;
}

interface AuthError extends Error {
  data?: { code: string; message: string };
}

function unauthenticated(message: string): AuthError {
  const error: AuthError = new Error(message);
  error.data = { code: 'UNAUTHENTICATED', message };
  return error;
}

function sameOrigin(origin: string | undefined, host: string | undefined, publicUrl: string) {
  if (origin === undefined) return true;
  return (
    origin === new URL(publicUrl).origin ||
    (host !== undefined && (origin === `http://${host}` || origin === `https://${host}`))
  );
}

/**
 * Socket.IO at /socket.io. The handshake carries `auth: {token}`: a console session token or a
 * visitor token; a browser on our own origin may use the session cookie instead. Each socket
 * joins the rooms of who it is; handlers are in handlers.ts, recipients in fanout.ts.
 */
export function createRealtime(
  server: HttpServer,
  ctx: DomainContext,
  options: { publicUrl: string; agentOfflineGraceMs: number; log: FastifyBaseLogger },
): Realtime {
  const io = new Server(server, {
    path: '/socket.io',
    serveClient: false,
    // Visitors connect from the pages that embed the chat, with a token, never a cookie.
    cors: { origin: true, credentials: false },
    maxHttpBufferSize: 1_000_000,
  });
  const publish = createPublisher(io, ctx.fileUrls);
  const { log } = options;

  const connections = new AgentConnections(options.agentOfflineGraceMs, (agentId) => {
    applyAgentStatus(ctx, agentId, 'offline', { currentIn: ['online', 'away'] }).then(
      (outcome) => publish(outcome.events),
      (error: unknown) => log.warn({ err: error, agentId }, 'could not mark agent offline'),
    );
  });

  io.use((socket, next) => {
    authenticate(socket).then(
      (actor) => {
        if (!actor) return next(unauthenticated('A valid token is required to connect'));
        socket.data.actor = actor;
        next();
      },
      (error: unknown) => {
        log.warn({ err: error }, 'socket authentication failed');
        next(unauthenticated('Authentication could not be checked; try again'));
      },
    );
  });

  async function authenticate(socket: Socket): Promise<Actor | undefined> {
    const auth = socket.handshake.auth as Record<string, unknown> | undefined;
    const token = typeof auth?.token === 'string' ? auth.token : undefined;
    if (token !== undefined) {
      if (token.startsWith('sst_')) return (await resolveSession(ctx, token))?.actor;
      return resolveVisitor(ctx, token);
    }
    const cookieHeader = socket.handshake.headers.cookie;
    if (!cookieHeader) return undefined;
    const headers = socket.handshake.headers;
    if (!sameOrigin(headers.origin, headers.host, options.publicUrl)) return undefined;
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
        connections.connected(actor.accountId);
        socket.on('disconnect', () => connections.disconnected(actor.accountId));
      }
    }
    registerHandlers(socket, actor, ctx, publish, log);
  });

  return {
    io,
    publish,
    connections,
    async close() {
      connections.stop();
      io.disconnectSockets(true);
      io.engine.close();
    },
  };
}
