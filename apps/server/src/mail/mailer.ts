import nodemailer from 'nodemailer';
import type { MailConfig } from '../config.js';

/** One mail as the outbox keeps it (the `mail` kind's payload), ready to send as it is. */
export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** The mail server refused or could not be reached; `permanent`: sending again will not help
 * (a 5xx answer, such as an unknown recipient). */
export class MailDeliveryError extends Error {
  override name = 'MailDeliveryError';
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
  }
}

export interface Mailer {
  /** Sends `mail` with the Message-ID `messageId`; throws MailDeliveryError. */
  send(mail: OutgoingMail, messageId: string): Promise<void>;
  close(): void;
}

/** Sends through the SMTP server of SMTP_URL (nodemailer), a connection per mail: mail is rare
 * (a reply digest, a transcript), and a fresh connection finds a restarted server at once. */
export function createSmtpMailer(config: MailConfig): Mailer {
  const transport = nodemailer.createTransport({
    url: config.smtpUrl,
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 60_000,
  } as Parameters<typeof nodemailer.createTransport>[0]);
  return {
    async send(mail, messageId) {
      try {
        await transport.sendMail({
          from: config.from,
          to: mail.to,
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          messageId,
        });
      } catch (error) {
        const code = (error as { responseCode?: unknown }).responseCode;
        const permanent = typeof code === 'number' && code >= 500 && code < 600;
        throw new MailDeliveryError(
          error instanceof Error ? error.message : String(error),
          permanent,
        );
      }
    },
    close() {
      transport.close();
    },
  };
}
