import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../support/databaseRows.js';
import {
  api,
  createVisitor,
  firstChannelId,
  loginAdmin,
  startServerProcess,
  type ServerProcess,
} from '../support/serverProcess.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import {
  eventually,
  startWebhookReceiver,
  verifySignature,
  type WebhookReceiver,
} from '../support/webhookReceiver.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Visitors write without pause while webhook deliveries are in flight to a slow receiver; the
 * server is killed (SIGKILL) and started again. Every message the database holds reaches the
 * receiver at least once, no event is missing or invented, and copies of one event carry one id.
 */
describe.each(['sqlite', 'postgres'] as const)(
  'a crash while webhooks are in flight (%s)',
  (engine) => {
    let db: TestDatabase;
    let receiver: WebhookReceiver;
    let server: ServerProcess | undefined;

    beforeAll(async () => {
      db = await createTestDatabase(engine);
      // Slow enough that some deliveries are always being answered when the kill comes.
      receiver = await startWebhookReceiver({ delayMs: 150 });
      server = await startServerProcess({
        DATABASE_URL: db.url,
        DATA_DIR: db.dataDir,
        WEBHOOK_ALLOW_PRIVATE: '1',
        VISITOR_SESSIONS_PER_ADDRESS_PER_MINUTE: '0',
        CONVERSATIONS_PER_ADDRESS_PER_MINUTE: '0',
        VISITOR_MESSAGES_PER_MINUTE: '0',
      });
    });

    afterAll(async () => {
      await server?.kill();
      await receiver?.close();
      await db?.drop();
    });

    it(
      'delivers every committed event at least once after a restart',
      { timeout: 120_000 },
      async () => {
        const live = server!;
        const adminToken = await loginAdmin(live.url);
        const channelId = await firstChannelId(live.url, adminToken);
        const made = await api(live.url, 'POST', '/api/v1/webhooks', {
          token: adminToken,
          body: { url: `${receiver.url}/crash`, events: ['message.created'] },
        });
        expect(made.status, JSON.stringify(made.body)).toBe(201);
        const secret = made.body.webhook.secret as string;

        // Writers that go on until the server is gone (their last sends may fail: fine).
        let writing = true;
        const writers = Array.from({ length: 6 }, async (_, w) => {
          const token = await createVisitor(live.url, channelId);
          for (let m = 0; writing; m++) {
            try {
              await api(live.url, 'POST', '/api/v1/visitor/messages', {
                token,
                body: {
                  clientMsgId: `w${w}-m${m}`,
                  type: 'text',
                  body: `writer ${w} message ${m}`,
                },
              });
            } catch {
              return;
            }
          }
        });
        await eventually(() => receiver.received.length >= 20, 'deliveries under way');
        await sleep(300);
        await live.kill();
        writing = false;
        await Promise.all(writers);
        const before = receiver.received.length;

        await live.restart();
        // Claims the dead process held lapse (attempt timeout + 5 s); then all is delivered.
        const deliveries = await eventually(
          async () => {
            const rows = await queryRows<{ event_id: string; state: string; payload: string }>(
              db.url,
              'select event_id, state, payload from webhook_deliveries',
            );
            return rows.length > 0 && rows.every((r) => r.state === 'delivered') && rows;
          },
          'every delivery after the restart',
          60_000,
        );
        expect(receiver.received.length).toBeGreaterThan(before);

        // Every message in the database (visitors' and the server's own) has its event, delivered.
        const messages = await queryRows<{ id: string }>(db.url, 'select id from messages');
        const eventOf = new Map<string, string>();
        for (const row of deliveries) {
          const payload = JSON.parse(row.payload) as { data: { message: { id: string } } };
          eventOf.set(payload.data.message.id, row.event_id);
        }
        expect(messages.filter((m) => !eventOf.has(m.id))).toEqual([]);
        expect(eventOf.size).toBe(messages.length);

        // The receiver got every event at least once, nothing else, and copies share an id.
        const got = receiver.on('/crash');
        const idsByMessage = new Map<string, Set<string>>();
        for (const r of got) {
          expect(verifySignature(secret, r.signature, r.body)).toBe(true);
          const id = r.json.data.message.id as string;
          idsByMessage.set(id, (idsByMessage.get(id) ?? new Set()).add(r.eventId));
        }
        expect([...idsByMessage.keys()].sort()).toEqual([...eventOf.keys()].sort());
        for (const [messageId, ids] of idsByMessage) {
          expect([...ids]).toEqual([eventOf.get(messageId)]);
        }
      },
    );
  },
);
