/**
 * Main-thread script pool for the monitor and notifier actors: every notify script and every
 * vrrp_script run is a piscina job (src/actors/notifier/script-job.ts) with bounded concurrency
 * (`maxConcurrent` children at once, `maxQueue` waiting), a timeout (process group SIGTERM, then
 * SIGKILL) and abort. Actors reach it with a `job` message and get `job.done` back (see
 * src/actors/notifier/job-messages.ts); the main thread only relays, it never waits on a child.
 *
 * Why here and not a pool per actor host: a host the watchdog terminates would take its nested pool
 * with it and orphan the scripts' processes; here they always belong to a live pool, and a restarted
 * actor still gets the result of the job its previous incarnation started.
 *
 * The insecure-script gate (enable_script_security) is applied here, at the one place scripts run.
 */
import * as path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import type { Logger } from '../util/log';
import type { JobDone, JobRequest, LogRequest, ScriptJobResult, ScriptJobSpec } from '../actors/notifier/job-messages';

export interface ScriptJobsOptions {
  /** children running at once; default 64 */
  maxConcurrent?: number;
  /** jobs waiting beyond that before new ones are refused (E_JOB_QUEUE_FULL); default 1 000 */
  maxQueue?: number;
  /** argv[0] of scripts that must never run (enable_script_security) */
  isInsecure?: (argv0: string) => boolean;
  /** the user a script runs as when its job names none (script_user, the script's own user) */
  runAs?: (argv0: string) => { uid: number; gid: number } | undefined;
}

/** script-job.ts's default grace between SIGTERM and SIGKILL (keepalived: 2 s) */
const KILL_GRACE_MS = 2000;

function cleanEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) out[k] = v;
  return out;
}

export class ScriptJobs {
  /** started on the first job: a config without scripts never loads piscina nor its thread (RSS, issue 13) */
  private poolCache: Piscina | undefined;
  private readonly inflight = new Map<string, { actor: string; ctl: AbortController; done: Promise<void>; at: number; timeoutMs: number; graceMs: number }>();
  readonly counters = { started: 0, finished: 0, failed: 0, refused: 0, insecure: 0 };
  closed = false;
  /** src/observe counts notifier failures from the warn/error lines actors log */
  onActorLog?: (actor: string, level: string, fields: Record<string, unknown>) => void;

  constructor(private readonly log: Logger, private readonly opts: ScriptJobsOptions = {}) {}

  private get pool(): Piscina {
    if (!this.poolCache) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { Piscina: Pool } = require('piscina') as typeof import('piscina');
      this.poolCache = new Pool({
        filename: path.join(__dirname, '..', 'actors', 'notifier', 'script-job.js'),
        minThreads: 0, maxThreads: 1, concurrentTasksPerWorker: this.opts.maxConcurrent ?? 64, maxQueue: this.opts.maxQueue ?? 1000, idleTimeout: 60_000,
      });
    }
    return this.poolCache;
  }

  /**
   * A monitor/notifier actor `actor` asked to log a line or to run a job; `reply` takes the job's
   * `job.done` back to it (its kind's dispatcher routes both here).
   */
  handle(actor: string, m: LogRequest): void;
  handle(actor: string, m: JobRequest | LogRequest, reply: (done: JobDone) => void): void;
  handle(actor: string, m: JobRequest | LogRequest, reply?: (done: JobDone) => void): void {
    if (m.type === 'log') {
      const lvl = (['debug', 'info', 'warn', 'error'] as const).includes(m.level) ? m.level : 'info';
      this.log[lvl]({ actor, ...(m.fields ?? {}) }, String(m.msg));
      this.onActorLog?.(actor, lvl, m.fields ?? {});
      return;
    }
    if (typeof m.ref !== 'string' || !m.job || !Array.isArray(m.job.argv)) {
      this.log.warn({ code: 'E_JOB_BAD_REQUEST', actor }, 'malformed job request dropped');
      return;
    }
    const key = `${actor}|${m.ref}`;
    const ctl = new AbortController();
    const done = this.run(m.job, ctl.signal).then((result) => {
      this.inflight.delete(key);
      reply?.({ type: 'job.done', ref: m.ref, result });
    });
    this.inflight.set(key, { actor, ctl, done, at: Date.now(), timeoutMs: m.job.timeoutMs ?? 0, graceMs: m.job.killGraceMs ?? KILL_GRACE_MS });
  }

  /** every job started and not yet ended, whoever started it (idle() waits for them) */
  private readonly pending = new Set<Promise<ScriptJobResult>>();

  /** Run one script job; never rejects. */
  run(spec: ScriptJobSpec, signal?: AbortSignal): Promise<ScriptJobResult> {
    const p = this.runJob(spec, signal);
    this.pending.add(p);
    void p.then(() => this.pending.delete(p));
    return p;
  }

  private async runJob(spec: ScriptJobSpec, signal?: AbortSignal): Promise<ScriptJobResult> {
    const argv0 = spec.argv[0] ?? '';
    if (this.opts.isInsecure?.(argv0)) {
      this.counters.insecure++;
      return { code: null, signal: null, timedOut: false, aborted: false, error: 'E_SCRIPT_INSECURE', message: `script ${argv0} disabled as insecure`, durationMs: 0 };
    }
    if (this.closed) return { code: null, signal: null, timedOut: false, aborted: true, error: 'E_JOB_CLOSED', message: 'job pool closed', durationMs: 0 };
    const ch = new MessageChannel();
    const onAbort = (): void => ch.port1.postMessage('abort');
    signal?.addEventListener('abort', onAbort, { once: true });
    this.counters.started++;
    const user = spec.uid === undefined ? this.opts.runAs?.(argv0) : undefined;
    // switch user only when it differs: a daemon that is not root cannot "become" itself through setuid
    const ids = user && (user.uid !== process.getuid?.() || user.gid !== process.getgid?.()) ? user : {};
    try {
      const r = (await this.pool.run({ spec: { ...spec, ...ids, env: spec.env ?? cleanEnv() }, port: ch.port2 }, { transferList: [ch.port2] })) as ScriptJobResult;
      this.counters.finished++;
      return r;
    } catch (e) {
      this.counters.failed++;
      const full = /queue/i.test((e as Error).message ?? '');
      if (full) this.counters.refused++;
      return {
        code: null, signal: null, timedOut: false, aborted: false, error: full ? 'E_JOB_QUEUE_FULL' : 'E_JOB_FAILED',
        message: `script ${argv0}: ${(e as Error).message}`, durationMs: 0,
      };
    } finally {
      signal?.removeEventListener('abort', onAbort);
      ch.port1.close();
    }
  }

  /** Abort the running jobs of one actor (its vrrp_script was removed by a reload). */
  abortActor(actor: string): void {
    for (const j of this.inflight.values()) if (j.actor === actor) j.ctl.abort();
  }

  /**
   * keepalived's script state of one actor's job (vrrp.h SCRIPT_STATE_*): 0 idle, 1 running,
   * 2 requested termination (past its timeout: SIGTERM sent), 3 forcing termination (SIGKILL after
   * the kill grace).
   */
  runState(actor: string, now = Date.now()): number {
    let st = 0;
    for (const j of this.inflight.values()) {
      if (j.actor !== actor) continue;
      const age = now - j.at;
      const s = j.timeoutMs > 0 && age >= j.timeoutMs + j.graceMs ? 3 : j.timeoutMs > 0 && age >= j.timeoutMs ? 2 : 1;
      st = Math.max(st, s);
    }
    return st;
  }

  get running(): number {
    return this.inflight.size;
  }

  /** Resolve when the jobs in flight now (actors' and the main thread's own, e.g. LVS notify scripts) have ended, or after `timeoutMs`. */
  async idle(timeoutMs: number): Promise<void> {
    const all = Promise.all([...this.inflight.values()].map((j) => j.done).concat([...this.pending].map((p) => p.then(() => undefined))));
    await Promise.race([all, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  state(): Record<string, unknown> {
    return { ...this.counters, running: this.inflight.size, queued: this.poolCache?.queueSize ?? 0, threads: this.poolCache?.threads.length ?? 0 };
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.poolCache?.destroy().catch(() => undefined);
  }
}
