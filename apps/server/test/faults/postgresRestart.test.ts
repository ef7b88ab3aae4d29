import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../support/databaseRows.js';
import { eventually, newClientMsgId, request } from '../support/liveApp.js';
import { startPrivatePostgres, type PrivatePostgres } from '../support/privatePostgres.js';
import {
  api,
  connectClient,
  createAgent,
  createVisitor,
  firstChannelId,
  loginAdmin,
  startServerProcess,
  type ServerProcess,
} from '../support/serverProcess.js';

/** A failing request must answer this fast (no hanging on a dead pool). */
const fastMs = 2_000;

/**
 * PostgreSQL restarted under a running server (a private cluster, stopped with `pg_ctl stop -m
 * fast` and started again): every request fails fast with a clear 503, and the server recovers
 * by itself once PostgreSQL is back.
 */
describe('PostgreSQL restarted under a running server', () => {
  let pg: PrivatePostgres | undefined;
  let server: ServerProcess | undefined;
  let dataDir: string | undefined;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    pg = await startPrivatePostgres();
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'ss-faults-pg-'));
    server = await startServerProcess({ DATABASE_URL: pg.url, DATA_DIR: dataDir });
  });

  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    await server?.kill();
    await pg?.close();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('answers 503 SERVICE_UNAVAILABLE at once while it is down, then recovers without a restart', async () => {
    const { url } = server!;
    const adminToken = await loginAdmin(url);
    const channelId = await firstChannelId(url, adminToken);
    await createAgent(url, adminToken, { online: true });
    const visitorToken = await createVisitor(url, channelId);
    const visitorSocket = await connectClient(url, visitorToken);
    sockets.push(visitorSocket);
    const before = await request(visitorSocket, 'message.send', {
      clientMsgId: newClientMsgId(),
      type: 'text',
      body: 'before the restart',
    });
    expect(before.ok, JSON.stringify(before)).toBe(true);
    const pid = server!.running.child.pid;

    await pg!.stop();

    const unsent = { clientMsgId: newClientMsgId(), type: 'text', body: 'during the restart' };
    for (let round = 0; round < 3; round++) {
      const answers = await Promise.all([
        api(url, 'GET', '/api/v1/me', { token: adminToken }),
        api(url, 'GET', '/api/v1/conversations', { token: adminToken }),
        api(url, 'POST', '/api/v1/visitor/messages', { token: visitorToken, body: unsent }),
        api(url, 'POST', '/api/v1/auth/login', {
          body: { username: 'admin', password: 'admin-password-1' },
        }),
      ]);
      for (const answer of answers) {
        expect(answer.status, JSON.stringify(answer.body)).toBe(503);
        expect(answer.body).toEqual({
          error: { code: 'SERVICE_UNAVAILABLE', message: expect.any(String) },
        });
        expect(answer.ms).toBeLessThan(fastMs);
      }
      const health = await api(url, 'GET', '/healthz');
      expect(health.status).toBe(503);
      expect(health.body).toEqual({ status: 'unavailable' });
      expect(health.ms).toBeLessThan(fastMs);
    }
    // A new connection is refused as unavailable, not unauthenticated: a client must retry it,
    // not sign its user out.
    const newcomer = io(url, {
      auth: { token: adminToken },
      transports: ['websocket'],
      reconnection: false,
    });
    const handshake = await new Promise<{ data?: unknown }>((resolve) => {
      newcomer.once('connect_error', (error) => resolve(error as { data?: unknown }));
      newcomer.once('connect', () => resolve({}));
    });
    newcomer.close();
    expect(handshake.data).toEqual({ code: 'SERVICE_UNAVAILABLE', message: expect.any(String) });

    // The live connection stays; a send over it is refused the same way, at once.
    const started = Date.now();
    const refused = await request(visitorSocket, 'message.send', unsent);
    expect(refused).toEqual({
      ok: false,
      error: { code: 'SERVICE_UNAVAILABLE', message: expect.any(String) },
    });
    expect(Date.now() - started).toBeLessThan(fastMs);

    await pg!.start();

    // Back by itself: same process, no restart.
    await eventually(async () => {
      const me = await api(url, 'GET', '/api/v1/me', { token: adminToken });
      expect(me.status).toBe(200);
    }, 15_000);
    expect(server!.running.child.pid).toBe(pid);
    expect(server!.running.child.exitCode).toBeNull();
    expect((await api(url, 'GET', '/healthz')).status).toBe(200);

    // Nothing of the refused sends was kept; sent again with the same clientMsgId, it is
    // stored once.
    const stored = () =>
      queryRows(pg!.url, 'select id from messages where client_msg_id = $1', [unsent.clientMsgId]);
    expect(await stored()).toEqual([]);
    const again = await request(visitorSocket, 'message.send', unsent);
    expect(again.ok, JSON.stringify(again)).toBe(true);
    const viaRest = await api(url, 'POST', '/api/v1/visitor/messages', {
      token: visitorToken,
      body: unsent,
    });
    expect(viaRest.status).toBe(200); // a retry: answered, not created
    expect(viaRest.body.message.id).toBe(again.message.id);
    expect(await stored()).toEqual([{ id: again.message.id }]);
  });
});
