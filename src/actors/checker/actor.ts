/**
 * Health-checker actor (pool 'checker'), one per checker of a real server. Thin: it schedules checks
 * with ./machine.ts, runs one check at a time and reports when the checker goes up or down or its
 * weight share changes:
 *   `{ type: 'checker.result', id, rs, vs, up, weight?, weightOffset?, reason }`.
 * The main thread sums a real server's checkers (up only when all are up, weight = configured weight +
 * the checkers' shares) and drives IPVS; this actor never touches the kernel.
 *
 * - TCP_CHECK, HTTP_GET, SSL_GET, SMTP_CHECK, DNS_CHECK, UDP_CHECK, FILE_CHECK run here (./run.ts).
 * - MISC_CHECK asks the main thread's script pool (`job`, as the vrrp_script monitor does) and reads
 *   the `job.done` answer with ./verdicts.ts; its next run is timed from the previous start.
 * - PING_CHECK asks the main thread to ping (`ping`; src/io/icmp.ts sends) and reads `ping.done`.
 *
 * A crash or a hang changes no weight by itself: the snapshot holds the machine state and the request
 * in flight; a restarted actor re-runs a check that died with it, accepts the answer to a request its
 * previous incarnation made, and reports only real transitions.
 *
 * Cost next to VRRP (bench/checkers.ts, 1,000 checks a second): the main thread hears only what
 * changes something. A result goes out on a transition or a new weight share; a snapshot only when
 * what a restart resumes from changes (`resumeKey`). A local check in flight is not part of it: the
 * runtime's timer table keeps the 'check' timer that started it until the check ends, so a restarted
 * actor finds that timer past due and runs the check again at once.
 */
import { defineActor, type ActorContext } from '../runtime';
import { jobRefMaker, type JobDone, type JobRequest, type LogRequest } from '../notifier/job-messages';
import type { CheckerPlan } from './config';
import { firstDelayMs, initialState, nextUrl, onOutcome, type CheckerState, type Outcome, type Step } from './machine';
import { isLocal, runLocalCheck } from './run';
import { miscVerdict } from './verdicts';
import { lowerThisThread } from './niceness';

// the checker host's thread yields the CPU to the VRRP host and the main thread (./niceness.ts)
lowerThisThread();

export interface CheckerInit {
  plan: CheckerPlan;
}

export type PingRequest = { type: 'ping'; ref: string; dst: string; timeoutMs: number };
export type PingDone = { type: 'ping.done'; ref: string; ok: boolean; rttMs?: number; reason?: string };

export type CheckerResult = {
  type: 'checker.result';
  id: string;
  rs: string;
  vs: string;
  up: boolean;
  /** the real server's weight with this checker's share (misc_dynamic, FILE_CHECK) */
  weight?: number;
  weightOffset?: number;
  reason: string;
};

export type ToChecker = JobDone | PingDone;
export type FromChecker = CheckerResult | JobRequest | PingRequest | LogRequest;

export interface CheckerSnapshot {
  state: CheckerState;
  /** a request to the main thread (MISC_CHECK job, PING_CHECK ping) or a local check in flight */
  inflight: { ref: string; at: number } | null;
  lastStart: number | null;
  /** checks by result and the last one (src/observe shows them; absent in snapshots of older builds) */
  stats?: CheckerStats;
}

export interface CheckerStats {
  success: number;
  failure: number;
  /** no answer came (E_CHECKER_LOST) */
  lost: number;
  /** how long the last check took, start to verdict (ms) */
  lastMs: number | null;
  lastOk: boolean | null;
  lastReason: string;
}

interface Working {
  plan: CheckerPlan;
  snap: CheckerSnapshot;
  nextRef: () => string;
  /** resumeKey of the snapshot last reported */
  reported: string;
}

type Ctx = ActorContext<FromChecker, Working>;

/** An answer that never comes (its message died with a host) stops blocking after this grace. */
const LOST_GRACE_MS = 5000;

function log(ctx: Ctx, level: LogRequest['level'], msg: string, fields: Record<string, unknown> = {}): void {
  ctx.send({ type: 'log', level, fields: { checker: ctx.state?.plan.id, ...fields }, msg });
}

/** keepalived's log line for a transition. */
function transitionText(plan: CheckerPlan, up: boolean, o: Outcome, retried: boolean): string {
  const rs = plan.rs;
  const retries = retried && plan.machine.retry ? ` after ${plan.machine.retry} retries` : '';
  switch (plan.spec.type) {
    case 'TCP_CHECK':
      return up ? `TCP connection to ${rs} success.` : `TCP_CHECK on service ${rs} failed${retries}.`;
    case 'HTTP_GET':
    case 'SSL_GET':
      return up ? `Remote Web server ${rs} succeed on service.` : `HTTP_CHECK on service ${rs} failed${retries}.`;
    case 'UDP_CHECK':
      return up ? `UDP connection to ${rs} success.` : `UDP_CHECK on service ${rs} failed${retries}.`;
    case 'PING_CHECK':
      return up ? `ICMP connection to ${rs} success.` : `ICMP_CHECK on service ${rs} failed${retries}.`;
    case 'DNS_CHECK':
      return `DNS_CHECK (${rs}) ${up ? 'succeed' : `${o.reason}${retries}`}`;
    case 'SMTP_CHECK':
      return up ? `SMTP_CHECK: Remote SMTP server ${rs} succeed on service.` : `${o.reason}${retries}`;
    case 'MISC_CHECK':
      return `Misc check for [${rs} VS ${plan.vs}] by [${plan.spec.argv[0] ?? ''}] ${o.reason}.`;
    case 'FILE_CHECK':
      return `(${rs}): tracked file ${plan.spec.name} ${up ? 'leaving' : 'now'} FAULT state`;
    default: {
      const never: never = plan.spec;
      return String(never);
    }
  }
}

/**
 * What a restart resumes from. MISC_CHECK and PING_CHECK wait for an answer to a request the main
 * thread serves, so the request in flight (and MISC_CHECK's start time, its next run's base) belongs
 * to it; a local check's in-flight run and start time do not (see the header).
 */
function resumeKey(w: Working): string {
  const local = isLocal(w.plan.spec);
  return JSON.stringify([w.snap.state, local ? null : w.snap.inflight, local ? null : w.snap.lastStart]);
}

/** Reports the snapshot when what a restart resumes from changed (a local check reports none per run). */
function report(ctx: Ctx, w: Working): void {
  const key = resumeKey(w);
  if (key === w.reported) return;
  w.reported = key;
  ctx.report(isLocal(w.plan.spec) ? { ...w.snap, inflight: null, lastStart: null } : w.snap);
}

function schedule(ctx: Ctx, w: Working, delayMs: number): void {
  const now = ctx.now();
  // MISC_CHECK: the next run is timed from the start of this one (check_misc.c)
  const from = w.plan.spec.type === 'MISC_CHECK' && w.snap.lastStart !== null ? w.snap.lastStart : now;
  ctx.setTimer('check', Math.max(now, from + delayMs));
}

function count(ctx: Ctx, w: Working, o: Outcome | null): void {
  const st = (w.snap.stats ??= { success: 0, failure: 0, lost: 0, lastMs: null, lastOk: null, lastReason: '' });
  if (o === null) {
    st.lost++;
    return;
  }
  if (o.ok) st.success++;
  else st.failure++;
  st.lastOk = o.ok;
  st.lastReason = o.reason;
  st.lastMs = w.snap.lastStart === null ? null : Math.max(0, ctx.now() - w.snap.lastStart);
}

function apply(ctx: Ctx, w: Working, o: Outcome | null): void {
  count(ctx, w, o);
  w.snap.inflight = null;
  if (o === null) {
    schedule(ctx, w, w.plan.machine.delayLoopMs);
    report(ctx, w);
    return;
  }
  const before = w.snap.state;
  const step: Step = onOutcome(w.plan.machine, before, o);
  w.snap.state = step.state;
  if (step.transition || step.weightChanged) {
    const up = step.state.up;
    if (step.transition) log(ctx, 'info', transitionText(w.plan, up, o, before.hasRun && before.up), { up, reason: o.reason });
    const withWeight = step.state.weightOffset !== 0 || step.weightChanged;
    ctx.send({
      type: 'checker.result', id: w.plan.id, rs: w.plan.rs, vs: w.plan.vs, up, reason: o.reason,
      ...(withWeight ? { weight: w.plan.rsWeight + step.state.weightOffset, weightOffset: step.state.weightOffset } : {}),
    });
  }
  schedule(ctx, w, step.delayMs);
  report(ctx, w);
}

async function runCheck(ctx: Ctx, w: Working): Promise<void> {
  const now = ctx.now();
  const { spec } = w.plan;
  if (w.snap.inflight && now - w.snap.inflight.at < (timeoutOf(w) + LOST_GRACE_MS)) {
    log(ctx, 'debug', `Checker ${w.plan.id} is still running - skipping run`);
    schedule(ctx, w, w.plan.machine.delayLoopMs);
    return;
  }
  w.snap.lastStart = now;
  const ref = w.nextRef();
  w.snap.inflight = { ref, at: now };
  if (spec.type === 'MISC_CHECK') {
    ctx.send({ type: 'job', ref, job: { argv: spec.argv, timeoutMs: spec.timeoutMs, uid: spec.uid, gid: spec.gid, umask: 0o177 } });
    ctx.setTimer('lost', now + spec.timeoutMs + LOST_GRACE_MS);
    report(ctx, w);
    return;
  }
  if (spec.type === 'PING_CHECK') {
    ctx.send({ type: 'ping', ref, dst: spec.target.host, timeoutMs: spec.target.timeoutMs });
    ctx.setTimer('lost', now + spec.target.timeoutMs + LOST_GRACE_MS);
    report(ctx, w);
    return;
  }
  report(ctx, w);
  if (!isLocal(spec)) return;
  const o = await runLocalCheck(spec, nextUrl(w.snap.state));
  if (ctx.state !== w || w.snap.inflight?.ref !== ref) return; // stopped or replaced meanwhile
  apply(ctx, w, o);
}

function timeoutOf(w: Working): number {
  const s = w.plan.spec;
  return s.type === 'MISC_CHECK' ? s.timeoutMs : s.type === 'FILE_CHECK' ? 0 : s.target.timeoutMs;
}

function onAnswer(ctx: Ctx, w: Working, ref: string, o: Outcome): void {
  if (!w.snap.inflight || w.snap.inflight.ref !== ref) return; // a stale answer
  ctx.clearTimer('lost');
  apply(ctx, w, o);
}

export const actor = defineActor<ToChecker, FromChecker, CheckerInit, Working>({
  start(ctx, init, snapshot) {
    const s = snapshot as CheckerSnapshot | undefined;
    const { plan } = init;
    const snap: CheckerSnapshot = s && s.state ? s : { state: initialState(plan.machine), inflight: null, lastStart: null };
    const w: Working = { plan, snap, nextRef: jobRefMaker(ctx.now()), reported: '' };
    ctx.state = w;
    if (!s) {
      const t = 'target' in plan.spec ? plan.spec.target : null;
      if (t?.fwmark || t?.bindIf) {
        log(ctx, 'warn', `${plan.id}: ${t.fwmark ? `fwmark ${t.fwmark}` : `bind_if ${t.bindIf}`} is not applied to checker sockets (SO_MARK / SO_BINDTODEVICE unavailable to node:net); checking without it`, { code: 'E_CHECKER_SOCKOPT' });
      }
      log(ctx, 'info', `Activating healthchecker for service ${plan.rs} for VS ${plan.vs}`);
      const first = plan.spec.type === 'FILE_CHECK' ? 0 : firstDelayMs(plan.machine, Math.random());
      ctx.setTimer('check', ctx.now() + first);
      report(ctx, w);
      return;
    }
    // restarted: a local check that died with the previous incarnation runs again now; a request to
    // the main thread keeps waiting for its answer (the runtime re-armed 'lost' and 'check')
    const local = isLocal(plan.spec);
    if (snap.inflight && local) {
      snap.inflight = null;
      ctx.setTimer('check', ctx.now());
    }
    report(ctx, w);
  },

  async receive(ctx, msg) {
    const w = ctx.state;
    if (!w) return;
    switch (msg.type) {
      case 'job.done':
        onAnswer(ctx, w, msg.ref, miscVerdict(msg.result, w.plan.spec.type === 'MISC_CHECK' && w.plan.spec.dynamic, w.plan.rsWeight));
        return;
      case 'ping.done':
        onAnswer(ctx, w, msg.ref, msg.ok ? { ok: true, reason: 'ICMP echo reply' } : { ok: false, reason: msg.reason ?? 'ICMP timeout' });
        return;
      default: {
        const never: never = msg;
        ctx.log.warn({ msg: never }, 'checker: unknown message dropped');
      }
    }
  },

  async timer(ctx, name) {
    const w = ctx.state;
    if (!w) return;
    if (name === 'check') await runCheck(ctx, w);
    else if (name === 'lost' && w.snap.inflight) {
      // the answer never came: no verdict, check again on the normal schedule
      log(ctx, 'warn', `${w.plan.id}: no answer to check ${w.snap.inflight.ref}`, { code: 'E_CHECKER_LOST' });
      apply(ctx, w, null);
    }
  },

  stop(ctx) {
    ctx.state = undefined;
  },
});
