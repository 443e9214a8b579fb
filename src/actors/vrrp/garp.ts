/**
 * Gratuitous ARP / unsolicited NA schedule of a MASTER (RFC 5798 §6.4.2 "broadcast a gratuitous
 * ARP request / send an unsolicited ND Neighbor Advertisement", RFC 3768 §6.4.2), with keepalived
 * 2.2.7's knobs (keepalived.conf(5): garp_master_delay, garp_master_repeat, garp_master_refresh,
 * garp_master_refresh_repeat, garp_lower_prio_delay, garp_lower_prio_repeat, vrrp_garp_interval).
 *
 * Measured keepalived: on takeover a burst of 5 right after the first advert, a second burst of 5
 * `garp_master_delay` (5 s) later if still MASTER, nothing after that unless refresh is configured.
 * Pure: the spacing inside a burst is left to the io layer (`intervalMs`).
 */
import type { GarpParams, GarpReason, Intent } from './types';

/** One burst of `count` GARP/NA for all VIPs, or null when `count` is 0 (disabled). */
export function garpBurst(g: GarpParams, count: number, reason: GarpReason): Intent | null {
  return count > 0 ? { type: 'sendGarp', count, intervalMs: g.intervalMs, reason } : null;
}

export interface GarpPlan {
  /** Burst to send now (null: none). */
  burst: Intent | null;
  /** Deadline of the delayed burst timer to arm (null: none). */
  delayedAt: number | null;
  /** Next garp_master_refresh deadline (null: refresh off). */
  refreshAt: number | null;
}

/**
 * Entering MASTER (keepalived vrrp_state_become_master + vrrp_state_master_tx): `garp_master_repeat`
 * now, one more burst after `garp_master_delay`, refresh deadline `garp_master_refresh` from now.
 */
export function garpOnBecomeMaster(g: GarpParams, now: number): GarpPlan {
  return {
    burst: garpBurst(g, g.masterRepeat, 'master'),
    delayedAt: g.masterDelayMs > 0 ? now + g.masterDelayMs : null,
    refreshAt: g.masterRefreshMs > 0 ? now + g.masterRefreshMs : null,
  };
}

/**
 * At each advert a MASTER sends (keepalived vrrp_state_master_tx): if the refresh deadline has
 * passed, send `garp_master_refresh_repeat` and move the deadline `garp_master_refresh` on from now.
 */
export function garpOnAdvertSent(g: GarpParams, refreshAt: number | null, now: number): { burst: Intent | null; refreshAt: number | null } {
  if (refreshAt === null || g.masterRefreshMs <= 0 || !(now > refreshAt)) return { burst: null, refreshAt };
  return { burst: garpBurst(g, g.masterRefreshRepeat, 'refresh'), refreshAt: now + g.masterRefreshMs };
}

/**
 * A MASTER hears a lower-priority advert (keepalived vrrp_state_master_rx): `garp_lower_prio_repeat`
 * now and, if `garp_lower_prio_delay` is set, once more after it. Nothing when the repeat is 0.
 */
export function garpOnLowerPrioAdvert(g: GarpParams, now: number): { burst: Intent | null; delayedAt: number | null } {
  if (g.lowerPrioRepeat <= 0) return { burst: null, delayedAt: null };
  return { burst: garpBurst(g, g.lowerPrioRepeat, 'lowerPrio'), delayedAt: g.lowerPrioDelayMs > 0 ? now + g.lowerPrioDelayMs : null };
}

/** keepalived defaults (keepalived.conf(5), global_defs vrrp_garp_*): 5 s, 5 packets, no refresh. */
export function defaultGarpParams(): GarpParams {
  return { masterDelayMs: 5000, masterRepeat: 5, masterRefreshMs: 0, masterRefreshRepeat: 1, intervalMs: 0, lowerPrioDelayMs: 5000, lowerPrioRepeat: 5 };
}
