/**
 * What only an observer can know, kept beside the daemon's own state: each instance's last
 * transitions with their reasons and times (the daemon calls transition()), actor
 * restarts by reason, hang detections (hosts the watchdog terminated, charged to the actor it
 * blamed), notifier failures (warn/error log requests of notify, FIFO and SMTP actors) and the
 * main loop's lag. It listens to the supervisor's events; it never changes what the daemon does.
 */
import type { Supervisor, RestartEvent, FaultEvent, HostTerminatedEvent } from '../supervisor';
import { reasonClass, TRANSITIONS_KEPT, type ObsRecords, type ObsTransition } from './view';
import { liveness, LIVENESS_PERIOD_MS } from '../util/liveness';

const NOTIFIER = /^notify|fifo|smtp/;

export class ObsRecorder implements ObsRecords {
  readonly transitions = new Map<string, ObsTransition[]>();
  readonly restarts = new Map<string, { kind: string; byReason: Record<string, number> }>();
  readonly hangs = new Map<string, { kind: string; count: number }>();
  readonly notifyFailures: Record<string, Record<string, number>> = {};
  private readonly kinds = new Map<string, string>();

  /** `onChange(urgent)`: urgent when an actor was given up (the view should go out at once). */
  constructor(private readonly sup: Supervisor, private readonly onChange: (urgent: boolean) => void = () => undefined, private readonly now: () => number = Date.now) {
    sup.on('started', this.onStarted);
    sup.on('restart', this.onRestart);
    sup.on('fault', this.onFault);
    sup.on('host-terminated', this.onHostTerminated);
  }

  /** Main-loop lag from the process's one liveness monitor (src/util/liveness.ts): its last turn, or how long it is blocked now. */
  get loopLagMs(): number {
    const l = liveness();
    return Math.max(l.lagMs(), l.sinceTurnMs() - LIVENESS_PERIOD_MS, 0);
  }

  close(): void {
    this.sup.off('started', this.onStarted);
    this.sup.off('restart', this.onRestart);
    this.sup.off('fault', this.onFault);
    this.sup.off('host-terminated', this.onHostTerminated);
  }

  /** The daemon is entering a state (called before it logs "Entering … STATE"). */
  transition(instance: string, from: string, to: string, reason: string): ObsTransition {
    const t = { atMs: this.now(), from, to, reason };
    const list = this.transitions.get(instance) ?? [];
    list.push(t);
    if (list.length > TRANSITIONS_KEPT) list.splice(0, list.length - TRANSITIONS_KEPT);
    this.transitions.set(instance, list);
    return t;
  }

  private readonly onStarted = (e: { id: string; kind: string }): void => {
    this.kinds.set(e.id, e.kind);
  };

  /** A monitor or notifier actor logged a line (ScriptJobs): a notifier's warning or error is a failure. */
  actorLog(actor: string, level: string, fields: Record<string, unknown>): void {
    if (level !== 'warn' && level !== 'error') return;
    const kind = this.kinds.get(actor) ?? actor;
    if (!NOTIFIER.test(kind)) return;
    const k = /smtp/.test(kind) ? 'smtp' : /fifo/.test(kind) ? 'fifo' : 'notify';
    const code = typeof fields.code === 'string' ? fields.code : 'E_UNKNOWN';
    const m = (this.notifyFailures[k] ??= {});
    m[code] = (m[code] ?? 0) + 1;
    this.onChange(false);
  }

  private readonly onRestart = (e: RestartEvent): void => {
    const r = this.restarts.get(e.id) ?? { kind: e.kind, byReason: {} };
    const c = reasonClass(e.reason);
    r.byReason[c] = (r.byReason[c] ?? 0) + 1;
    this.restarts.set(e.id, r);
    this.onChange(false);
  };

  private readonly onFault = (_e: FaultEvent): void => {
    this.onChange(true);
  };

  private readonly onHostTerminated = (e: HostTerminatedEvent): void => {
    if (/^missed heartbeats/.test(e.reason)) {
      const id = e.blamed ?? e.host;
      const h = this.hangs.get(id) ?? { kind: (e.blamed && this.kinds.get(e.blamed)) || e.pool, count: 0 };
      h.count++;
      this.hangs.set(id, h);
    }
    this.onChange(false);
  };
}
