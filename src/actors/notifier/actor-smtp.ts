/**
 * SMTP alert actor (pool 'notifier'), one per daemon with smtp_server and notification_email. It owns
 * the MailQueue and the nodemailer transport inside its worker thread, so a dead or hanging SMTP
 * server can never block the main thread or a VRRP actor: delivery is retried with backoff here.
 *
 * keepalived's filter lives here too: a state already mailed for an instance/group is not mailed
 * again (last_email_state), FAULT is skipped with no_email_faults. The daemon only sends transitions
 * of instances/groups with smtp_alert on (never STOP).
 *
 * Restarts: the snapshot keeps the mails not yet sent and the last state mailed per instance/group;
 * a restarted actor sends the queued mails once each. The mail in flight at the crash leaves the
 * snapshot when its send starts, so it is lost rather than sent twice (at most once).
 */
import type { SendMailOptions, Transporter } from 'nodemailer';
import { defineActor, type ActorContext } from '../runtime';
import { MailQueue, createSmtpTransport, smtpPermanent, instanceAlert, groupAlert, shouldEmail, type SmtpConfig, type MailAlert, type AlertState } from './smtp';
import type { LogRequest } from './job-messages';

export interface SmtpActorInit {
  smtp: SmtpConfig;
  routerId: string;
  noEmailFaults: boolean;
}

export type ToSmtpActor =
  | { type: 'transition'; seq: number; kind: 'INSTANCE' | 'GROUP'; name: string; state: AlertState }
  /** a checker alert (real server up/down, virtual server quorum), composed by the main thread */
  | { type: 'alert'; seq: number; alert: MailAlert }
  | { type: 'config'; init: SmtpActorInit }
  | { type: 'flush'; token: number };

export type FromSmtpActor = LogRequest | { type: 'flushed'; token: number };

export interface SmtpActorSnapshot {
  lastSeq: number;
  /** `INSTANCE:VI_1` → last state mailed */
  lastEmailed: Record<string, AlertState>;
  /** queued, not in flight */
  pending: MailAlert[];
  sent: number;
  lost: number;
}

interface Working {
  init: SmtpActorInit;
  snap: SmtpActorSnapshot;
  queue: MailQueue;
  transport: Transporter;
}

type Ctx = ActorContext<FromSmtpActor, Working>;

/**
 * The live incarnation per actor id on this host. A crashed incarnation gets no stop() call, so the
 * next start() closes its queue and transport here — else it would keep retrying its mails in the
 * background and send them a second time.
 */
const live = new Map<string, Working>();

function retire(w: Working | undefined): void {
  if (!w) return;
  w.queue.close();
  w.transport.close();
}

function makeQueue(ctx: Ctx, init: SmtpActorInit, getW: () => Working | undefined): { queue: MailQueue; transport: Transporter } {
  const transport = createSmtpTransport(init.smtp);
  const logAs = (level: LogRequest['level']) => (obj: object, msg?: string): void => {
    ctx.send({ type: 'log', level, fields: { ...(obj as Record<string, unknown>) }, msg: msg ?? '' });
  };
  const send = async (mail: SendMailOptions): Promise<unknown> => {
    const w = getW();
    let inflight: MailAlert | undefined;
    if (w) {
      const i = w.snap.pending.findIndex((a) => a.subject === mail.subject);
      if (i >= 0) [inflight] = w.snap.pending.splice(i, 1);
      ctx.report(w.snap);
    }
    try {
      const r = await transport.sendMail(mail);
      if (w) {
        w.snap.sent++;
        ctx.report(w.snap);
      }
      return r;
    } catch (e) {
      const permanent = smtpPermanent(e);
      if (w && inflight && !permanent) {
        w.snap.pending.unshift(inflight); // MailQueue retries it first
        ctx.report(w.snap);
      }
      throw e;
    }
  };
  const queue = new MailQueue(init.smtp, { send, log: { info: logAs('info'), warn: logAs('warn'), error: logAs('error') } as never });
  return { queue, transport };
}

export const actor = defineActor<ToSmtpActor, FromSmtpActor, SmtpActorInit, Working>({
  start(ctx, init, snapshot) {
    const s = snapshot as SmtpActorSnapshot | undefined;
    const snap: SmtpActorSnapshot = s && Array.isArray(s.pending) ? s : { lastSeq: 0, lastEmailed: {}, pending: [], sent: 0, lost: 0 };
    retire(live.get(ctx.id));
    const { queue, transport } = makeQueue(ctx, init, () => ctx.state);
    ctx.state = { init, snap, queue, transport };
    live.set(ctx.id, ctx.state);
    for (const a of snap.pending) queue.enqueue(a);
    ctx.report(snap);
  },

  receive(ctx, msg) {
    const w = ctx.state;
    if (!w) return;
    switch (msg.type) {
      case 'transition': {
        if (msg.seq <= w.snap.lastSeq) return;
        w.snap.lastSeq = msg.seq;
        const key = `${msg.kind}:${msg.name}`;
        if (msg.state === 'STOP' || !shouldEmail(w.snap.lastEmailed[key], msg.state, w.init.noEmailFaults)) break;
        w.snap.lastEmailed[key] = msg.state;
        const alert = msg.kind === 'GROUP' ? groupAlert(w.init.routerId, msg.name, msg.state) : instanceAlert(w.init.routerId, msg.name, msg.state);
        w.snap.pending.push(alert);
        w.queue.enqueue(alert);
        break;
      }
      case 'alert':
        if (msg.seq <= w.snap.lastSeq) return;
        w.snap.lastSeq = msg.seq;
        w.snap.pending.push(msg.alert);
        w.queue.enqueue(msg.alert);
        break;
      case 'config': {
        if (JSON.stringify(msg.init) === JSON.stringify(w.init)) return;
        retire(w);
        w.init = msg.init;
        const { queue, transport } = makeQueue(ctx, msg.init, () => ctx.state);
        w.queue = queue;
        w.transport = transport;
        for (const a of w.snap.pending) queue.enqueue(a);
        break;
      }
      case 'flush':
        ctx.send({ type: 'flushed', token: msg.token });
        return;
      default: {
        const never: never = msg;
        ctx.log.warn({ msg: never }, 'smtp actor: unknown message dropped');
        return;
      }
    }
    ctx.report(w.snap);
  },

  async stop(ctx) {
    const w = ctx.state;
    if (!w) return;
    // like the daemon before: give queued mail up to 1 s at shutdown
    await Promise.race([w.queue.idle(), new Promise((r) => setTimeout(r, 1000).unref())]);
    retire(w);
    if (live.get(ctx.id) === w) live.delete(ctx.id);
  },
});
