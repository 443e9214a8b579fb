/**
 * Where an actor runs. Pure: no threads, no clock.
 *
 * Facts (DESIGN.md, bench/README.md "Continuity and cost"): a worker thread costs ~12-15 MB RSS (its
 * isolate and its own copy of the modules) and ~30 ms to start, so a thread per actor cannot carry 255
 * VRRP instances + 1,000 real servers, and even 4 idle VRRP threads were half of a 100-instance daemon's
 * RSS. Rules:
 *  - pools never mix: VRRP actors, checker actors and notifier actors run on separate hosts, so checker or
 *    notifier work can never delay a VRRP timer;
 *  - VRRP: the first `vrrpDedicated` (default 1) instances each get a host of their own; past that a new
 *    host starts only when every VRRP host holds `vrrpPerThread` (default 128) instances, up to
 *    max(vrrpDedicated, vrrpThreads) hosts (`--actor-threads`, default 4; given explicitly it spreads the
 *    instances over that many threads, vrrpPerThread 1). A hung or crashed VRRP actor no longer needs a
 *    thread of its own to keep its peers' adverts going: the main thread's deputy advertises for every
 *    MASTER of a host that is late (src/daemon/deputy.ts), as keepalived runs all instances in one process;
 *  - checker / notifier: up to `checkerThreads` / `notifierThreads` hosts, least-loaded first;
 *  - an empty host of the right pool is always reused before a new one is started.
 */
export type Pool = 'vrrp' | 'checker' | 'notifier';

export interface PlacementConfig {
  vrrpDedicated: number;
  vrrpThreads: number;
  /** past vrrpDedicated, a new VRRP host starts only when every VRRP host holds this many actors */
  vrrpPerThread: number;
  checkerThreads: number;
  notifierThreads: number;
}

export const DEFAULT_PLACEMENT: PlacementConfig = { vrrpDedicated: 1, vrrpThreads: 4, vrrpPerThread: 128, checkerThreads: 2, notifierThreads: 1 };

export interface HostLoad {
  hostId: string;
  pool: Pool;
  actors: number;
}

export type Placement = { kind: 'existing'; hostId: string } | { kind: 'new'; pool: Pool };

export function maxHosts(pool: Pool, cfg: PlacementConfig): number {
  switch (pool) {
    case 'vrrp':
      return Math.max(1, cfg.vrrpDedicated, cfg.vrrpThreads);
    case 'checker':
      return Math.max(1, cfg.checkerThreads);
    case 'notifier':
      return Math.max(1, cfg.notifierThreads);
    default: {
      const never: never = pool;
      throw new Error(`unknown pool ${String(never)}`);
    }
  }
}

export function place(pool: Pool, hosts: readonly HostLoad[], cfg: PlacementConfig = DEFAULT_PLACEMENT): Placement {
  const mine = hosts.filter((h) => h.pool === pool);
  const empty = mine.find((h) => h.actors === 0);
  if (empty) return { kind: 'existing', hostId: empty.hostId };
  let best = mine[0];
  for (const h of mine) if (h.actors < best!.actors) best = h;
  const room = mine.length < maxHosts(pool, cfg);
  if (!best || (room && (pool !== 'vrrp' || mine.length < cfg.vrrpDedicated || best.actors >= cfg.vrrpPerThread))) return { kind: 'new', pool };
  return { kind: 'existing', hostId: best.hostId };
}
