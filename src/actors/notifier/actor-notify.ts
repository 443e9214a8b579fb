/**
 * Notify-script actor (pool 'notifier'), one per vrrp_instance and per vrrp_sync_group that has
 * notify scripts. The daemon sends it the state changes; it builds keepalived's invocations
 * (notifyInvocations: the specific script first, then the generic one with TYPE NAME STATE PRIORITY)
 * and runs each as a job on the main thread's bounded script pool. Timeouts: STOP scripts 1 s
 * (keepalived), the others `notify_script_timeout` (ours, default 30 s); the process group is killed.
 * Failures are logged with their code (E_SCRIPT_NOT_FOUND, E_SCRIPT_TIMEOUT, E_SCRIPT_EXIT, …).
 *
 * Nothing here can delay a VRRP decision: the VRRP actors run on other threads, and this actor only
 * posts messages; a script that hangs occupies one slot of the pool until its timeout.
 *
 * Restarts: messages are numbered (`seq`); the snapshot keeps the last seq handled and the jobs in
 * flight. A crash loses at most the message being handled when it crashed (its jobs, if already
 * requested, still run); messages queued behind it are handled by the restarted actor; a job that
 * was running still finishes and its result is logged by the new incarnation. Nothing is run twice.
 */
import { defineActor, type ActorContext } from '../runtime';
import { notifyInvocations, type NotifyConfig, type NotifyState, type NotifyInvocation } from './notify';
import { jobFailure, jobRefMaker, type JobDone, type JobRequest, type LogRequest } from './job-messages';

export interface NotifyActorInit {
  type: 'INSTANCE' | 'GROUP';
  name: string;
  notify: NotifyConfig;
  /** notify_script_timeout for scripts other than STOP (ms) */
  timeoutMs: number;
}

export type ToNotifyActor =
  | { type: 'transition'; seq: number; state: NotifyState; priority: number }
  /** notify_master_rx_lower_pri (instances): only that script, with its own args */
  | { type: 'rxLowerPri'; seq: number; priority: number }
  | { type: 'config'; notify: NotifyConfig; timeoutMs: number }
  | { type: 'flush'; token: number }
  | JobDone;

export type FromNotifyActor = JobRequest | LogRequest | { type: 'flushed'; token: number };

export interface NotifyActorSnapshot {
  notify: NotifyConfig;
  timeoutMs: number;
  lastSeq: number;
  /** jobs requested and not answered yet: what to log when they end */
  inflight: Record<string, { argv: string[]; timeoutMs: number; state: string }>;
  runs: number;
  failures: number;
}

interface Working {
  init: NotifyActorInit;
  snap: NotifyActorSnapshot;
  nextRef: () => string;
}

type Ctx = ActorContext<FromNotifyActor, Working>;

function label(w: Working): { text: string; fields: Record<string, unknown> } {
  return w.init.type === 'GROUP'
    ? { text: `VRRP_Group(${w.init.name})`, fields: { group: w.init.name } }
    : { text: `(${w.init.name})`, fields: { instance: w.init.name } };
}

function run(ctx: Ctx, w: Working, state: string, invs: NotifyInvocation[]): void {
  for (const inv of invs) {
    const timeoutMs = inv.timeoutMs === 0 ? w.snap.timeoutMs : inv.timeoutMs;
    const ref = w.nextRef();
    w.snap.inflight[ref] = { argv: inv.argv, timeoutMs, state };
    w.snap.runs++;
    ctx.send({ type: 'job', ref, job: { argv: inv.argv, uid: inv.uid, gid: inv.gid, timeoutMs, umask: 0o177 } });
  }
}

/** A message already handled (its seq is in the snapshot) is never run twice. */
function fresh(w: Working, seq: number): boolean {
  if (seq <= w.snap.lastSeq) return false;
  w.snap.lastSeq = seq;
  return true;
}

export const actor = defineActor<ToNotifyActor, FromNotifyActor, NotifyActorInit, Working>({
  start(ctx, init, snapshot) {
    const s = snapshot as NotifyActorSnapshot | undefined;
    const snap: NotifyActorSnapshot = s && s.notify
      ? s
      : { notify: init.notify, timeoutMs: init.timeoutMs, lastSeq: 0, inflight: {}, runs: 0, failures: 0 };
    ctx.state = { init, snap, nextRef: jobRefMaker(ctx.now()) };
    ctx.report(snap);
  },

  receive(ctx, msg) {
    const w = ctx.state;
    if (!w) return;
    const { snap } = w;
    switch (msg.type) {
      case 'transition':
        if (!fresh(w, msg.seq)) return;
        run(ctx, w, msg.state, notifyInvocations(snap.notify, w.init.type, w.init.name, msg.state, msg.priority));
        break;
      case 'rxLowerPri':
        if (!fresh(w, msg.seq)) return;
        if (snap.notify.notifyMasterRxLowerPri) {
          const invs = notifyInvocations({ notifyMaster: snap.notify.notifyMasterRxLowerPri }, w.init.type, w.init.name, 'MASTER', msg.priority);
          run(ctx, w, 'MASTER_RX_LOWER_PRI', invs.filter((x) => x.which === 'specific'));
        }
        break;
      case 'config':
        snap.notify = msg.notify;
        snap.timeoutMs = msg.timeoutMs;
        break;
      case 'flush':
        ctx.send({ type: 'flushed', token: msg.token });
        return;
      case 'job.done': {
        const job = snap.inflight[msg.ref];
        if (!job) return;
        delete snap.inflight[msg.ref];
        const f = jobFailure(msg.result, job.timeoutMs);
        if (f) {
          snap.failures++;
          const l = label(w);
          ctx.send({
            type: 'log', level: 'warn',
            fields: { ...l.fields, code: f.code, argv: job.argv, exit: msg.result.code, signal: msg.result.signal, state: job.state },
            msg: `${l.text} notify script ${job.argv[0] ?? ''} ${f.what}`,
          });
        }
        break;
      }
      default: {
        const never: never = msg;
        ctx.log.warn({ msg: never }, 'notify actor: unknown message dropped');
        return;
      }
    }
    ctx.report(snap);
  },
});
