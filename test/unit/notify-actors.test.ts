/**
 * The monitor and notifier actors' own rules, driven through a fake actor context (no threads):
 * notify scripts as keepalived runs them (specific first, generic with TYPE NAME STATE PRIORITY),
 * STOP killed after 1 s and the others after notify_script_timeout, nothing run twice after a
 * restart from the snapshot; vrrp_script rise/fall through the script pool, a stale result ignored.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ActorContext } from '../../src/actors/runtime';
import { actor as notifyActor, type FromNotifyActor, type NotifyActorInit } from '../../src/actors/notifier/actor-notify';
import { actor as scriptActor, type FromScriptMonitor, type ScriptMonitorInit } from '../../src/actors/monitor/actor-script';
import { log } from '../../src/util/log';

interface Fake<Out> { ctx: ActorContext<Out, unknown>; sent: Out[]; snaps: unknown[]; timers: Map<string, number>; now: { t: number } }

function fake<Out>(): Fake<Out> {
  const sent: Out[] = [];
  const snaps: unknown[] = [];
  const timers = new Map<string, number>();
  const now = { t: 1000 };
  const ctx: ActorContext<Out, unknown> = {
    id: 'test', state: undefined, send: (m) => sent.push(m), report: (s) => snaps.push(JSON.parse(JSON.stringify(s))),
    setTimer: (n, at) => timers.set(n, at), clearTimer: (n) => timers.delete(n), now: () => now.t, log: log(),
  };
  return { ctx, sent, snaps, timers, now };
}

/** The messages of one type an actor sent. */
function ofType<M extends { type: string }, T extends M['type']>(sent: M[], type: T): Array<Extract<M, { type: T }>> {
  return sent.filter((m): m is Extract<M, { type: T }> => m.type === type);
}

const script = (raw: string) => ({ raw, argv: raw.split(' ') });
const init: NotifyActorInit = {
  type: 'INSTANCE', name: 'VI_1', timeoutMs: 2000,
  notify: { notify: script('/x/notify.sh a'), notifyMaster: script('/x/master.sh'), notifyStop: script('/x/stop.sh') },
};

test('notify actor: MASTER runs notify_master, then notify with INSTANCE VI_1 MASTER 100, with notify_script_timeout; STOP scripts get 1 s', async () => {
  const f = fake<FromNotifyActor>();
  await notifyActor.start(f.ctx as never, init);
  await notifyActor.receive(f.ctx as never, { type: 'transition', seq: 1, state: 'MASTER', priority: 100 });
  await notifyActor.receive(f.ctx as never, { type: 'transition', seq: 2, state: 'STOP', priority: 100 });
  const jobs = ofType(f.sent, 'job').map((m) => [m.job.argv.join(' '), m.job.timeoutMs, m.job.umask]);
  assert.deepEqual(jobs, [
    ['/x/master.sh', 2000, 0o177], ['/x/notify.sh a INSTANCE VI_1 MASTER 100', 2000, 0o177],
    ['/x/stop.sh', 1000, 0o177], ['/x/notify.sh a INSTANCE VI_1 STOP 100', 1000, 0o177],
  ]);
});

test('notify actor: a restart from the snapshot neither repeats a handled transition nor forgets a job in flight', async () => {
  const f = fake<FromNotifyActor>();
  await notifyActor.start(f.ctx as never, init);
  await notifyActor.receive(f.ctx as never, { type: 'transition', seq: 1, state: 'MASTER', priority: 100 });
  const ref = ofType(f.sent, 'job')[0]!.ref;
  const snap = f.snaps.at(-1);
  const g = fake<FromNotifyActor>();
  await notifyActor.start(g.ctx as never, init, snap);
  await notifyActor.receive(g.ctx as never, { type: 'transition', seq: 1, state: 'MASTER', priority: 100 });
  assert.equal(ofType(g.sent, 'job').length, 0, 'seq 1 is not run again');
  await notifyActor.receive(g.ctx as never, { type: 'job.done', ref, result: { code: null, signal: null, timedOut: true, aborted: false, durationMs: 2000 } });
  const l = ofType(g.sent, 'log')[0];
  assert.equal(l?.fields.code, 'E_SCRIPT_TIMEOUT', 'the new incarnation logs the old job\'s timeout with its code');
  assert.match(l!.msg, /^\(VI_1\) notify script \/x\/master\.sh timed out after 2000 ms/);
});

const sInit: ScriptMonitorInit = { name: 'chk', argv: ['/x/chk.sh'], intervalMs: 1000, timeoutMs: 1000, rise: 2, fall: 2, initFail: false };
const done = (ref: string, code: number) => ({ type: 'job.done' as const, ref, result: { code, signal: null, timedOut: false, aborted: false, durationMs: 1 } });

test('vrrp_script monitor: first result reported at once, fall 2 failures report failed, a stale result is ignored, the next run one interval after the last start', async () => {
  const f = fake<FromScriptMonitor>();
  await scriptActor.start(f.ctx as never, sInit);
  const lastJob = () => ofType(f.sent, 'job').at(-1)!.ref;
  const reports = () => ofType(f.sent, 'script').map((m) => m.ok);
  assert.equal(f.timers.get('run'), 2000);
  await scriptActor.receive(f.ctx as never, done(lastJob(), 0));
  assert.deepEqual(reports(), [true]);
  for (let i = 0; i < 2; i++) {
    f.now.t += 1000;
    await scriptActor.timer!(f.ctx as never, 'run');
    await scriptActor.receive(f.ctx as never, done(lastJob(), 1));
  }
  assert.deepEqual(reports(), [true, false], 'two failures (fall 2) and only then failed');
  await scriptActor.receive(f.ctx as never, done('stale.1', 0));
  assert.deepEqual(reports(), [true, false]);
  assert.equal(f.timers.get('run'), f.now.t + 1000);
});
