/**
 * Prometheus metrics (prom-client) computed from an ObsView. The names and labels of
 * keepalived-exporter (the mehdy/cafebazaar lineage, `iname`/`intf`/`vrid`) come first, so existing
 * dashboards keep working; ours are prefixed `keepalived_ts_`. docs/metrics.md lists every name
 * (a test checks the list against a real scrape).
 *
 * Runs in the HTTP worker (http-worker.ts), never on the main loop: a scrape never delays an advert.
 */
import { Registry, Gauge, Counter } from 'prom-client';
import { health, type ObsLvs, type ObsView } from './view';

type Labels = Record<string, string | number>;
type Kind = 'gauge' | 'counter';

export interface MetricDef { name: string; type: Kind; help: string; labels: string[] }

const INST = ['iname', 'intf', 'vrid'];
const LVS = ['vs', 'rs'];

/** keepalived-exporter's per-instance counters ← our actor counters or our drop reasons. */
const EXPORTER_COUNTERS: Array<{ name: string; help: string; counter?: string; drops?: string[] }> = [
  { name: 'keepalived_advertisements_received_total', help: 'Advertisements received', counter: 'advertRcvd' },
  { name: 'keepalived_advertisements_sent_total', help: 'Advertisements sent', counter: 'advertSent' },
  { name: 'keepalived_become_master_total', help: 'Became master', counter: 'becomeMaster' },
  { name: 'keepalived_release_master_total', help: 'Released master', counter: 'releaseMaster' },
  { name: 'keepalived_priority_zero_received_total', help: 'Priority zero received', counter: 'priorityZeroRcvd' },
  { name: 'keepalived_priority_zero_sent_total', help: 'Priority zero sent', counter: 'priorityZeroSent' },
  { name: 'keepalived_packet_length_errors_total', help: 'Packet length errors', drops: ['too-short', 'bad-length'] },
  { name: 'keepalived_advertisements_interval_errors_total', help: 'Advertisement interval errors', drops: ['interval-mismatch'] },
  { name: 'keepalived_ip_ttl_errors_total', help: 'TTL errors', drops: ['bad-ttl'] },
  { name: 'keepalived_invalid_type_received_total', help: 'Invalid type errors', drops: ['bad-type'] },
  { name: 'keepalived_address_list_errors_total', help: 'Address list errors', drops: ['addr-mismatch', 'bad-addr-count'] },
  { name: 'keepalived_authentication_invalid_total', help: 'Authentication invalid', drops: ['bad-auth-type'] },
  { name: 'keepalived_authentication_mismatch_total', help: 'Authentication mismatch', drops: ['auth-type-mismatch'] },
  { name: 'keepalived_authentication_failure_total', help: 'Authentication failure', drops: ['auth-mismatch'] },
];

export const METRICS: MetricDef[] = [
  { name: 'keepalived_up', type: 'gauge', help: 'Status', labels: [] },
  { name: 'keepalived_vrrp_state', type: 'gauge', help: 'State of vrrp (keepalived numbers: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT, 98 STOP)', labels: [...INST, 'ip_address'] },
  { name: 'keepalived_vrrp_excluded_state', type: 'gauge', help: 'State of vrrp with excluded VIP', labels: [...INST, 'ip_address'] },
  ...EXPORTER_COUNTERS.map((c) => ({ name: c.name, type: 'counter' as const, help: c.help, labels: INST })),
  { name: 'keepalived_gratuitous_arp_delay_total', type: 'counter', help: 'Gratuitous ARP delay (garp_master_delay, seconds)', labels: INST },
  { name: 'keepalived_script_status', type: 'gauge', help: 'Tracker Script Status (1 good, 0 bad)', labels: ['name'] },
  { name: 'keepalived_script_state', type: 'gauge', help: 'Tracker Script State (0 idle, 1 running, 2 requested termination, 3 forcing termination)', labels: ['name'] },
  { name: 'keepalived_ts_instance_priority', type: 'gauge', help: 'Configured priority', labels: INST },
  { name: 'keepalived_ts_instance_effective_priority', type: 'gauge', help: 'Priority after tracker weights', labels: INST },
  { name: 'keepalived_ts_instance_vips_held', type: 'gauge', help: '1 while the instance holds its VIPs', labels: INST },
  { name: 'keepalived_ts_instance_fault', type: 'gauge', help: '1 while a tracker puts the instance in FAULT', labels: INST },
  { name: 'keepalived_ts_last_transition_timestamp_seconds', type: 'gauge', help: 'Time of the last state transition', labels: [...INST, 'state'] },
  { name: 'keepalived_ts_last_become_master_timestamp_seconds', type: 'gauge', help: 'Time the instance last became MASTER (failover time)', labels: INST },
  { name: 'keepalived_ts_virtual_server_quorum_up', type: 'gauge', help: '1 while the virtual server has its quorum of live real servers', labels: ['vs'] },
  { name: 'keepalived_ts_real_server_up', type: 'gauge', help: '1 while every checker of the real server succeeds', labels: [...LVS, 'checker'] },
  { name: 'keepalived_ts_real_server_weight', type: 'gauge', help: 'Weight of the real server: configured weight plus its checkers\' shares', labels: LVS },
  { name: 'keepalived_ts_real_server_ipvs_weight', type: 'gauge', help: 'Weight of the real server in the IPVS table (set, or that would be set without IPVS); absent while not in the table', labels: LVS },
  { name: 'keepalived_ts_checker_last_latency_seconds', type: 'gauge', help: 'Duration of the last check, start to verdict', labels: [...LVS, 'checker'] },
  { name: 'keepalived_ts_checker_checks_total', type: 'counter', help: 'Checks by result (success, failure, lost: no answer)', labels: [...LVS, 'checker', 'result'] },
  { name: 'keepalived_ts_actor_restarts_total', type: 'counter', help: 'Actor restarts by kind and reason', labels: ['kind', 'reason'] },
  { name: 'keepalived_ts_actor_hangs_total', type: 'counter', help: 'Hung actor hosts terminated by the watchdog, by the blamed actor kind', labels: ['kind'] },
  { name: 'keepalived_ts_actors', type: 'gauge', help: 'Actors by kind and state', labels: ['kind', 'state'] },
  { name: 'keepalived_ts_actors_given_up', type: 'gauge', help: 'Actors given up after their restart limit', labels: ['kind'] },
  { name: 'keepalived_ts_dropped_total', type: 'counter', help: 'Dropped packets and messages by where and reason', labels: ['where', 'reason'] },
  { name: 'keepalived_ts_reloads_total', type: 'counter', help: 'Configuration reloads applied', labels: [] },
  { name: 'keepalived_ts_config_errors_total', type: 'counter', help: 'Configuration errors found at start and on reloads', labels: [] },
  { name: 'keepalived_ts_notify_failures_total', type: 'counter', help: 'Notify script, FIFO and SMTP failures by notifier and error code', labels: ['notifier', 'code'] },
  { name: 'keepalived_ts_main_loop_lag_seconds', type: 'gauge', help: 'Worst main-loop delay over the last second', labels: [] },
  { name: 'keepalived_ts_healthy', type: 'gauge', help: '1 while /healthz answers healthy', labels: [] },
  { name: 'keepalived_ts_view_age_seconds', type: 'gauge', help: 'Age of the daemon state this scrape shows', labels: [] },
];

export class MetricsRenderer {
  readonly registry = new Registry();
  private readonly m = new Map<string, Gauge | Counter>();

  constructor() {
    for (const d of METRICS) {
      const cfg = { name: d.name, help: d.help, labelNames: d.labels, registers: [this.registry] };
      this.m.set(d.name, d.type === 'gauge' ? new Gauge(cfg) : new Counter(cfg));
    }
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private put(name: string, labels: Labels, v: number): void {
    const x = this.m.get(name)!;
    if (x instanceof Gauge) x.set(labels, v);
    else x.inc(labels, v);
  }

  /** Replace every series by the view's values. `ageMs`: how old the view is. */
  update(view: ObsView, ageMs: number): void {
    for (const x of this.m.values()) x.reset();
    this.put('keepalived_up', {}, 1);
    for (const i of view.instances) {
      const l = { iname: i.name, intf: i.interface, vrid: i.vrid };
      if (i.vips.length === 0) this.put('keepalived_vrrp_state', { ...l, ip_address: '' }, i.stateNumber);
      for (const v of i.vips) this.put('keepalived_vrrp_state', { ...l, ip_address: v.replace(/\/\d+$/, '') }, i.stateNumber);
      for (const v of i.excludedVips) this.put('keepalived_vrrp_excluded_state', { ...l, ip_address: v.replace(/\/\d+$/, '') }, i.stateNumber);
      this.put('keepalived_gratuitous_arp_delay_total', l, i.garpDelayS);
      for (const c of EXPORTER_COUNTERS) {
        const n = c.counter ? (i.counters[c.counter] ?? 0) : (c.drops ?? []).reduce((s, r) => s + (i.dropped[r] ?? 0), 0);
        this.put(c.name, l, n);
      }
      this.put('keepalived_ts_instance_priority', l, i.priority);
      this.put('keepalived_ts_instance_effective_priority', l, i.effectivePriority);
      this.put('keepalived_ts_instance_vips_held', l, i.vipsHeld ? 1 : 0);
      this.put('keepalived_ts_instance_fault', l, i.fault ? 1 : 0);
      const last = i.transitions.at(-1);
      if (last) this.put('keepalived_ts_last_transition_timestamp_seconds', { ...l, state: last.to }, last.atMs / 1000);
      if (i.lastBecameMasterMs !== null) this.put('keepalived_ts_last_become_master_timestamp_seconds', l, i.lastBecameMasterMs / 1000);
    }
    for (const s of view.scripts) {
      this.put('keepalived_script_status', { name: s.name }, s.ok ? 1 : 0);
      this.put('keepalived_script_state', { name: s.name }, s.runState);
    }
    if (view.lvs) this.lvs(view.lvs);
    const restarts: Record<string, Record<string, number>> = structuredClone(view.restartsByKind);
    for (const [kind, byReason] of Object.entries(restarts)) for (const [reason, n] of Object.entries(byReason)) this.put('keepalived_ts_actor_restarts_total', { kind, reason }, n);
    for (const [kind, n] of Object.entries(view.hangsByKind)) this.put('keepalived_ts_actor_hangs_total', { kind }, n);
    const byState = new Map<string, number>();
    const givenUp = new Map<string, number>();
    for (const a of view.actors) {
      byState.set(`${a.kind}\0${a.state}`, (byState.get(`${a.kind}\0${a.state}`) ?? 0) + 1);
      givenUp.set(a.kind, (givenUp.get(a.kind) ?? 0) + (a.givenUp ? 1 : 0));
    }
    for (const [k, n] of byState) {
      const [kind, state] = k.split('\0') as [string, string];
      this.put('keepalived_ts_actors', { kind, state }, n);
    }
    for (const [kind, n] of givenUp) this.put('keepalived_ts_actors_given_up', { kind }, n);
    const drops = new Map<string, number>();
    for (const d of view.drops) {
      const where = d.where.startsWith('instance:') ? 'instance' : d.where;
      drops.set(`${where}\0${d.reason}`, (drops.get(`${where}\0${d.reason}`) ?? 0) + d.count);
    }
    for (const [k, n] of drops) {
      const [where, reason] = k.split('\0') as [string, string];
      this.put('keepalived_ts_dropped_total', { where, reason }, n);
    }
    this.put('keepalived_ts_reloads_total', {}, view.reloads);
    this.put('keepalived_ts_config_errors_total', {}, view.configErrors);
    for (const [notifier, codes] of Object.entries(view.notifyFailures)) for (const [code, n] of Object.entries(codes)) this.put('keepalived_ts_notify_failures_total', { notifier, code }, n);
    this.put('keepalived_ts_main_loop_lag_seconds', {}, view.loopLagMs / 1000);
    this.put('keepalived_ts_healthy', {}, health(view, ageMs).ok ? 1 : 0);
    this.put('keepalived_ts_view_age_seconds', {}, ageMs / 1000);
  }

  private lvs(l: ObsLvs): void {
    for (const v of l.virtualServers) this.put('keepalived_ts_virtual_server_quorum_up', { vs: v.vs }, v.quorumUp ? 1 : 0);
    for (const r of l.realServers) {
      const rl = { vs: r.vs, rs: r.rs };
      const kinds = [...new Set(r.checkers.map((c) => c.name.replace(/#\d+$/, '')))];
      this.put('keepalived_ts_real_server_up', { ...rl, checker: kinds.join(',') || 'none' }, r.up ? 1 : 0);
      this.put('keepalived_ts_real_server_weight', rl, r.weight);
      if (r.tableWeight !== null) this.put('keepalived_ts_real_server_ipvs_weight', rl, r.tableWeight);
      for (const c of r.checkers) {
        const cl = { ...rl, checker: c.name };
        if (c.lastMs !== null) this.put('keepalived_ts_checker_last_latency_seconds', cl, c.lastMs / 1000);
        for (const result of ['success', 'failure', 'lost'] as const) this.put('keepalived_ts_checker_checks_total', { ...cl, result }, c[result]);
      }
    }
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
