import nodemailer from 'nodemailer';
import type { Config } from '../config.ts';

export type MailMessage = { to: string; subject: string; text: string };

/** Sends e-mail. Services receive one through `createServices`, so tests can point it at a real SMTP sink. */
export type Mailer = {
  send(message: MailMessage): Promise<void>;
  /** Whether messages reach anyone: false without `SMTP_URL`, when they are only written to the log. */
  readonly delivers: boolean;
  /** Closes pooled SMTP connections. */
  close(): void;
};

/**
 * A mailer for the configured SMTP server (`SMTP_URL`, from `MAIL_FROM`). Without `SMTP_URL` nothing is sent:
 * each message is written to the log instead, marked as not sent, so a local installation can still follow a
 * password-reset link. Such a log holds live links: set SMTP_URL on any shared installation.
 */
export function createMailer(
  config: Partial<Pick<Config, 'smtpUrl' | 'mailFrom'>>,
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Mailer {
  const from = config.mailFrom ?? 'Warden <warden@localhost>';
  if (!config.smtpUrl) {
    return {
      delivers: false,
      async send(m) {
        log(
          [
            'E-MAIL NOT SENT (SMTP_URL is not set). The message is written here instead:',
            `  From: ${from}`,
            `  To: ${m.to}`,
            `  Subject: ${m.subject}`,
            ...m.text.split('\n').map((l) => `  | ${l}`),
          ].join('\n'),
        );
      },
      close() {},
    };
  }
  const transport = nodemailer.createTransport(config.smtpUrl);
  return {
    delivers: true,
    async send(m) {
      await transport.sendMail({ from, to: m.to, subject: m.subject, text: m.text });
    },
    close() {
      transport.close();
    },
  };
}
