import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseLease, takeLease } from '../../src/db/leases.js';
import { unsentFileLifetimeMs } from '../../src/domain/files/fileLifecycle.js';
import { filesUnder } from '../support/mediaFactory.js';
import { newClientMsgId, startLiveApp, uploadPng, type LiveApp } from '../support/liveApp.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

/**
 * What becomes of uploads: one that no message took within a day is swept from storage and the
 * database; deleting a channel makes its files unreadable at once and removes them in the
 * background, picking up again after a restart. Background work runs on one node at a time,
 * by lease.
 */

let clock = Date.now();
const now = () => clock;

async function fetchStatus(t: LiveApp, url: string): Promise<number> {
  return (await fetch(`${t.url}${url}`)).status;
}

async function sendImage(t: LiveApp, token: string, fileId: string, conversationId?: string) {
  const answer = await t.request(
    'POST',
    conversationId
      ? `/api/v1/conversations/${conversationId}/messages`
      : '/api/v1/visitor/messages',
    { token, body: { clientMsgId: newClientMsgId(), type: 'image', fileId, body: '' } },
  );
  return answer;
}

describe('leases: one node at a time', () => {
  let t: LiveApp;
  beforeAll(async () => {
    t = await startLiveApp();
  });
  afterAll(() => t.close());

  const take = (holder: string, at: number, ttl = 1000) =>
    t.app.ctx.transaction((trx) => takeLease(trx, 'test.lease', holder, at, ttl));

  it('goes to one holder, is renewed by it, passes on when it expires or is released', async () => {
    const start = Date.now();
    expect(await take('node-a', start)).toBe(true);
    expect(await take('node-b', start + 10)).toBe(false);
    // The holder renews it; the other still cannot take it before the renewed expiry.
    expect(await take('node-a', start + 900)).toBe(true);
    expect(await take('node-b', start + 1500)).toBe(false);
    expect(await take('node-b', start + 1900)).toBe(true);
    expect(await take('node-a', start + 1950)).toBe(false);
    await t.app.ctx.transaction((trx) => releaseLease(trx, 'test.lease', 'node-b'));
    expect(await take('node-a', start + 1960)).toBe(true);
  });

  it('of many asking at once, exactly one gets it', async () => {
    const at = Date.now() + 10_000_000;
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        t.app.ctx.transaction((trx) => takeLease(trx, 'test.race', `node-${i}`, at, 1000)),
      ),
    );
    expect(answers.filter(Boolean)).toHaveLength(1);
  });
});

describe('uploads no message took', () => {
  let t: LiveApp;
  beforeAll(async () => {
    clock = Date.now();
    t = await startLiveApp({}, { now });
  });
  afterAll(() => t.close());

  it('are removed from storage and the database a day after upload; sent ones stay', async () => {
    const stored = () => filesUnder(path.join(t.db.dataDir, 'files'));
    const visitor = await t.visitor();
    const before = await stored();
    const unsent = await uploadPng(t, visitor.token);
    const sent = await uploadPng(t, visitor.token);
    const sentLate = await uploadPng(t, visitor.token);
    expect((await sendImage(t, visitor.token, sent)).status).toBe(201);
    // Two objects per file: the image and its thumbnail.
    expect((await stored()).length).toBe(before.length + 6);

    clock += unsentFileLifetimeMs - 60_000;
    await t.app.jobs.runNow('files');
    expect(
      (await t.request('GET', `/api/v1/files/${unsent}`, { token: visitor.token })).status,
    ).toBe(200);

    clock += 2 * 60_000;
    // Sent just before the sweep, a day after its upload: the sweep spares it.
    expect((await sendImage(t, visitor.token, sentLate)).status).toBe(201);
    await t.app.jobs.runNow('files');
    const gone = await t.request('GET', `/api/v1/files/${unsent}`, { token: visitor.token });
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe('NOT_FOUND');
    for (const id of [sent, sentLate]) {
      expect((await t.request('GET', `/api/v1/files/${id}`, { token: visitor.token })).status).toBe(
        200,
      );
    }
    const rows = await t.app.db.kysely.selectFrom('files').select('id').execute();
    expect(rows.map((r) => r.id)).not.toContain(unsent);
    const left = await stored();
    expect(left.length).toBe(before.length + 4);
    expect(left.some((file) => file.includes(unsent))).toBe(false);
    // Too late to send it now.
    const refused = await sendImage(t, visitor.token, unsent);
    expect(refused.status).toBe(404);
  });
});

describe("a deleted channel's files", () => {
  let db: TestDatabase;
  let t: LiveApp;
  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startLiveApp({}, { db });
  });
  afterAll(async () => {
    await t.close();
    await db.drop();
  });

  it('stop being readable at once, and are removed in the background, even across a restart', async () => {
    const stored = () => filesUnder(path.join(db.dataDir, 'files'));
    const created = await t.request('POST', '/api/v1/channels', {
      token: t.adminToken,
      body: { name: 'Closing shop' },
    });
    expect(created.status).toBe(201);
    const channelId = created.body.channel.id as string;
    const agent = await t.agent({ status: 'online' });
    const visitor = await t.visitor({ channelId });
    const kept = await t.visitor();

    const visitorFile = await uploadPng(t, visitor.token);
    const first = await sendImage(t, visitor.token, visitorFile);
    expect(first.status).toBe(201);
    const conversationId = first.body.conversation.id as string;
    const unsentVisitorFile = await uploadPng(t, visitor.token);
    const agentFile = await uploadPng(t, agent.token);
    const reply = await sendImage(t, agent.token, agentFile, conversationId);
    expect(reply.status).toBe(201);
    const keptFile = await uploadPng(t, kept.token);
    expect((await sendImage(t, kept.token, keptFile)).status).toBe(201);

    const urls = [
      first.body.message.attachment.url as string,
      first.body.message.attachment.previewUrl as string,
      reply.body.message.attachment.url as string,
    ];
    for (const url of urls) expect(await fetchStatus(t, url)).toBe(200);
    const before = await stored();

    expect(
      (await t.request('DELETE', `/api/v1/channels/${channelId}`, { token: t.adminToken })).status,
    ).toBe(204);
    // At once: signed URLs handed out before are dead, though the objects are still there.
    for (const url of urls) expect(await fetchStatus(t, url)).toBe(404);
    expect(await stored()).toEqual(before);

    // The node stops before its background round; the next start finishes the work.
    await t.close();
    t = await startLiveApp({}, { db });
    await expect.poll(async () => (await stored()).length, { timeout: 10_000 }).toBe(2);
    const left = await stored();
    expect(left.every((file) => file.includes(keptFile))).toBe(true);
    const rows = await t.app.db.kysely.selectFrom('files').select('id').execute();
    expect(rows.map((r) => r.id).sort()).toEqual([keptFile]);
    expect([visitorFile, unsentVisitorFile, agentFile]).not.toContain(keptFile);
  });
});
