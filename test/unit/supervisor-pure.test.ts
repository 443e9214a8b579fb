import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Packr } from 'msgpackr';
import { place, DEFAULT_PLACEMENT, type HostLoad } from '../../src/supervisor/placement';
import { decideRestart } from '../../src/supervisor/policy';
import { decode, encode, FrameWriter, decodeFrame, validateToHost } from '../../src/supervisor/messages';

function fill(n: number, pool: 'vrrp' | 'checker' | 'notifier', cfg = DEFAULT_PLACEMENT): HostLoad[] {
  const hosts: HostLoad[] = [];
  for (let i = 0; i < n; i++) {
    const p = place(pool, hosts, cfg);
    if (p.kind === 'new') hosts.push({ hostId: `${pool}-${hosts.length}`, pool, actors: 1 });
    else hosts.find((h) => h.hostId === p.hostId)!.actors++;
  }
  return hosts;
}

// Was: the first 4 VRRP instances each got a thread of their own. Each thread is an isolate of ~12-15 MB,
// and issue 13's goal (100 instances in <= 100 MB) leaves room for one; the main thread's deputy keeps a
// late or hung actor's adverts going, so one shared thread no longer costs a peer its adverts.
test('placement: VRRP instances share one thread up to vrrpPerThread (128), then spread over up to --actor-threads', () => {
  assert.deepEqual(fill(1, 'vrrp').map((x) => x.actors), [1]);
  assert.deepEqual(fill(100, 'vrrp').map((x) => x.actors), [100]);
  assert.deepEqual(fill(128, 'vrrp').map((x) => x.actors), [128]);
  const h = fill(255, 'vrrp');
  assert.equal(h.length, 2);
  assert.ok(Math.max(...h.map((x) => x.actors)) - Math.min(...h.map((x) => x.actors)) <= 1);
});

test('placement: vrrpDedicated instances each get a thread of their own', () => {
  const h = fill(4, 'vrrp', { ...DEFAULT_PLACEMENT, vrrpDedicated: 4 });
  assert.deepEqual(h.map((x) => x.actors), [1, 1, 1, 1]);
});

test('placement: 255 VRRP instances are packed evenly onto --actor-threads threads', () => {
  // what the Supervisor sets for an explicit --actor-threads
  const h = fill(255, 'vrrp', { ...DEFAULT_PLACEMENT, vrrpThreads: 4, vrrpPerThread: 1 });
  assert.equal(h.length, 4);
  assert.ok(Math.max(...h.map((x) => x.actors)) - Math.min(...h.map((x) => x.actors)) <= 1);
  const h6 = fill(255, 'vrrp', { ...DEFAULT_PLACEMENT, vrrpThreads: 6, vrrpPerThread: 1 });
  assert.equal(h6.length, 6);
});

test('placement: checker actors never land on a VRRP host, and stay within their pool bound', () => {
  const hosts = fill(10, 'vrrp');
  for (let i = 0; i < 1000; i++) {
    const p = place('checker', hosts);
    if (p.kind === 'new') hosts.push({ hostId: `checker-${hosts.length}`, pool: 'checker', actors: 1 });
    else {
      const h = hosts.find((x) => x.hostId === p.hostId)!;
      assert.equal(h.pool, 'checker');
      h.actors++;
    }
  }
  assert.equal(hosts.filter((h) => h.pool === 'checker').length, DEFAULT_PLACEMENT.checkerThreads);
  assert.equal(place('notifier', hosts).kind, 'new');
});

test('placement: an empty host of the pool is reused before a new one starts', () => {
  const hosts: HostLoad[] = [{ hostId: 'vrrp-0', pool: 'vrrp', actors: 1 }, { hostId: 'vrrp-1', pool: 'vrrp', actors: 0 }];
  assert.deepEqual(place('vrrp', hosts), { kind: 'existing', hostId: 'vrrp-1' });
});

test('restart policy: back-off follows backoffMs, the last entry repeats, then FAULT past maxRestarts', () => {
  const policy = { maxRestarts: 4, withinMs: 1000, backoffMs: [0, 10, 100] };
  let h: number[] = [];
  const delays: number[] = [];
  for (let t = 0; t < 4; t++) {
    const d = decideRestart(policy, h, t);
    assert.equal(d.action, 'restart');
    if (d.action === 'restart') {
      delays.push(d.delayMs);
      h = d.history;
    }
  }
  assert.deepEqual(delays, [0, 10, 100, 100]);
  assert.equal(decideRestart(policy, h, 5).action, 'fault');
  // outside the window the count starts again
  const later = decideRestart(policy, h, 5000);
  assert.equal(later.action, 'restart');
  assert.equal(later.action === 'restart' && later.delayMs, 0);
});

test('messages: decode accepts each valid message and returns a reason for the rest, never throws', () => {
  const ok = decode(encode({ v: 1, type: 'deliver', actor: 'VI_1', msg: { a: 1 } }), 'host');
  assert.deepEqual(ok, { ok: true, msg: { v: 1, type: 'deliver', actor: 'VI_1', msg: { a: 1 } } });
  const p = new Packr({ useRecords: false });
  const cases: [unknown, string][] = [
    ['text', 'not-binary'],
    [new Uint8Array([0xdb, 0xff, 0xff, 0xff, 0xff]), 'undecodable'],
    [p.pack(42), 'not-an-object'],
    [p.pack({ v: 2, type: 'deliver', actor: 'x', msg: 1 }), 'bad-version'],
    [p.pack({ v: 1 }), 'no-type'],
    [p.pack({ v: 1, type: 'launch-missiles' }), 'unknown-type'],
    [p.pack({ v: 1, type: 'deliver', msg: 1 }), 'bad-field:deliver.actor'],
    [p.pack({ v: 1, type: 'spawn', actor: 'a', slot: 0, kind: 'k', module: 'm', init: 0, snapshot: 'no', timers: [] }), 'bad-field:spawn.snapshot'],
    [p.pack({ v: 1, type: 'fault', actor: 'a', fault: 'explode', ms: 1 }), 'bad-field:fault.fault'],
  ];
  for (const [bytes, reason] of cases) assert.deepEqual(decode(bytes, 'host'), { ok: false, reason }, String(reason));
  assert.deepEqual(decode(p.pack({ v: 1, type: 'pong', seq: 1, stats: {} }), 'supervisor'), { ok: false, reason: 'bad-field:pong.stats' });
});

test('messages: a frame carries several messages and a bad tail does not lose the good head', () => {
  const w = new FrameWriter();
  w.push({ v: 1, type: 'ping', seq: 1 });
  w.push({ v: 1, type: 'deliver', actor: 'a', msg: [1, 2] });
  const f = w.take()!;
  const bad = new Uint8Array(f.length + 1);
  bad.set(f);
  bad[f.length] = 0x81; // a map header with no entries after it
  const got: unknown[] = [];
  const drops: string[] = [];
  decodeFrame(bad, validateToHost, (m) => got.push(m), (r) => drops.push(r));
  assert.equal(got.length, 2);
  assert.deepEqual(drops, ['undecodable']);
});
