/**
 * Where an actor runs. Pure: no threads, no clock.
 *
 * Facts (DESIGN.md): a worker thread costs ~8 MB RSS and ~30 ms to start, so a thread per actor cannot
 * carry 255 VRRP instances + 1,000 real servers. Rules:
 *  - pools never mix: VRRP actors, checker actors and notifier actors run on separate hosts, so checker or
 *    notifier work can never delay a VRRP timer;
 *  - VRRP: the first `vrrpDedicated` (default 4) instances each get a host of their own; past that they are
 *    packed onto the least-loaded of max(vrrpDedicated, vrrpThreads) hosts (`--actor-threads`, default 4);
 *  - checker / notifier: up to `checkerThreads` / `notifierThreads` hosts, least-loaded first;
 *  - an empty host of the right pool is always reused before a new one is started.
 */
export type Pool = 'vrrp' | 'checker' | 'notifier';

export interface PlacementConfig {
  vrrpDedicated: number;
  vrrpThreads: number;
  checkerThreads: number;
  notifierThreads: number;
}

export const DEFAULT_PLACEMENT: PlacementConfig = { vrrpDedicated: 4, vrrpThreads: 4, checkerThreads: 2, notifierThreads: 1 };

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
  if (mine.length < maxHosts(pool, cfg)) return { kind: 'new', pool };
  let best = mine[0]!;
  for (const h of mine) if (h.actors < best.actors) best = h;
  return { kind: 'existing', hostId: best.hostId };
}
