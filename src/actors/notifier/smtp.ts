/**
 * SMTP alerts as keepalived 2.2.7 sends them (core/smtp.c, vrrp/vrrp_notify.c):
 *   Subject: [<router_id>] VRRP Instance VI_1 - Entering MASTER state
 *            [<router_id>] VRRP Group VG_1 - Entering MASTER state
 *            [<router_id>] Realserver <rs> of virtual server <vs> - UP|DOWN
 *            [<router_id>] Virtualserver <vs> - <text>
 *   Headers: Date, From: <notification_email_from>, Subject, X-Mailer: Keepalived,
 *            To: <all notification_email joined by ", ">
 *   Body:    "=> VRRP Instance is now owning VRRP VIPs <=" (one line)
 *   Envelope: MAIL FROM:<notification_email_from>, one RCPT TO per notification_email.
 * Defaults: smtp_server port 25, smtp_helo_name = local host name, smtp_connect_timeout 30 s,
 * notification_email_from = keepalived@<local host name>, router_id = local host name.
 * A state already mailed is not mailed again (last_email_state); `no_email_faults` skips FAULT.
 *
 * Beyond keepalived (our own global_defs keywords, documented in config/README.md): `smtp_starttls`
 * (use STARTTLS when offered; `smtp_starttls require` to refuse a server without it),
 * `smtp_tls_ca_file` (PEM CA bundle that replaces the system CAs when verifying the server's
 * certificate) and `smtp_auth_user` / `smtp_auth_pass`. The certificate is always verified (name and
 * chain); a failed verification is an E_SMTP_TLS error and the mail is never sent in clear instead.
 *
 * Sending never delays the caller: MailQueue.enqueue() returns at once; delivery is retried with
 * exponential backoff until the server accepts; the queue is bounded and drops its oldest mail.
 */
import fs from 'node:fs';
import os from 'node:os';
import nodemailer from 'nodemailer';
import type { SendMailOptions, Transporter } from 'nodemailer';
import type { Logger } from '../../util/log';
import type { MailAlert } from './alerts';

export interface SmtpConfig {
  /** smtp_server host (IP or name) */
  host: string;
  /** smtp_server port, default 25 */
  port?: number;
  /** smtp_helo_name, default the local host name */
  heloName?: string;
  /** smtp_connect_timeout in ms, default 30 000 */
  connectTimeoutMs?: number;
  /** notification_email_from, default keepalived@<hostname> */
  from?: string;
  /** notification_email */
  to: string[];
  /** ours: 'off' (default, like keepalived: plain SMTP), 'opportunistic', 'require' */
  starttls?: 'off' | 'opportunistic' | 'require';
  /** ours: AUTH credentials */
  auth?: { user: string; pass: string };
  /** ours: `smtp_tls_ca_file` — PEM file of the CA(s) trusted for the server's certificate (default: system CAs) */
  tlsCaFile?: string;
}

/** Our error codes for a failed delivery (logged as `code`; nodemailer's own code goes to `smtpCode`). */
export type SmtpErrorCode = 'E_SMTP_TLS' | 'E_SMTP_AUTH' | 'E_SMTP_TIMEOUT' | 'E_SMTP_REJECTED' | 'E_SMTP_CONNECT';

const TLS_ERRNO = /^(ERR_TLS_|ERR_SSL_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|CERT_|HOSTNAME_MISMATCH)/;

/** Classify a nodemailer / socket error: TLS (STARTTLS missing or refused, certificate not trusted), AUTH, timeout, 5xx, other. */
export function smtpErrorCode(e: unknown): SmtpErrorCode {
  const err = (e ?? {}) as { code?: string; responseCode?: number; message?: string; cause?: { code?: string } };
  const code = err.code ?? '';
  // first: a server refusing STARTTLS answers 500/502, which is not a rejection of the mail
  if (code === 'ETLS' || TLS_ERRNO.test(code) || TLS_ERRNO.test(err.cause?.code ?? '') || /certificate|STARTTLS|TLS/i.test(err.message ?? '')) return 'E_SMTP_TLS';
  if (code === 'EAUTH') return 'E_SMTP_AUTH';
  if (err.responseCode !== undefined && err.responseCode >= 500 && err.responseCode < 600) return 'E_SMTP_REJECTED';
  if (code === 'ETIMEDOUT' || /timeout/i.test(err.message ?? '')) return 'E_SMTP_TIMEOUT';
  return 'E_SMTP_CONNECT';
}

/** A failure that retrying cannot fix: a 5xx reply to the mail or to AUTH (a TLS failure is retried). */
export function smtpPermanent(e: unknown): boolean {
  const c = smtpErrorCode(e);
  const rc = (e as { responseCode?: number } | undefined)?.responseCode;
  return c === 'E_SMTP_REJECTED' || (c === 'E_SMTP_AUTH' && rc !== undefined && rc >= 500 && rc < 600);
}

/**
 * TLS options for nodemailer: the CA file replaces the system CAs. An unreadable file trusts nothing
 * (`ca: []` — every server certificate then fails verification, E_SMTP_TLS) rather than silently
 * falling back to the system CAs; `caError` says why.
 */
export function tlsOptions(cfg: Pick<SmtpConfig, 'tlsCaFile' | 'host'>): { tls: { ca?: Buffer[]; rejectUnauthorized: true; minVersion: 'TLSv1.2' }; caError?: string } {
  if (!cfg.tlsCaFile) return { tls: { rejectUnauthorized: true, minVersion: 'TLSv1.2' } };
  try {
    return { tls: { ca: [fs.readFileSync(cfg.tlsCaFile)], rejectUnauthorized: true, minVersion: 'TLSv1.2' } };
  } catch (e) {
    return { tls: { ca: [], rejectUnauthorized: true, minVersion: 'TLSv1.2' }, caError: `smtp_tls_ca_file ${cfg.tlsCaFile}: ${(e as Error).message}` };
  }
}

export type { MailAlert, AlertState } from './alerts';
export { defaultRouterId, instanceAlert, groupAlert, realServerAlert, virtualServerAlert, shouldEmail } from './alerts';

/** The message as keepalived composes it (nodemailer adds Date and Message-ID). */
export function composeMail(cfg: SmtpConfig, alert: MailAlert): SendMailOptions {
  const from = cfg.from ?? `keepalived@${os.hostname()}`;
  return {
    from,
    to: cfg.to.join(', '),
    envelope: { from, to: cfg.to },
    subject: alert.subject,
    text: `${alert.body}\r\n`,
    xMailer: 'Keepalived',
  };
}

export function createSmtpTransport(cfg: SmtpConfig): Transporter {
  const timeout = cfg.connectTimeoutMs ?? 30_000;
  return nodemailer.createTransport({
    host: cfg.host,
    port: cfg.port ?? 25,
    secure: false,
    name: cfg.heloName ?? os.hostname(),
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    ignoreTLS: (cfg.starttls ?? 'off') === 'off',
    requireTLS: cfg.starttls === 'require',
    tls: tlsOptions(cfg).tls,
    auth: cfg.auth ? { user: cfg.auth.user, pass: cfg.auth.pass } : undefined,
  });
}

export interface MailQueueOptions {
  /** bounded queue length; the oldest mail is dropped (with a warning) when full. Default 100. */
  maxQueue?: number;
  /** first retry delay, doubled after each failure up to maxBackoffMs. Default 1 000 / 60 000 ms. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  log?: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** test seam: the function that sends one mail */
  send?: (mail: SendMailOptions) => Promise<unknown>;
}

export interface MailQueueStats {
  sent: number;
  dropped: number;
  rejected: number;
  retries: number;
  queued: number;
}

/**
 * A queue whose enqueue() never waits: mails go out one at a time, in order; a failed delivery
 * (server down, timeout, 4xx) is retried with exponential backoff forever; a 5xx rejection is
 * permanent and the mail is dropped with an error log.
 */
export class MailQueue {
  private readonly q: MailAlert[] = [];
  private readonly transport: Transporter | undefined;
  private readonly send: (mail: SendMailOptions) => Promise<unknown>;
  private busy = false;
  private timer: NodeJS.Timeout | undefined;
  private backoff: number;
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  readonly stats: MailQueueStats = { sent: 0, dropped: 0, rejected: 0, retries: 0, queued: 0 };

  constructor(readonly cfg: SmtpConfig, private readonly opts: MailQueueOptions = {}) {
    this.backoff = opts.initialBackoffMs ?? 1000;
    const { caError } = tlsOptions(cfg);
    if (caError && (cfg.starttls ?? 'off') !== 'off') opts.log?.error({ code: 'E_SMTP_TLS_CA', file: cfg.tlsCaFile }, `${caError} - no server certificate will be trusted`);
    if (opts.send) this.send = opts.send;
    else {
      const t = createSmtpTransport(cfg);
      this.transport = t;
      this.send = (m) => t.sendMail(m);
    }
  }

  /** mails waiting (the one in flight excluded) */
  get length(): number {
    return this.q.length;
  }

  enqueue(alert: MailAlert): void {
    if (this.closed || this.cfg.to.length === 0) return;
    const max = this.opts.maxQueue ?? 100;
    while (this.q.length >= max) {
      const old = this.q.shift()!;
      this.stats.dropped++;
      this.opts.log?.warn({ subject: old.subject, maxQueue: max }, 'SMTP alert queue full - dropping oldest alert');
    }
    this.q.push(alert);
    this.stats.queued = this.q.length;
    if (!this.busy && !this.timer) setImmediate(() => void this.pump());
  }

  /** resolves when the queue is empty and nothing is in flight */
  idle(): Promise<void> {
    if (this.q.length === 0 && !this.busy) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.transport?.close();
  }

  private async pump(): Promise<void> {
    if (this.busy || this.closed) return;
    this.busy = true;
    try {
      while (this.q.length > 0 && !this.closed) {
        // the mail in flight leaves the queue, so the bound never drops it; it comes back on a retry
        const alert = this.q.shift()!;
        try {
          await this.send(composeMail(this.cfg, alert));
          this.stats.sent++;
          this.backoff = this.opts.initialBackoffMs ?? 1000;
          this.opts.log?.info({ subject: alert.subject }, 'SMTP alert successfully sent.');
        } catch (e) {
          const err = e as { responseCode?: number; code?: string; message?: string };
          const code = smtpErrorCode(err);
          if (smtpPermanent(err)) {
            this.stats.rejected++;
            this.opts.log?.error({ code, subject: alert.subject, responseCode: err.responseCode }, `SMTP server rejected alert: ${err.message}`);
            continue;
          }
          this.q.unshift(alert);
          this.stats.retries++;
          const delay = this.backoff;
          this.backoff = Math.min(this.backoff * 2, this.opts.maxBackoffMs ?? 60_000);
          this.opts.log?.warn(
            { err: err.message, code, smtpCode: err.code, retryInMs: delay, server: `${this.cfg.host}:${this.cfg.port ?? 25}` },
            code === 'E_SMTP_TLS' ? `SMTP TLS failure - alert not sent, will retry: ${err.message}` : 'Error connecting to SMTP server - will retry',
          );
          this.timer = setTimeout(() => {
            this.timer = undefined;
            void this.pump();
          }, delay);
          this.timer.unref();
          return;
        }
      }
    } finally {
      this.busy = false;
      this.stats.queued = this.q.length;
      if (this.q.length === 0) {
        const w = this.idleWaiters;
        this.idleWaiters = [];
        for (const f of w) f();
      }
    }
  }
}
