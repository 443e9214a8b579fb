/**
 * VRRP instance state machine — public surface of src/actors/vrrp (pure, no IO).
 *
 *   const params: InstanceParams = …;            // flat, resolved from keepalived.conf by the daemon
 *   let s = initialState(params);                  // INIT; plain data (msgpack snapshot)
 *   ({ state: s, intents } = step(params, s, { type: 'startup', now }));
 *   for (const i of intents) execute(i);          // in order
 *
 * Events (`VrrpEvent`, all carry `now` in ms on the actor's monotonic clock):
 *   startup | advert{from, priority, maxAdverIntCs} (already validated) | timer{timer}
 *   | fault{fault, reason?} (aggregated trackers) | priority{effective} (base + weights) | shutdown
 * Intents (`Intent`), to execute in the order given:
 *   sendAdvert{priority} (0 = leaving MASTER) | addVips | removeVips
 *   | sendGarp{count, intervalMs, reason} (burst for all VIPs, io spaces packets intervalMs apart)
 *   | setTimer{timer, at} (absolute ms; re-arming replaces) | clearTimer{timer}
 *   | masterRxLowerPri{from, priority} (notify_master_rx_lower_pri) | priorityChanged{from, to}
 *   | transition{from, to, reason} (log "(VI_1) Entering MASTER STATE", run notify; always last)
 * Timers (`TimerName`): advert, masterDown, garp (second GARP burst), garpLowerPrio. The actor
 * keeps one real timer per name and sends `timer` when it fires; stale or early firings are
 * handled by the machine (ignored / re-armed).
 * Restart: a new actor takes the last `InstanceState` snapshot, executes `resumeIntents(s)` (the
 * armed timers) and keeps stepping; nothing else is needed (VIPs stay as they are in the kernel).
 *
 * Semantics: RFC 3768 §6.3/§6.4 (v2), RFC 5798 §6.4 (v3), with keepalived 2.2.7's deviations
 * documented on each function in machine.ts (owner-only immediate MASTER, answer to lower-priority
 * adverts, preempt_delay, GARP schedule, priority-0 handling, effective-priority changes).
 */
export type {
  VrrpState, TimerName, GarpParams, InstanceParams, VrrpEvent, GarpReason, Intent, VrrpCounters, InstanceState, Step,
} from './types';
export { TIMER_NAMES } from './types';
export { step, initialState, compareAddresses } from './machine';
export { skewUs, skewMs, masterDownMs, instanceMasterDownMs, advertIntervalMs, resumeIntents } from './timers';
export { defaultGarpParams } from './garp';
