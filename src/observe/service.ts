/**
 * Observability on the main thread: the recorder, the view (built on demand from the supervisor's
 * state and the daemon's vrrpState()), the control-socket verbs (health, ready, status) and, when a
 * listen address is configured, the HTTP worker the view is pushed to — at once after a state
 * transition, otherwise at most every `minPushMs` and at least every second — plus a 200 ms heartbeat
 * so the worker knows the main loop still answers.
 */
import { Worker } from 'node:worker_threads';
import * as path from 'node:path';
import { pack } from 'msgpackr';
import type { Supervisor } from '../supervisor';
import type { Logger } from '../util/log';
import { KtsError } from '../util/errors';
import { ObsRecorder } from './recorder';
import { buildView, health, readiness, type ObsView, type VrrpStateInput, type TransitionPatch } from './view';
import { parseListen } from './http';
import type { FromObsWorker, ToObsWorker } from './http-worker';

export interface ObservabilityOptions {
  sup: Supervisor;
  log: Logger;
  /** the daemon's vrrpState() */
  vrrp: () => VrrpStateInput;
  /** `--metrics-listen` / global_defs `metrics_listen`: ADDR:PORT; absent → no HTTP listener */
  listen?: string;
  /** non-urgent view pushes are at least this far apart (default 500 ms) */
  minPushMs?: number;
}

export type ControlVerb = (req: Record<string, unknown>) => unknown;

export class Observability {
  readonly recorder: ObsRecorder;
  private worker: Worker | null = null;
  private timers: NodeJS.Timeout[] = [];
  private pending: NodeJS.Timeout | NodeJS.Immediate | null = null;
  private lastPush = 0;
  /** the HTTP listener's bound address once listening */
  address: { address: string; port: number } | null = null;

  constructor(private readonly o: ObservabilityOptions) {
    this.recorder = new ObsRecorder(o.sup, (urgent) => this.changed(urgent));
  }

  view(): ObsView {
    return buildView(this.o.sup.state(), this.o.vrrp(), this.recorder, Date.now());
  }

  /**
   * The daemon enters a state: called after the actor's advert and GARPs went out and before the
   * "Entering … STATE" line is logged. The worker gets the change at once as a small patch (no view is
   * built here, so a burst of transitions costs a postMessage each); the full view follows.
   */
  transition(instance: string, from: string, to: string, reason: string, now: Omit<TransitionPatch, 'instance' | 't'> = {}): void {
    const t = this.recorder.transition(instance, from, to, reason);
    if (!this.worker) return;
    this.post({ type: 'patch', patch: { instance, t, ...now } });
    this.changed(true);
  }

  /** Control-socket verbs (src/supervisor/control.ts `verbs`). */
  readonly verbs: Record<string, ControlVerb> = {
    health: () => {
      const h = health(this.view());
      return { healthy: h.ok, reasons: h.reasons };
    },
    ready: (req) => {
      const inst = typeof req.instance === 'string' && req.instance !== '' ? req.instance : undefined;
      const r = readiness(this.view(), inst);
      return { ready: r.ok, reasons: r.reasons, ...(inst ? { instance: inst } : {}) };
    },
    status: () => this.view(),
  };

  /**
   * A reload asked over the control socket: waits for it and answers what changed, whether the new
   * configuration was applied and how many configuration errors it had.
   */
  async reload<T extends object>(run: () => Promise<T>): Promise<T & { applied: boolean; configErrors: number }> {
    const before = this.o.vrrp().daemon ?? {};
    const res = await run();
    const after = this.o.vrrp().daemon ?? {};
    this.changed(true);
    return { ...res, applied: (after.reloads ?? 0) > (before.reloads ?? 0), configErrors: (after.configErrors ?? 0) - (before.configErrors ?? 0) };
  }

  /** Start the HTTP worker when a listen address is set; resolves once it listens. */
  async start(): Promise<void> {
    if (!this.o.listen) return;
    const { host, port } = parseListen(this.o.listen);
    const w = new Worker(path.join(__dirname, 'http-worker.js'), { workerData: { host, port }, resourceLimits: { maxOldGenerationSizeMb: 64 } });
    this.worker = w;
    w.unref();
    await new Promise<void>((resolve, reject) => {
      w.once('message', (m: FromObsWorker) => {
        if (m.type === 'listening') {
          this.address = { address: m.address, port: m.port };
          resolve();
        } else reject(new KtsError(m.code, `metrics listener ${this.o.listen}: ${m.message}`));
      });
      w.once('error', (e) => reject(new KtsError('E_METRICS_WORKER', `metrics worker: ${e.message}`)));
    }).catch((e) => {
      void w.terminate();
      this.worker = null;
      throw e;
    });
    w.on('error', (e) => this.o.log.error({ code: 'E_METRICS_WORKER', err: e }, `metrics worker failed: ${e.message}`));
    this.o.log.info({ address: this.address }, `metrics, health and status on http://${this.o.listen}/`);
    this.push();
    this.timers.push(setInterval(() => this.post({ type: 'beat' }), 200), setInterval(() => this.push(), 1000));
    for (const t of this.timers) t.unref();
  }

  private post(m: ToObsWorker, transfer?: ArrayBuffer[]): void {
    try {
      this.worker?.postMessage(m, transfer);
    } catch {
      /* worker gone: the listener stops answering, the daemon goes on */
    }
  }

  private push(): void {
    if (this.pending) {
      clearTimeout(this.pending as NodeJS.Timeout);
      clearImmediate(this.pending as NodeJS.Immediate);
      this.pending = null;
    }
    if (!this.worker) return;
    this.lastPush = performance.now();
    const buf = pack(this.view());
    const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
    this.post({ type: 'view', buf: new Uint8Array(ab) }, [ab]);
  }

  private changed(urgent: boolean): void {
    if (!this.worker) return;
    if (urgent) {
      if (this.pending) clearTimeout(this.pending as NodeJS.Timeout);
      this.pending = setImmediate(() => this.push());
      return;
    }
    if (this.pending) return;
    const wait = Math.max(0, (this.o.minPushMs ?? 500) - (performance.now() - this.lastPush));
    this.pending = setTimeout(() => this.push(), wait);
    this.pending.unref();
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    if (this.pending) {
      clearTimeout(this.pending as NodeJS.Timeout);
      clearImmediate(this.pending as NodeJS.Immediate);
    }
    this.recorder.close();
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate().catch(() => 0);
  }
}
