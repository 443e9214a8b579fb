/**
 * vrrp_script monitor actor (pool 'checker'), one per vrrp_script in use.
 *
 * Every `interval` (timer `run`, scheduled from the previous start like keepalived) it asks the main
 * thread's script pool for a run (`job`), applies the result to the rise/fall machine of
 * ./script.ts and, when the OK/KO status changes (and on the first result), reports
 * `{ type: 'script', name, ok, initState, state, lastResult }`; the main thread aggregates it with the
 * instance's other trackers (computeEffective) and tells the VRRP actors. A run that would start while
 * the previous one is still running is skipped (keepalived: "Track script … is already running").
 *
 * Snapshot: the machine state, the last result and the job in flight; a restarted actor keeps its
 * rise/fall count, keeps its schedule (the runtime re-arms `run`) and accepts the result of the job
 * its previous incarnation started.
 */
import { defineActor, type ActorContext } from '../runtime';
import { initialScriptState, scriptOk, scriptResult, nextRun, type ScriptState } from './script';
import { jobRefMaker, type JobDone, type JobRequest, type LogRequest } from '../notifier/job-messages';

export interface ScriptMonitorInit {
  name: string;
  argv: string[];
  intervalMs: number;
  timeoutMs: number;
  rise: number;
  fall: number;
  initFail: boolean;
  uid?: number;
  gid?: number;
}

export type ToScriptMonitor = JobDone;

export type ScriptReport = {
  type: 'script';
  name: string;
  ok: boolean;
  initState: 'init' | 'init-fail' | 'done';
  state: ScriptState;
  lastResult: string | null;
};
export type FromScriptMonitor = JobRequest | LogRequest | ScriptReport;

export interface ScriptMonitorSnapshot {
  state: ScriptState;
  lastResult: string | null;
  /** job in flight: its ref and when it started (monoNow) */
  inflight: { ref: string; at: number } | null;
  lastStart: number | null;
}

interface Working {
  init: ScriptMonitorInit;
  snap: ScriptMonitorSnapshot;
  nextRef: () => string;
}

type Ctx = ActorContext<FromScriptMonitor, Working>;

function runNow(ctx: Ctx, w: Working): void {
  const now = ctx.now();
  const { init, snap } = w;
  // a job whose answer never came (its message died with a host) stops blocking after timeout + grace
  if (snap.inflight && now - snap.inflight.at > init.timeoutMs + 5000) snap.inflight = null;
  if (snap.inflight) {
    ctx.send({ type: 'log', level: 'debug', fields: { script: init.name }, msg: `Track script ${init.name} is already running, expect idle - skipping run` });
  } else {
    const ref = w.nextRef();
    snap.inflight = { ref, at: now };
    ctx.send({ type: 'job', ref, job: { argv: init.argv, timeoutMs: init.timeoutMs, uid: init.uid, gid: init.gid, umask: 0o177 } });
  }
  snap.lastStart = now;
  ctx.setTimer('run', nextRun(now, init.intervalMs, now));
  ctx.report(snap);
}

function onResult(ctx: Ctx, w: Working, m: JobDone): void {
  const { init, snap } = w;
  if (!snap.inflight || snap.inflight.ref !== m.ref) return; // a stale answer
  snap.inflight = null;
  const res = m.result;
  const ok = !res.error && !res.timedOut && !res.aborted && res.code === 0;
  const before = scriptOk(snap.state);
  const first = snap.lastResult === null;
  snap.state = (({ transition: _t, ...s }) => s)(scriptResult(snap.state, ok));
  snap.lastResult = res.error ?? (res.timedOut ? 'timeout' : String(res.code ?? res.signal));
  if (res.error || res.timedOut) {
    ctx.send({
      type: 'log', level: 'warn', fields: { code: res.error ?? 'E_SCRIPT_TIMEOUT', script: init.name },
      msg: `Script ${init.name} ${res.timedOut ? 'timed out' : res.message ?? res.error}`,
    });
  }
  const now = scriptOk(snap.state);
  if (first || before !== now) {
    if (!first || !now) ctx.send({ type: 'log', level: 'info', fields: { script: init.name }, msg: `Script \`${init.name}\` now returning ${ok ? 0 : res.code ?? 1}` });
    ctx.send({ type: 'log', level: 'info', fields: { script: init.name, ok: now }, msg: `VRRP_Script(${init.name}) ${now ? 'succeeded' : 'failed'}` });
    ctx.send({ type: 'script', name: init.name, ok: now, initState: snap.state.initState, state: snap.state, lastResult: snap.lastResult });
  }
  ctx.report(snap);
}

export const actor = defineActor<ToScriptMonitor, FromScriptMonitor, ScriptMonitorInit, Working>({
  start(ctx, init, snapshot) {
    const s = snapshot as ScriptMonitorSnapshot | undefined;
    const snap: ScriptMonitorSnapshot = s && s.state
      ? s
      : { state: initialScriptState({ rise: init.rise, fall: init.fall, initFail: init.initFail }), lastResult: null, inflight: null, lastStart: null };
    ctx.state = { init, snap, nextRef: jobRefMaker(ctx.now()) };
    if (!s || s.lastStart === null) {
      runNow(ctx, ctx.state); // first run at once
      return;
    }
    // a restart keeps the schedule: next run one interval after the last start (at once if overdue)
    ctx.setTimer('run', Math.max(ctx.now(), s.lastStart + init.intervalMs));
    ctx.report(snap);
  },

  receive(ctx, msg) {
    const w = ctx.state;
    if (!w) return;
    switch (msg.type) {
      case 'job.done':
        onResult(ctx, w, msg);
        return;
      default: {
        const never: never = msg.type;
        ctx.log.warn({ msg: never }, 'script monitor: unknown message dropped');
      }
    }
  },

  timer(ctx, name) {
    const w = ctx.state;
    if (w && name === 'run') runNow(ctx, w);
  },
});
