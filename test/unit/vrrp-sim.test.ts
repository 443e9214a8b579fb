/**
 * Deterministic two-node simulator: VRRP machines exchange adverts over a lossless wire on a virtual
 * clock, with the actor's job (keep one timer per name, deliver adverts) done by the loop below.
 * Checks the failover figures in shared/reference/keepalived-behaviour.md.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initialState, masterDownMs, skewMs, step } from '../../src/actors/vrrp';
import type { InstanceParams, InstanceState, TimerName, VrrpEvent } from '../../src/actors/vrrp';
import { params } from './vrrp-helpers';

interface Node { name: string; p: InstanceParams; s: InstanceState; alive: boolean; timers: Partial<Record<TimerName, number>> }
interface WireRecord { t: number; node: string; kind: 'advert' | 'garp' | 'transition'; priority?: number; count?: number; to?: string }

const WIRE_DELAY = 0.1; // ms, one-way

class Sim {
  now = 0;
  wire: WireRecord[] = [];
  private inflight: Array<{ at: number; to: Node; e: VrrpEvent; seq: number }> = [];
  private seq = 0;
  connected = true;
  constructor(readonly nodes: Node[]) {}

  feed(n: Node, e: VrrpEvent): void {
    if (!n.alive) return;
    const r = step(n.p, n.s, e);
    n.s = r.state;
    for (const i of r.intents) {
      switch (i.type) {
        case 'setTimer': n.timers[i.timer] = i.at; break;
        case 'clearTimer': delete n.timers[i.timer]; break;
        case 'sendAdvert':
          this.wire.push({ t: this.now, node: n.name, kind: 'advert', priority: i.priority });
          if (this.connected) {
            for (const peer of this.nodes) {
              if (peer !== n) this.inflight.push({ at: this.now + WIRE_DELAY, to: peer, seq: this.seq++, e: { type: 'advert', now: 0, from: n.p.primaryAddress, priority: i.priority, maxAdverIntCs: n.p.advertIntCs } });
            }
          }
          break;
        case 'sendGarp': this.wire.push({ t: this.now, node: n.name, kind: 'garp', count: i.count }); break;
        case 'transition': this.wire.push({ t: this.now, node: n.name, kind: 'transition', to: i.to }); break;
        default: break;
      }
    }
  }

  /** Advance to `until`, processing timers and deliveries in time order. */
  runUntil(until: number): void {
    for (;;) {
      let best: { at: number; run: () => void } | null = null;
      for (const n of this.nodes) {
        if (!n.alive) continue;
        for (const [name, at] of Object.entries(n.timers) as Array<[TimerName, number]>) {
          if (!best || at < best.at) best = { at, run: () => { delete n.timers[name]; this.feed(n, { type: 'timer', now: at, timer: name }); } };
        }
      }
      this.inflight.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const pkt = this.inflight[0];
      if (pkt && (!best || pkt.at <= best.at)) best = { at: pkt.at, run: () => { this.inflight.shift(); this.feed(pkt.to, { ...pkt.e, now: pkt.at } as VrrpEvent); } };
      if (!best || best.at > until) break;
      this.now = best.at;
      best.run();
    }
    this.now = until;
  }

  at(t: number, f: () => void): void { this.runUntil(t); f(); }
  adverts(node: string): WireRecord[] { return this.wire.filter((w) => w.node === node && w.kind === 'advert'); }
}

/** Equal to the microsecond (float sums of ms deadlines are not exact). */
function near(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) < 1e-6, `${what}: ${actual} ms, expected ${expected} ms`);
}

function node(name: string, p: InstanceParams): Node {
  return { name, p, s: initialState(p), alive: true, timers: {} };
}

function pair(over: Partial<InstanceParams> = {}): { sim: Sim; a: Node; b: Node } {
  const a = node('A', params({ priority: 100, initialState: 'MASTER', primaryAddress: '192.0.2.11', ...over }));
  const b = node('B', params({ priority: 90, initialState: 'BACKUP', primaryAddress: '192.0.2.12', ...over }));
  const sim = new Sim([a, b]);
  sim.feed(a, { type: 'startup', now: 0 });
  sim.feed(b, { type: 'startup', now: 0 });
  return { sim, a, b };
}

test('startup: state MASTER prio 100 wins after its own master-down timer, the prio-90 peer stays BACKUP', () => {
  const { sim, a, b } = pair();
  sim.runUntil(20_000);
  assert.equal(a.s.state, 'MASTER');
  assert.equal(b.s.state, 'BACKUP');
  const firstAdvert = sim.adverts('A')[0]!;
  assert.equal(firstAdvert.t, masterDownMs(2, 100, 100));
  assert.equal(sim.wire.filter((w) => w.kind === 'transition' && w.to === 'MASTER').length, 1);
  // steady state: one advert per second from A, none from B
  assert.equal(sim.adverts('B').length, 0);
  assert.equal(sim.adverts('A').length, Math.floor((20_000 - firstAdvert.t) / 1000) + 1);
});

test('v2, advert_int 1 s, master killed: the backup\'s first advert comes 3 × 1 s + (256 − 90)/256 s after the master\'s last one', () => {
  const { sim, a, b } = pair();
  sim.runUntil(10_050);
  a.alive = false;                                 // kill -9: nothing more from A, VIPs left behind
  sim.runUntil(30_000);
  const lastA = sim.adverts('A').at(-1)!;
  const firstB = sim.adverts('B')[0]!;
  const gap = firstB.t - lastA.t;
  near(gap, WIRE_DELAY + masterDownMs(2, 90, 100), 'failover');
  assert.ok(Math.abs(gap - 3648.4) < 0.2, `failover after ${gap} ms`);
  assert.equal(b.s.state, 'MASTER');
  // 5 GARPs right after the first advert, 5 more 5 s later, then none
  const garps = sim.wire.filter((w) => w.node === 'B' && w.kind === 'garp');
  assert.deepEqual(garps.map((g) => g.count), [5, 5]);
  near(garps[0]!.t, firstB.t, 'first GARP burst');
  near(garps[1]!.t - firstB.t, 5000, 'second GARP burst');
});

test('v3, advert_int 0.1 s: failover after 3 × 100 ms + skew (keepalived measured 365–370 ms)', () => {
  const { sim, a } = pair({ version: 3, advertIntCs: 10 });
  sim.runUntil(2_000);
  a.alive = false;
  sim.runUntil(5_000);
  const gap = sim.adverts('B')[0]!.t - sim.adverts('A').at(-1)!.t;
  near(gap, WIRE_DELAY + 300 + skewMs(3, 90, 10), 'failover');
  assert.ok(gap > 364 && gap < 366, `failover after ${gap} ms`);
});

test('graceful stop: priority-0 advert, the backup takes over after Skew_Time (keepalived measured ~649 ms)', () => {
  const { sim, a, b } = pair();
  sim.runUntil(10_050);
  sim.feed(a, { type: 'shutdown', now: sim.now });
  const zero = sim.adverts('A').at(-1)!;
  assert.equal(zero.priority, 0);
  sim.runUntil(20_000);
  const gap = sim.adverts('B')[0]!.t - zero.t;
  near(gap, WIRE_DELAY + skewMs(2, 90, 100), 'takeover after priority 0');
  assert.equal(a.s.state, 'STOP');
  assert.equal(b.s.state, 'MASTER');
});

test('a restarted higher-priority node waits for its own timer, then preempts; the old master yields', () => {
  const { sim, a, b } = pair();
  sim.runUntil(10_050);
  a.alive = false;
  sim.runUntil(20_000);
  assert.equal(b.s.state, 'MASTER');
  a.alive = true;
  a.s = initialState(a.p);
  a.timers = {};
  sim.feed(a, { type: 'startup', now: sim.now });
  sim.runUntil(40_000);
  assert.equal(a.s.state, 'MASTER');
  assert.equal(b.s.state, 'BACKUP');
  const aMaster = sim.wire.filter((w) => w.node === 'A' && w.kind === 'transition' && w.to === 'MASTER').at(-1)!;
  near(aMaster.t, 20_000 + masterDownMs(2, 100, 100), 'lower adverts from B are discarded, A preempts at its down timer');
});

test('nopreempt: the returning higher-priority node stays BACKUP', () => {
  const { sim, a, b } = pair({ preempt: false, initialState: 'BACKUP' });
  sim.runUntil(10_050);
  a.alive = false;
  sim.runUntil(20_000);
  a.alive = true;
  a.s = initialState(a.p);
  a.timers = {};
  sim.feed(a, { type: 'startup', now: sim.now });
  sim.runUntil(60_000);
  assert.equal(a.s.state, 'BACKUP');
  assert.equal(b.s.state, 'MASTER');
});

test('two masters meeting after a partition: the higher answers at once with an advert and 5 GARPs, the lower yields', () => {
  const { sim, a, b } = pair();
  sim.runUntil(10_050);
  sim.connected = false;
  sim.runUntil(20_000);
  assert.equal(a.s.state, 'MASTER');
  assert.equal(b.s.state, 'MASTER');
  sim.connected = true;
  const tB = b.timers.advert!;
  sim.runUntil(tB + 1);                            // B's next advert reaches A
  const answer = sim.wire.filter((w) => w.node === 'A' && w.t === tB + WIRE_DELAY);
  assert.deepEqual(answer.map((w) => [w.kind, w.priority ?? w.count]), [['advert', 100], ['garp', 5]]);
  assert.equal(b.s.state, 'BACKUP');
  assert.equal(a.s.state, 'MASTER');
});
