import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../support/databaseRows.js';
import {
  api,
  createAgent,
  createVisitor,
  firstChannelId,
  loginAdmin,
  startServerProcess,
  type ServerProcess,
} from '../support/serverProcess.js';
import { startSmtpCatcher, type SmtpCatcher } from '../support/smtpCatcher.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The reply to a left message is committed, and its mail is in the outbox with it; the server
 * is killed (SIGKILL) before the mail's delay is over. A new process on the same database takes
 * the outbox job once the dead one's lease has run out, and sends the mail: exactly once.
 */
describe.each(['sqlite', 'postgres'] as const)(
  'a crash between a reply and its mail (%s)',
  (engine) => {
    let db: TestDatabase;
    let smtp: SmtpCatcher;
    let server: ServerProcess | undefined;

    beforeAll(async () => {
      db = await createTestDatabase(engine);
      smtp = await startSmtpCatcher();
      server = await startServerProcess({
        DATABASE_URL: db.url,
        DATA_DIR: db.dataDir,
        SMTP_URL: smtp.url,
        MAIL_FROM: 'support@shop.example',
        MAIL_REPLY_DELAY_SECONDS: '3',
        AGENT_OFFLINE_GRACE_SECONDS: '120',
      });
    });

    afterAll(async () => {
      await server?.kill();
      await smtp?.close();
      await db?.drop();
    });

    it('sends the mail once after a restart', async () => {
      const live = server!;
      const adminToken = await loginAdmin(live.url);
      const channelId = await firstChannelId(live.url, adminToken);
      const visitorToken = await createVisitor(live.url, channelId);
      const left = await api(live.url, 'POST', '/api/v1/visitor/leave-message', {
        token: visitorToken,
        body: { name: 'Crash Test', email: 'crash@example.com', message: 'Anyone there?' },
      });
      expect(left.status, JSON.stringify(left.body)).toBe(201);
      const conversationId = left.body.conversation.id as string;
      const agent = await createAgent(live.url, adminToken, { online: true });
      const reply = await api(
        live.url,
        'POST',
        `/api/v1/conversations/${conversationId}/messages`,
        {
          token: agent.token,
          body: { clientMsgId: 'crash-reply-1', type: 'text', body: 'Yes, here is your answer.' },
        },
      );
      expect(reply.status, JSON.stringify(reply.body)).toBe(201);
      // Committed with the reply, and not sent yet: its delay is 3 s.
      await live.kill();
      const pending = await queryRows<{ state: string; kind: string; attempts: number }>(
        db.url,
        'select state, kind, attempts from outbox',
      );
      expect(pending).toEqual([{ state: 'pending', kind: 'replyMail', attempts: 0 }]);
      expect(smtp.mails).toHaveLength(0);

      await live.restart();
      // The dead node's lease lasts three rounds (15 s); then this node takes the job.
      const [mail] = await smtp.waitForMails(1, 40_000);
      expect(mail!.to).toEqual(['crash@example.com']);
      expect(mail!.text).toContain('Yes, here is your answer.');
      // A few more rounds: still one.
      await sleep(11_000);
      expect(smtp.mails).toHaveLength(1);
      const sent = await queryRows<{ state: string; kind: string; message_id: string }>(
        db.url,
        'select state, kind, message_id from outbox',
      );
      expect(sent).toEqual([{ state: 'sent', kind: 'mail', message_id: mail!.messageId }]);
    });
  },
);
