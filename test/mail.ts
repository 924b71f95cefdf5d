import { after } from 'node:test';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { createMailer, type Mailer } from '../src/platform/mail.ts';

/**
 * The mailer a test app gets when the test gives none: with an SMTP URL in its config, none (the app makes one for
 * that URL, a test/mail.ts sink); otherwise one that delivers nothing and writes nowhere, not to the test output.
 */
export function testMailer(config: { smtpUrl?: string } = {}): Mailer | undefined {
  return config.smtpUrl ? undefined : createMailer({}, () => {});
}

export type ReceivedMail = { from: string; to: string[]; subject: string; text: string };

export type MailSink = {
  /** smtp://127.0.0.1:<port>, for SMTP_URL. */
  url: string;
  /** Every message received so far, parsed, in order of arrival. */
  messages: ReceivedMail[];
  /**
   * Resolves with the first message to `to` (after the `skip` earlier ones), waiting up to `timeoutMs`; with
   * `subject`, only messages whose subject matches count.
   */
  waitFor(to: string, options?: { skip?: number; timeoutMs?: number; subject?: RegExp }): Promise<ReceivedMail>;
  /** Messages to `to` (whose subject matches `subject`, when given). */
  to(address: string, subject?: RegExp): ReceivedMail[];
};

/**
 * A real SMTP server on 127.0.0.1 (a free port) that accepts every message without authentication and keeps it,
 * parsed, for the test to read: the application's mail goes through nodemailer and the SMTP protocol as it
 * would in production. Stopped when the test file ends.
 */
export async function mailSink(): Promise<MailSink> {
  const messages: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((m) => {
          const addresses = (Array.isArray(m.to) ? m.to : m.to ? [m.to] : []).flatMap((a) => a.value.map((v) => (v.address ?? '').toLowerCase()));
          messages.push({ from: m.from?.text ?? '', to: addresses, subject: m.subject ?? '', text: m.text ?? '' });
          callback();
        })
        .catch((err: Error) => callback(err));
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.server.address();
  if (!address || typeof address === 'string') throw new Error('the SMTP sink has no port');
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const to = (a: string, subject?: RegExp) => messages.filter((m) => m.to.includes(a.toLowerCase()) && (!subject || subject.test(m.subject)));
  return {
    url: `smtp://127.0.0.1:${address.port}`,
    messages,
    to,
    async waitFor(address, options = {}) {
      const deadline = Date.now() + (options.timeoutMs ?? 5000);
      for (;;) {
        const found = to(address, options.subject)[options.skip ?? 0];
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no e-mail to ${address} arrived within ${options.timeoutMs ?? 5000} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}
