/**
 * What --dump-state and the control socket show of the main thread: each
 * instance (state, priorities, timers, fault reasons, VIPs, counters and drops by reason), the VRRP
 * sockets, the trackers and the daemon-wide counters.
 */
import type { DaemonContext } from './context';
import type { AdvertIntake } from './intake';
import type { Trackers } from './trackers';
import type { DeputyStats } from './deputy';
import { liveness } from '../util/liveness';
import { monoToWallOffset } from './advert-timing';

export interface StateSources {
  intake: AdvertIntake;
  trackers: Trackers;
  startedAt: number;
  reloads: () => number;
  /** deputy adverts (./deputy.ts) */
  deputy?: DeputyStats;
}

export function vrrpState(ctx: DaemonContext, src: StateSources): Record<string, unknown> {
  const instances = [...ctx.insts.values()].map((i) => ({
    name: i.vi.name,
    interface: i.r.ifname,
    vrid: i.r.params.vrid,
    version: i.r.params.version,
    family: i.r.family,
    state: i.state?.state ?? 'INIT',
    priority: i.vi.priority,
    effectivePriority: i.state?.effectivePriority ?? i.trackers.effective,
    master: i.state?.masterAddress ?? null,
    masterPriority: i.state?.masterPriority ?? null,
    advertIntCs: i.r.params.advertIntCs,
    masterAdverIntCs: i.state?.masterAdverIntCs ?? null,
    timers: i.state?.timers ?? null,
    fault: i.trackers.fault,
    faultReasons: i.trackers.reasons,
    vips: i.r.vips.map((v) => `${v.address}/${v.prefixLen}`),
    excludedVips: i.r.excluded.map((v) => `${v.address}/${v.prefixLen}`),
    garpDelayS: i.r.params.garp.masterDelayMs / 1000,
    vipsHeld: i.vipsHeld,
    source: i.r.src,
    mode: i.r.group ? `multicast ${i.r.group}` : `unicast ${i.r.peers.map((p) => p.address).join(',')}`,
    counters: { ...(i.state?.counters ?? {}), rxAccepted: i.rxAccepted },
    dropped: i.drops,
    advertTiming: i.timing?.view(monoToWallOffset()) ?? null,
  }));
  return {
    daemon: { pid: process.pid, config: ctx.opts.configFile, uptimeMs: Date.now() - src.startedAt, reloads: src.reloads(), counters: ctx.counters,
      deputy: src.deputy ?? null, mainLoopLagMs: Math.round(liveness().lagMs()) },
    vrrp: { instances, sockets: src.intake.state(), ...src.trackers.state() },
  };
}
