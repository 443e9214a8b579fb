import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { EventEmitter } from 'node:events';
import { Packr } from 'msgpackr';
import { Supervisor, type ActorKind, type SupervisorOptions } from '../../src/supervisor';
import { counterKind, tickerKind } from '../helpers/fixture-kinds';
import { pino } from 'pino';

const FIX = path.join(__dirname, '..', 'fixtures', 'actors');
const quiet = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What an actor sent, as the handler its kind was registered with received it. */
interface Out { id: string; msg: unknown }
const outputs = new WeakMap<Supervisor, EventEmitter<{ out: [Out] }>>();
const outs = (s: Supervisor): EventEmitter<{ out: [Out] }> => outputs.get(s)!;

function make(opts: SupervisorOptions = {}): Supervisor {
  const s = new Supervisor({ log: quiet, hostLogLevel: 'silent', ...opts });
  outputs.set(s, new EventEmitter());
  return s;
}

/** Register a kind whose actors' output goes to `outs(s)`; returns the kind. */
function reg<K extends ActorKind<unknown, unknown, unknown>>(s: Supervisor, kind: K): K {
  s.register(kind, (id, msg) => outs(s).emit('out', { id, msg }));
  return kind;
}

/** Resolve with the first output matching `pred` (rejects after timeoutMs). */
function waitOut(s: Supervisor, pred: (e: Out) => boolean, timeoutMs = 3000): Promise<Out> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      outs(s).off('out', f);
      reject(new Error('timed out waiting for actor output'));
    }, timeoutMs);
    const f = (e: Out): void => {
      if (pred(e)) {
        clearTimeout(t);
        outs(s).off('out', f);
        resolve(e);
      }
    };
    outs(s).on('out', f);
  });
}
const msgOf = (e: Out) => e.msg as { type: string; n?: number; snapshot?: { lastSeq: number } | null };

test('an actor crashing 100 times in a row: host-mates miss no message, it resumes each time from its last snapshot', async () => {
  const s = make({ placement: { checkerThreads: 1 } });
  try {
    const counter = reg(s, counterKind('checker', { maxRestarts: 1000, withinMs: 60_000, backoffMs: [0] }));
    const mates = ['mate-1', 'mate-2'];
    const acks = new Map<string, number[]>(mates.map((m) => [m, []]));
    const gaps: unknown[] = [];
    outs(s).on('out', (e) => {
      const m = msgOf(e);
      if (m.type === 'ack' && acks.has(e.id)) acks.get(e.id)!.push(m.n!);
      if (m.type === 'gap') gaps.push({ id: e.id, m });
    });
    const started = waitOut(s, (e) => e.id === 'victim' && msgOf(e).type === 'started');
    s.spawn('victim', counter, {});
    for (const m of mates) s.spawn(m, counter, {});
    await started;
    assert.equal(new Set(s.state().actors.map((a) => a.host)).size, 1, 'all three share one host');
    let mateSeq = 0;
    for (let i = 1; i <= 100; i++) {
      s.send(counter, 'victim', { type: 'seq', n: i });
      for (const m of mates) s.send(counter, m, { type: 'seq', n: mateSeq + 1 });
      mateSeq++;
      const back = waitOut(s, (e) => e.id === 'victim' && msgOf(e).type === 'started');
      s.send(counter, 'victim', { type: i % 2 ? 'crash' : 'crash-async' });
      // host-mates keep receiving while the victim is down
      for (const m of mates) s.send(counter, m, { type: 'seq', n: mateSeq + 1 });
      mateSeq++;
      const e = await back;
      assert.deepEqual(msgOf(e).snapshot, { lastSeq: i, handled: i }, `restart ${i} resumes from the last snapshot`);
    }
    await sleep(100);
    for (const m of mates) assert.deepEqual(acks.get(m), Array.from({ length: mateSeq }, (_, k) => k + 1), `${m} saw every message in order`);
    assert.deepEqual(gaps, []);
    const v = s.state().actors.find((a) => a.id === 'victim')!;
    assert.equal(v.restarts, 100);
    assert.equal(v.state, 'running');
    assert.match(v.lastError!.reason, /told to crash/);
    for (const a of s.state().actors.filter((x) => x.id !== 'victim')) assert.equal(a.restarts, 0);
    const st = s.stats();
    assert.equal(st.restarts, 100);
    assert.equal(st.restartLatencyMs.count, 100);
  } finally {
    await s.shutdown();
  }
});

test('restart back-off follows the policy and the actor is declared FAULT past maxRestarts', async () => {
  const s = make();
  try {
    const counter = reg(s, counterKind('vrrp', { maxRestarts: 3, withinMs: 10_000, backoffMs: [0, 60, 150] }));
    const restarts: { delayMs: number; attempt: number }[] = [];
    s.on('restart', (e) => restarts.push({ delayMs: e.delayMs, attempt: e.attempt }));
    const faults: string[] = [];
    s.on('fault', (e) => faults.push(e.id));
    let up = waitOut(s, (e) => msgOf(e).type === 'started');
    s.spawn('flaky', counter, {});
    await up;
    const downFor: number[] = [];
    for (let i = 0; i < 3; i++) {
      up = waitOut(s, (e) => msgOf(e).type === 'started');
      const t0 = performance.now();
      s.send(counter, 'flaky', { type: 'crash' });
      await up;
      downFor.push(performance.now() - t0);
    }
    assert.deepEqual(restarts, [{ delayMs: 0, attempt: 1 }, { delayMs: 60, attempt: 2 }, { delayMs: 150, attempt: 3 }]);
    assert.ok(downFor[1]! >= 60 && downFor[2]! >= 150, `down times ${downFor.map((x) => x.toFixed(0)).join(',')} respect the back-off`);
    s.send(counter, 'flaky', { type: 'crash' });
    await sleep(100);
    assert.deepEqual(faults, ['flaky']);
    const a = s.state().actors.find((x) => x.id === 'flaky')!;
    assert.equal(a.state, 'fault');
    assert.equal(a.restarts, 3);
    assert.match(a.lastError!.reason, /told to crash/);
    assert.equal(s.send(counter, 'flaky', { type: 'seq', n: 1 }), false, 'a FAULT actor takes no messages');
  } finally {
    await s.shutdown();
  }
});

test('a stray async error (in an actor\'s own timer) restarts only that actor', async () => {
  const s = make({ placement: { checkerThreads: 1 } });
  try {
    const counter = reg(s, counterKind('checker'));
    const up = waitOut(s, (e) => e.id === 'b' && msgOf(e).type === 'started');
    s.spawn('a', counter, {});
    s.spawn('b', counter, {});
    await up;
    const back = waitOut(s, (e) => e.id === 'a' && msgOf(e).type === 'started');
    s.send(counter, 'a', { type: 'crash-stray' });
    await back;
    const st = s.state();
    assert.equal(st.actors.find((x) => x.id === 'a')!.restarts, 1);
    assert.match(st.actors.find((x) => x.id === 'a')!.lastError!.reason, /^async: stray timer error/);
    assert.equal(st.actors.find((x) => x.id === 'b')!.restarts, 0);
    assert.equal(st.stats.hostsTerminated, 0);
  } finally {
    await s.shutdown();
  }
});

test('a host in a busy loop is terminated; its actors run again at once (a new thread) while a VRRP actor elsewhere keeps ticking', async () => {
  const heartbeatMs = 100;
  // the default bound is 2 s (a starved host is not hung); this drill sets a short one to time the mechanics
  const s = make({ heartbeatMs, hangAfterMs: 2 * heartbeatMs, enableFaultInjection: true, placement: { checkerThreads: 1 } });
  try {
    const counter = reg(s, counterKind('checker', { maxRestarts: 5, withinMs: 60_000, backoffMs: [0] }));
    const ticker = reg(s, tickerKind('vrrp'));
    const ticks: number[] = [];
    outs(s).on('out', (e) => {
      if (e.id === 'tick' && msgOf(e).type === 'tick') ticks.push(performance.now());
    });
    const up = waitOut(s, (e) => e.id === 'mate' && msgOf(e).type === 'started');
    s.spawn('tick', ticker, { periodMs: 20 });
    s.spawn('victim', counter, {});
    s.spawn('mate', counter, {});
    await up;
    for (let i = 1; i <= 5; i++) s.send(counter, 'victim', { type: 'seq', n: i });
    await waitOut(s, (e) => e.id === 'victim' && msgOf(e).n === 5);
    await sleep(300); // heartbeats flowing, ticker ticking
    const terminated = new Promise<{ at: number; blamed: string | null; actors: string[] }>((r) =>
      s.once('host-terminated', (e) => r({ at: performance.now(), blamed: e.blamed, actors: e.actors })));
    const victimBack = waitOut(s, (e) => e.id === 'victim' && msgOf(e).type === 'started');
    const mateBack = waitOut(s, (e) => e.id === 'mate' && msgOf(e).type === 'started');
    const t0 = performance.now();
    const ticksBefore = ticks.length;
    s.injectFault('victim', 'hang');
    const term = await terminated;
    const [v, m] = await Promise.all([victimBack, mateBack]);
    const back = performance.now();
    assert.equal(term.blamed, 'victim');
    assert.deepEqual([...term.actors].sort(), ['mate', 'victim']);
    assert.deepEqual(msgOf(v).snapshot, { lastSeq: 5, handled: 5 }, 'victim resumes from its snapshot');
    assert.ok(msgOf(m).snapshot !== undefined);
    const detectMs = term.at - t0;
    const recoverMs = back - term.at;
    assert.ok(detectMs <= s.hangAfterMs + heartbeatMs, `hang detected after ${detectMs.toFixed(0)} ms`);
    // recovery is a new thread: ~30 ms on an idle machine, 237 ms seen with a bench running beside
    // the suite on 2 cores (it compiles the host's modules again). Bound: no back-off, no waiting for
    // a heartbeat cycle, well below the default 2 s hang bound.
    assert.ok(recoverMs < 5 * heartbeatMs + 500, `actors running again ${recoverMs.toFixed(0)} ms after termination`);
    await sleep(200);
    const window = ticks.slice(Math.max(0, ticksBefore - 1));
    const gaps = window.slice(1).map((t, i) => t - window[i]!);
    assert.ok(gaps.length > 10);
    assert.ok(Math.max(...gaps) < heartbeatMs, `VRRP-pool ticker max gap ${Math.max(...gaps).toFixed(1)} ms`);
    const st = s.state();
    assert.equal(st.stats.hostsTerminated, 1);
    assert.match(st.actors.find((a) => a.id === 'victim')!.lastError!.reason, /^hang: missed heartbeats/);
    assert.match(st.actors.find((a) => a.id === 'mate')!.lastError!.reason, /^host-restart: /);
    assert.equal(st.actors.find((a) => a.id === 'tick')!.restarts, 0);
  } finally {
    await s.shutdown();
  }
});

test('an idle daemon sleeps: a host that speaks is not pinged, a silent one is, once per heartbeat', async () => {
  const heartbeatMs = 100;
  const s = make({ heartbeatMs, hangAfterMs: 2000, placement: { checkerThreads: 1 } });
  try {
    const ticker = reg(s, tickerKind('vrrp'));
    const counter = reg(s, counterKind('checker'));
    const up = waitOut(s, (e) => e.id === 'quiet' && msgOf(e).type === 'started');
    s.spawn('tick', ticker, { periodMs: 20 }); // speaks every 20 ms
    s.spawn('quiet', counter, {}); // says nothing after it started
    await up;
    const pings = (): Record<string, number> => Object.fromEntries(s.state().hosts.map((h) => [h.pool, h.pings]));
    const before = pings();
    await sleep(1500);
    const after = pings();
    const vrrp = after['vrrp']! - before['vrrp']!;
    const checker = after['checker']! - before['checker']!;
    assert.ok(vrrp <= 3, `the ticking host was pinged ${vrrp} times in 1.5 s`);
    // before this, every host was pinged on every tick (~30 in 1.5 s); now a silent one once per
    // heartbeat at most (answered at once, checked every half heartbeat), a speaking one not at all
    assert.ok(checker >= 3 && checker <= 16, `the silent host was pinged ${checker} times in 1.5 s`);
    assert.equal(s.state().stats.hostsTerminated, 0);
  } finally {
    await s.shutdown();
  }
});

test('timers survive a restart: the runtime re-arms a crashed actor\'s pending timers', async () => {
  const s = make({ enableFaultInjection: true });
  try {
    const ticker = reg(s, tickerKind('vrrp'));
    s.spawn('tick', ticker, { periodMs: 30 });
    await waitOut(s, (e) => msgOf(e).type === 'tick' && msgOf(e).n === 3);
    s.injectFault('tick', 'crash');
    // start() after a restart does not arm anything: only the re-armed table keeps it ticking
    const e = await waitOut(s, (x) => msgOf(x).type === 'tick' && x.id === 'tick' && s.state().actors[0]!.restarts === 1, 2000);
    assert.ok(msgOf(e).n! >= 4, 'tick count continues from the snapshot');
    assert.equal(s.state().actors[0]!.timers.length, 1);
  } finally {
    await s.shutdown();
  }
});

test('10,000 malformed or unknown messages at a host and at the supervisor are dropped and counted, nothing crashes', async () => {
  // A flood of 20,000 messages can keep a host busy longer than the default 200 ms hang limit on a
  // loaded machine (pings queue behind the flood); this test is about dropping, not the watchdog.
  const s = make({ hangAfterMs: 2000 });
  try {
    const counter = reg(s, counterKind('vrrp'));
    s.spawn('a', counter, {});
    await waitOut(s, (e) => msgOf(e).type === 'started');
    const p = new Packr({ useRecords: false });
    for (let i = 0; i < 10_000; i++) {
      switch (i % 6) {
        case 0: s.postRawToHostOf('a', `junk ${i}`); break;
        case 1: s.postRawToHostOf('a', new Uint8Array([0xdb, 0xff, 0xff, 0xff, 0xff])); break;
        case 2: s.postRawToHostOf('a', p.pack({ v: 2, type: 'deliver', actor: 'a', msg: i })); break;
        case 3: s.postRawToHostOf('a', p.pack({ v: 1, type: `bogus-${i}` })); break;
        case 4: s.postRawToHostOf('a', p.pack({ v: 1, type: 'deliver', msg: i })); break;
        default: s.postRawToHostOf('a', p.pack([1, 2, 3])); break;
      }
    }
    s.send(counter, 'a', { type: 'spam', count: 10_000 });
    const echo = waitOut(s, (e) => msgOf(e).type === 'echo');
    s.send(counter, 'a', { type: 'echo', t: 1 });
    await echo;
    await s.refresh();
    const st = s.stats();
    const hostDrops = Object.values(st.droppedAtHosts).reduce((a, b) => a + b, 0);
    assert.equal(hostDrops, 10_000, JSON.stringify(st.droppedAtHosts));
    assert.equal((st.droppedAtSupervisor['not-binary'] ?? 0) + (st.droppedAtSupervisor['undecodable'] ?? 0), 10_000, JSON.stringify(st.droppedAtSupervisor));
    assert.equal(st.hostsTerminated, 0);
    assert.equal(st.restarts, 0);
  } finally {
    await s.shutdown();
  }
});

test('stop() calls the actor\'s stop and frees its host; spawn of an unknown kind is refused with a code, a message sent as another kind\'s is dropped', async () => {
  const s = make();
  try {
    const counter = reg(s, counterKind('vrrp'));
    assert.throws(() => s.spawn('x', counterKind('vrrp', undefined, 'nope'), {}), { code: 'E_ACTOR_KIND' });
    assert.throws(() => s.register({ name: 'bad', module: path.join(FIX, 'missing.js'), pool: 'vrrp' }, () => undefined), { code: 'E_ACTOR_MODULE' });
    s.spawn('a', counter, {});
    await waitOut(s, (e) => msgOf(e).type === 'started');
    // a message is typed by its kind: sent as another kind's, it is refused and counted, not delivered
    assert.equal(s.send(tickerKind('vrrp'), 'a', { type: 'noop' }), false);
    assert.equal(s.stats().droppedAtSupervisor['send-to-wrong-kind'], 1);
    await s.stop('a');
    const st = s.state();
    assert.equal(st.actors[0]!.state, 'stopped');
    assert.equal(st.hosts.length, 0);
  } finally {
    await s.shutdown();
  }
});
