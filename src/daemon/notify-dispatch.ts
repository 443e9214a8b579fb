/**
 * Main-thread side of the notifier actors (pool 'notifier'): the daemon hands every instance / sync
 * group state change to `instance()` / `group()`; they become `transition` messages to
 *  - `notify:<instance>` / `notify-group:<group>` (src/actors/notifier/actor-notify.ts): the notify
 *    scripts, run as jobs on the script pool (src/daemon/script-jobs.ts);
 *  - `notify-fifo` (actor-fifo.ts): the notify_fifo line;
 *  - `notify-smtp` (actor-smtp.ts): the SMTP alert (smtp_alert on, not STOP).
 * The main thread never runs a script, writes the FIFO or talks SMTP itself. Every message carries a
 * per-actor `seq`, so a restarted actor neither loses what was queued behind a crash nor handles a
 * message twice (see each actor's header for what a crash can lose: at most the message in hand).
 */
import type { Logger } from '../util/log';
import type { Supervisor, ActorKind } from '../supervisor';
import type { KeepalivedConfig } from '../config';
import type { NotifyConfig, NotifyState, NotifyScript } from '../actors/notifier/notify';
import type { SmtpConfig } from '../actors/notifier/smtp';
import type { SmtpActorInit } from '../actors/notifier/actor-smtp';
import { NOTIFY, NOTIFY_FIFO, NOTIFY_SMTP } from '../actors/kinds';
import type { ScriptJobs } from './script-jobs';
import { spawnOrLog } from './context';

export const FIFO_ACTOR = 'notify-fifo';
export const SMTP_ACTOR = 'notify-smtp';

export function notifyActorId(type: 'INSTANCE' | 'GROUP', name: string): string {
  return type === 'GROUP' ? `notify-group:${name}` : `notify:${name}`;
}

const hasScripts = (n: NotifyConfig): boolean =>
  !!(n.notify || n.notifyMaster || n.notifyBackup || n.notifyFault || n.notifyStop || n.notifyMasterRxLowerPri);

/** The SMTP settings of global_defs, or null when alerts cannot be sent (no server or no recipient). */
export function smtpConfigOf(g: KeepalivedConfig['globalDefs']): SmtpConfig | null {
  if (!g.smtpServer || g.notificationEmail.length === 0) return null;
  return {
    host: g.smtpServer, port: g.smtpServerPort, heloName: g.smtpHeloName, connectTimeoutMs: g.smtpConnectTimeout * 1000,
    from: g.notificationEmailFrom, to: g.notificationEmail,
    starttls: g.smtpStarttls ?? 'off',
    auth: g.smtpAuthUser !== undefined ? { user: g.smtpAuthUser, pass: g.smtpAuthPass ?? '' } : undefined,
    ...(g.smtpTlsCaFile !== undefined ? { tlsCaFile: g.smtpTlsCaFile } : {}),
  };
}

export class NotifyDispatch {
  private readonly seqs = new Map<string, number>();
  /** actor id → JSON of the config it was given */
  private readonly configs = new Map<string, string>();
  private timeoutMs = 30_000;
  private flushToken = 0;
  private readonly flushWaiters = new Map<number, { left: Set<string>; done: () => void }>();

  constructor(private readonly sup: Supervisor, private readonly log: Logger, private readonly jobs: ScriptJobs) {
    // notifiers answer `flush` with `flushed`; log lines and script jobs go to the script pool
    sup.register(NOTIFY, (id, m) => {
      if (m.type === 'flushed') this.flushed(id, m.token);
      else this.jobs.handle(id, m, (done) => this.sup.send(NOTIFY, id, done));
    });
    sup.register(NOTIFY_FIFO, (id, m) => (m.type === 'flushed' ? this.flushed(id, m.token) : this.jobs.handle(id, m)));
    sup.register(NOTIFY_SMTP, (id, m) => (m.type === 'flushed' ? this.flushed(id, m.token) : this.jobs.handle(id, m)));
  }

  /**
   * (Re)configure from global_defs and the instances/groups: spawn the FIFO and SMTP actors when
   * configured (or hand them new settings) and a notify actor for each instance/group with scripts.
   */
  configure(cfg: KeepalivedConfig, notifyTimeoutMs: number): void {
    this.timeoutMs = notifyTimeoutMs;
    const g = cfg.globalDefs;
    const fifoPath = g.vrrpNotifyFifo?.fifo ?? g.notifyFifo?.fifo;
    if (fifoPath) {
      if (!this.configs.has(FIFO_ACTOR)) this.spawn(FIFO_ACTOR, NOTIFY_FIFO, { path: fifoPath }, { path: fifoPath });
      else if (this.changed(FIFO_ACTOR, { path: fifoPath })) this.send(NOTIFY_FIFO, FIFO_ACTOR, { type: 'config', path: fifoPath });
    }
    const smtp = smtpConfigOf(g);
    if (smtp) {
      const init: SmtpActorInit = { smtp, routerId: g.routerId, noEmailFaults: g.extra['no_email_faults'] !== undefined };
      if (!this.configs.has(SMTP_ACTOR)) this.spawn(SMTP_ACTOR, NOTIFY_SMTP, init, init);
      else if (this.changed(SMTP_ACTOR, init)) this.send(NOTIFY_SMTP, SMTP_ACTOR, { type: 'config', init });
    }
    for (const vi of cfg.vrrpInstances) this.ensure('INSTANCE', vi.name, pickNotify(vi));
    for (const sg of cfg.vrrpSyncGroups) this.ensure('GROUP', sg.name, pickNotify(sg));
  }

  /** An instance changed state (after its VIP operations, in the order the actor asked). */
  instance(name: string, notify: NotifyConfig, state: NotifyState, priority: number, smtpAlert: boolean): void {
    const id = this.ensure('INSTANCE', name, notify);
    if (id) this.send(NOTIFY, id, { type: 'transition', seq: this.next(id), state, priority });
    this.fifoAndMail('INSTANCE', name, state, priority, smtpAlert);
  }

  /** A sync group changed state (group notifies get priority 0). */
  group(name: string, notify: NotifyConfig, state: NotifyState, smtpAlert: boolean): void {
    const id = this.ensure('GROUP', name, notify);
    if (id) this.send(NOTIFY, id, { type: 'transition', seq: this.next(id), state, priority: 0 });
    this.fifoAndMail('GROUP', name, state, 0, smtpAlert);
  }

  /** notify_master_rx_lower_pri of an instance. */
  masterRxLowerPri(name: string, notify: NotifyConfig, priority: number): void {
    if (!notify.notifyMasterRxLowerPri) return;
    const id = this.ensure('INSTANCE', name, notify);
    if (id) this.send(NOTIFY, id, { type: 'rxLowerPri', seq: this.next(id), priority });
  }

  /**
   * Wait until every notifier actor has handled what it was sent (each answers `flush` after the
   * messages queued before it), bounded by `timeoutMs`. Used at shutdown so the STOP notifies are
   * handed to the script pool before the actors stop.
   */
  async drain(timeoutMs: number): Promise<void> {
    const ids = [...this.configs.keys()];
    if (ids.length === 0) return;
    const token = ++this.flushToken;
    const left = new Set(ids);
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.flushWaiters.delete(token);
        resolve();
      }, timeoutMs);
      t.unref();
      this.flushWaiters.set(token, { left, done: () => { clearTimeout(t); resolve(); } });
      const flush = { type: 'flush', token } as const;
      for (const id of ids) {
        const sent = id === FIFO_ACTOR ? this.sup.send(NOTIFY_FIFO, id, flush) : id === SMTP_ACTOR ? this.sup.send(NOTIFY_SMTP, id, flush) : this.sup.send(NOTIFY, id, flush);
        if (!sent) left.delete(id);
      }
      if (left.size === 0) {
        this.flushWaiters.delete(token);
        clearTimeout(t);
        resolve();
      }
    });
  }

  /** Actor ids this dispatcher runs (for --dump-state and tests). */
  actors(): string[] {
    return [...this.configs.keys()];
  }

  /** A notifier handled everything sent before the `flush` with this token. */
  private flushed(id: string, token: number): void {
    const w = this.flushWaiters.get(token);
    if (!w) return;
    w.left.delete(id);
    if (w.left.size === 0) {
      this.flushWaiters.delete(token);
      w.done();
    }
  }

  private fifoAndMail(kind: 'INSTANCE' | 'GROUP', name: string, state: NotifyState, priority: number, smtpAlert: boolean): void {
    if (this.configs.has(FIFO_ACTOR)) {
      this.send(NOTIFY_FIFO, FIFO_ACTOR, { type: 'transition', seq: this.next(FIFO_ACTOR), kind, name, event: state, priority });
    }
    if (smtpAlert && state !== 'STOP' && this.configs.has(SMTP_ACTOR)) {
      this.send(NOTIFY_SMTP, SMTP_ACTOR, { type: 'transition', seq: this.next(SMTP_ACTOR), kind, name, state });
    }
  }

  /** The notify actor of an instance/group, spawned on first need, told about a changed config. */
  private ensure(type: 'INSTANCE' | 'GROUP', name: string, notify: NotifyConfig): string | null {
    if (!hasScripts(notify)) return null;
    const id = notifyActorId(type, name);
    const cfg = { notify, timeoutMs: this.timeoutMs };
    if (!this.configs.has(id)) this.spawn(id, NOTIFY, { type, name, ...cfg }, cfg);
    else if (this.changed(id, cfg)) this.send(NOTIFY, id, { type: 'config', ...cfg });
    return id;
  }

  private changed(id: string, cfg: unknown): boolean {
    const j = JSON.stringify(cfg);
    if (this.configs.get(id) === j) return false;
    this.configs.set(id, j);
    return true;
  }

  /** Spawn a notifier; `cfg` is what a later configure() compares to tell it about changes. */
  private spawn<Init>(id: string, kind: ActorKind<Init, unknown, unknown>, init: NoInfer<Init>, cfg: unknown): void {
    if (spawnOrLog(this.sup, this.log, 'notifier', id, kind, init)) this.configs.set(id, JSON.stringify(cfg));
  }

  private send<In>(kind: ActorKind<unknown, In, unknown>, id: string, msg: NoInfer<In>): void {
    if (!this.sup.send(kind, id, msg)) this.log.warn({ code: 'E_NOTIFY_UNDELIVERED', actor: id }, `notifier ${id} is not running - notification dropped`);
  }

  private next(id: string): number {
    const n = (this.seqs.get(id) ?? 0) + 1;
    this.seqs.set(id, n);
    return n;
  }
}

/** The notify scripts of an instance or sync group. */
export function pickNotify(o: Partial<Record<keyof NotifyConfig, NotifyScript>>): NotifyConfig {
  return {
    notify: o.notify, notifyMaster: o.notifyMaster, notifyBackup: o.notifyBackup, notifyFault: o.notifyFault,
    notifyStop: o.notifyStop, notifyMasterRxLowerPri: o.notifyMasterRxLowerPri,
  };
}

/** keepalived never times out a notify script except STOP; we kill one still running after notify_script_timeout (default 30 s). */
export function notifyTimeoutMs(g: KeepalivedConfig['globalDefs']): number {
  return g.notifyScriptTimeout !== undefined ? Math.round(g.notifyScriptTimeout * 1000) : 30_000;
}

/** keepalived: an instance or group without its own smtp_alert follows global smtp_alert / smtp_alert_vrrp (default off). */
export function globalSmtpAlert(g: KeepalivedConfig['globalDefs']): boolean {
  const v = g.extra['smtp_alert_vrrp']?.[0] ?? g.extra['smtp_alert']?.[0];
  if (!v) return false;
  return v.length === 0 || /^(on|true|yes)$/i.test(v[0] ?? '');
}
