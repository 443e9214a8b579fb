/**
 * Trackers: every link, vrrp_script, track_file and vrrp_track_process an instance tracks, turned
 * into its effective priority and fault (computeEffective, sync-group coupling) and told to its VRRP
 * actor as `priority` / `fault` messages. `Trackers` below holds them all; the monitors are actors:
 *
 * Main-thread side of the monitor actors (pool 'checker'):
 *  - `script:<name>` (src/actors/monitor/actor-script.ts), one per vrrp_script in use: runs it every
 *    interval through the script pool and reports rise/fall status changes;
 *  - `link:<ifname>` (actor-link.ts), one per tracked interface: fed by the main thread's netlink
 *    reflector, reports carrier up/down changes.
 * Their reports land in the daemon's tracker tables (the script records, the link table here) and
 * `onChange` makes the daemon recompute each instance's effective priority / fault (computeEffective,
 * sync-group coupling) and tell its VRRP actor. Monitors run on other threads than the VRRP actors,
 * so a slow script never delays a VRRP timer.
 */
import type { Logger } from '../util/log';
import type { Supervisor } from '../supervisor';
import type { KeepalivedConfig, VrrpInstance } from '../config';
import { listLinks, watchLinks, watchAddresses, type LinkState, type Watcher } from '../io';
import { computeEffective, primaryInterfaceTracker, ownTrackInterfaces, type TrackerStatus } from '../actors/monitor/priority';
import { initialScriptState, scriptOk, type ScriptState } from '../actors/monitor/script';
import { VRRP, VRRP_SCRIPT, LINK } from '../actors/kinds';
import type { FromScriptMonitor } from '../actors/monitor/actor-script';
import type { FromLinkMonitor } from '../actors/monitor/actor-link';
import type { ScriptJobs } from './script-jobs';
import { memberFault } from './sync-group';
import type { SyncGroups } from './sync-groups';
import { FileProcessTrackers } from './track-file-process';
import { spawnOrLog, type DaemonContext, type Inst } from './context';

/** What the last run of a tracked script left: its rise/fall state and result. */
export interface ScriptStatusRec {
  name: string;
  state: ScriptState;
  lastResult: string | null;
}

/** Interfaces an instance set tracks: each instance's own (unless dont_track_primary), its and its sync group's track_interface. */
export function trackedInterfaces(cfg: KeepalivedConfig, groupOf: ReadonlyMap<string, string>): string[] {
  const out = new Set<string>();
  for (const vi of cfg.vrrpInstances) {
    if (vi.interface && !vi.dontTrackPrimary) out.add(vi.interface);
    for (const t of vi.trackInterfaces) out.add(t.name);
    const g = groupOf.get(vi.name);
    const sg = g ? cfg.vrrpSyncGroups.find((x) => x.name === g) : undefined;
    for (const t of sg?.trackInterfaces ?? []) out.add(t.name);
  }
  return [...out];
}

export interface MonitorDispatchOptions {
  /** a script or link status changed: recompute the instances that track it */
  onChange: (what: { kind: 'script' | 'link'; name: string }) => void;
}

export class MonitorDispatch {
  /** script name → current actor id (a reload starts a new generation) */
  private readonly scriptActors = new Map<string, string>();
  private scriptRecs: Map<string, ScriptStatusRec> = new Map();
  /** tracked interface → status as its monitor reported it */
  private readonly links = new Map<string, boolean>();
  private netlinkUp: (ifname: string) => boolean = () => false;
  private gen = 0;

  constructor(private readonly sup: Supervisor, private readonly log: Logger, private readonly jobs: ScriptJobs, private readonly opts: MonitorDispatchOptions) {
    sup.register(VRRP_SCRIPT, (id, m) => this.onScript(id, m));
    sup.register(LINK, (_id, m) => this.onLink(m));
    sup.on('started', (e) => {
      // a (re)started link monitor may have missed events: give it the current status (a no-op when unchanged)
      if (e.kind === LINK.name) {
        const ifname = e.id.slice('link:'.length);
        this.sup.send(LINK, e.id, { type: 'link', up: this.netlinkUp(ifname) });
      }
    });
  }

  /**
   * Start (or, on reload, restart with fresh state — as before) the script monitors for `names`,
   * filling `recs` (the daemon's script table) with their initial records; and spawn a link monitor
   * for each tracked interface not monitored yet. `netlinkUp` reads the reflector's current status.
   */
  configure(cfg: KeepalivedConfig, names: Iterable<string>, insecure: ReadonlySet<string>, recs: Map<string, ScriptStatusRec>,
    links: { tracked: string[]; netlinkUp: (ifname: string) => boolean }): void {
    this.scriptRecs = recs;
    this.netlinkUp = links.netlinkUp;
    const old = [...this.scriptActors.values()];
    this.scriptActors.clear();
    const gen = this.gen++;
    const stops = old.map((id) => {
      this.jobs.abortActor(id);
      return this.sup.stop(id, 'reload');
    });
    for (const name of names) {
      const sc = cfg.vrrpScripts[name];
      if (!sc?.script || recs.has(name) || insecure.has(sc.script.argv[0] ?? '')) continue;
      recs.set(name, { name, state: initialScriptState({ rise: sc.rise, fall: sc.fall, initFail: sc.initFail }), lastResult: null });
      const intervalMs = Math.max(10, Math.round(sc.interval * 1000));
      const id = gen === 0 ? `script:${name}` : `script:${name}#${gen}`;
      this.scriptActors.set(name, id);
      spawnOrLog(this.sup, this.log, 'monitor', id, VRRP_SCRIPT, {
        name, argv: sc.script.argv, intervalMs, timeoutMs: Math.max(10, Math.round((sc.timeout || sc.interval) * 1000)),
        rise: sc.rise, fall: sc.fall, initFail: sc.initFail,
      });
    }
    void Promise.all(stops);
    for (const ifname of links.tracked) {
      if (this.links.has(ifname)) continue;
      const up = links.netlinkUp(ifname);
      this.links.set(ifname, up);
      spawnOrLog(this.sup, this.log, 'monitor', `link:${ifname}`, LINK, { ifname, up });
    }
  }

  /** Shutdown: kill the vrrp_script runs in flight (their monitors stop with the supervisor). */
  abortScripts(): void {
    for (const id of this.scriptActors.values()) this.jobs.abortActor(id);
  }

  /** keepalived's script state number of a vrrp_script's run (ScriptJobs.runState): 0 idle … 3 forcing termination. */
  scriptRunState(name: string): number {
    const id = this.scriptActors.get(name);
    return id ? this.jobs.runState(id) : 0;
  }

  /** The monitored status of an interface, or undefined when it has no monitor. */
  linkUp(ifname: string): boolean | undefined {
    return this.links.get(ifname);
  }

  /** The netlink reflector saw an interface change: feed its monitor. false when it has none. */
  onNetlink(ifname: string, up: boolean): boolean {
    if (!this.links.has(ifname)) return false;
    this.sup.send(LINK, `link:${ifname}`, { type: 'link', up });
    return true;
  }

  private onScript(id: string, m: FromScriptMonitor): void {
    if (m.type !== 'script') {
      this.jobs.handle(id, m, (done) => this.sup.send(VRRP_SCRIPT, id, done));
      return;
    }
    if (this.scriptActors.get(m.name) !== id) return; // an older generation
    const rec = this.scriptRecs.get(m.name);
    if (!rec) return;
    rec.state = m.state;
    rec.lastResult = m.lastResult;
    this.opts.onChange({ kind: 'script', name: m.name });
  }

  private onLink(m: FromLinkMonitor): void {
    if (this.links.get(m.ifname) === m.up) return;
    this.links.set(m.ifname, m.up);
    this.opts.onChange({ kind: 'link', name: m.ifname });
  }
}

/**
 * All trackers of the running instances: the netlink link table (reflector), the script and link
 * monitors (MonitorDispatch above), the track_file / vrrp_track_process monitors
 * (track-file-process.ts); on any change the instances that track it get their effective priority
 * and fault recomputed and sent to their actor.
 */
export class Trackers {
  /** netlink's view of every interface */
  private readonly links = new Map<string, LinkState>();
  private readonly scripts = new Map<string, ScriptStatusRec>();
  private linkWatch: Watcher | null = null;
  private addrWatch: Watcher | null = null;
  private readonly monitors: MonitorDispatch;
  private readonly fileProc: FileProcessTrackers;

  constructor(private readonly ctx: DaemonContext, jobs: ScriptJobs, private readonly sync: SyncGroups, private readonly insecure: () => ReadonlySet<string>) {
    this.monitors = new MonitorDispatch(ctx.sup, ctx.log, jobs, { onChange: (c) => this.onMonitorChange(c) });
    this.fileProc = new FileProcessTrackers(ctx.sup, ctx.log, {
      groupOf: () => sync.groupOf,
      onChange: (c) => { for (const inst of ctx.insts.values()) if (this.fileProc.tracks(inst.vi, c)) this.update(inst, false); },
    });
  }

  /** Start-up, before any instance runs: files and /proc read once (init_file), netlink's link table. */
  async start(): Promise<void> {
    this.fileProc.configure(this.ctx.cfg, false);
    for (const l of await listLinks().catch(() => [])) this.links.set(l.ifname, l);
    this.linkWatch = watchLinks((ev) => this.onLink(ev));
    // -a: keepalived logs every address change netlink reports
    if (this.ctx.opts.addressMonitoring) {
      this.addrWatch = watchAddresses((ev) => this.ctx.log.info({ ifname: ev.ifname, address: ev.address }, `Netlink reflector reports IP ${ev.address} ${ev.type === 'new' ? 'added to' : 'removed from'} ${ev.ifname ?? ev.ifindex}`));
    }
  }

  /** netlink's link table (the SIGUSR1 dump's interfaces). */
  linkTable(): LinkState[] {
    return [...this.links.values()];
  }

  /** Reload, before the instances change: file/process trackers from the new config. */
  reconfigure(): void {
    this.fileProc.configure(this.ctx.cfg, true);
  }

  /** vrrp_scripts in use and tracked interfaces get their monitor actors (a reload starts the scripts afresh). */
  startScripts(reload: boolean): void {
    if (reload) this.scripts.clear();
    const used = new Set<string>();
    for (const inst of this.ctx.insts.values()) for (const t of this.trackedScripts(inst.vi)) used.add(t);
    this.monitors.configure(this.ctx.cfg, used, this.insecure(), this.scripts, {
      tracked: trackedInterfaces(this.ctx.cfg, this.sync.groupOf), netlinkUp: (i) => this.netlinkUp(i),
    });
    if (reload) for (const inst of this.ctx.insts.values()) if (this.fileProc.tracksAny(inst.vi)) this.update(inst, false);
  }

  /** Shutdown: kill the vrrp_script runs in flight. */
  abortScripts(): void {
    this.monitors.abortScripts();
  }

  close(): void {
    this.linkWatch?.close();
    this.addrWatch?.close();
  }

  /** Recompute an instance's effective priority and fault; tell its actor what changed. */
  update(inst: Inst, initial: boolean): void {
    if (initial) {
      for (const t of ownTrackInterfaces(inst.vi.trackInterfaces, inst.r.ifname).ignored) {
        this.ctx.log.info({ instance: inst.vi.name }, `(${inst.vi.name}) Ignoring track_interface ${t.name} since own interface`);
      }
    }
    const eff = computeEffective(inst.vi.priority, this.statuses(inst));
    const prev = inst.trackers;
    inst.trackers = { ...prev, effective: eff.effective, ownFault: eff.fault, ownReasons: eff.reasons };
    if (eff.effective !== prev.effective || (initial && eff.effective !== inst.vi.priority)) {
      this.ctx.sup.send(VRRP, inst.id, { type: 'priority', effective: eff.effective });
    }
    this.applyFault(inst, initial);
    // a member's own fault puts the whole sync group in FAULT (vrrp_sync_fault), its end lets it out
    const g = this.sync.groupOfInstance(inst.vi.name);
    if (g && eff.fault !== prev.ownFault) {
      for (const m of g.members) {
        const other = m === inst.vi.name ? undefined : this.ctx.insts.get(m);
        if (other) this.applyFault(other, false);
      }
    }
  }

  /** The vrrp section of --dump-state: scripts, files and processes. */
  state(): Record<string, unknown> {
    const scripts = [...this.scripts.values()].map((s) => ({ name: s.name, ok: scriptOk(s.state), lastResult: s.lastResult, runState: this.monitors.scriptRunState(s.name) }));
    return { scripts, ...this.fileProc.state() };
  }

  /** Tell the actor the fault it must be in: its own or, in a sync group, any member's. */
  private applyFault(inst: Inst, initial: boolean): void {
    const g = this.sync.groupOfInstance(inst.vi.name);
    const own = new Map([...this.ctx.insts.values()].map((i) => [i.vi.name, { fault: i.trackers.ownFault, reasons: i.trackers.ownReasons }]));
    const f = memberFault(inst.vi.name, g?.members, own, g?.name);
    const changed = f.fault !== inst.trackers.fault;
    inst.trackers.fault = f.fault;
    inst.trackers.reasons = f.reasons;
    if (changed || (initial && f.fault)) {
      this.ctx.sup.send(VRRP, inst.id, { type: 'fault', fault: f.fault, reason: f.reasons.join(', ') || undefined });
    }
  }

  /** A tracked interface's status as its monitor actor reported it; others straight from netlink. */
  private linkUp(ifname: string): boolean {
    return this.monitors.linkUp(ifname) ?? this.netlinkUp(ifname);
  }

  private netlinkUp(ifname: string): boolean {
    const l = this.links.get(ifname);
    return !!l && l.up && l.running;
  }

  private onLink(ev: LinkState & { type: 'new' | 'del' }): void {
    const before = this.netlinkUp(ev.ifname);
    if (ev.type === 'del') this.links.delete(ev.ifname);
    else this.links.set(ev.ifname, ev);
    const after = this.netlinkUp(ev.ifname);
    if (before === after) return;
    this.ctx.log.info({ ifname: ev.ifname, up: after }, `Netlink reports ${ev.ifname} ${after ? 'up' : 'down'}`);
    // a tracked interface's monitor reports back (onMonitorChange); an untracked one changes nothing
    if (!this.monitors.onNetlink(ev.ifname, after)) for (const inst of this.ctx.insts.values()) this.update(inst, false);
  }

  /** A monitor actor reported a script or interface change: recompute the instances that track it. */
  private onMonitorChange(c: { kind: 'script' | 'link'; name: string }): void {
    for (const inst of this.ctx.insts.values()) if (c.kind === 'link' || this.trackedScripts(inst.vi).includes(c.name)) this.update(inst, false);
  }

  private statuses(inst: Inst): TrackerStatus[] {
    const vi = inst.vi;
    const out: TrackerStatus[] = [...primaryInterfaceTracker(inst.r.ifname, this.linkUp(inst.r.ifname), vi.dontTrackPrimary)];
    // keepalived: a sync group's trackers apply to each member, with weight 0 unless sync_group_tracking_weight
    const g = this.sync.groupOfInstance(vi.name)?.def;
    const gw = (w: number | undefined): number | undefined => (g?.syncGroupTrackingWeight ? w : 0);
    const ifs = [...ownTrackInterfaces(vi.trackInterfaces, inst.r.ifname).kept, ...(g?.trackInterfaces ?? []).map((t) => ({ ...t, weight: gw(t.weight) ?? 0 }))];
    const scs = [...vi.trackScripts, ...(g?.trackScripts ?? []).map((t) => ({ ...t, weight: gw(t.weight) }))];
    for (const t of ifs) out.push({ kind: 'interface', name: t.name, up: this.linkUp(t.name), weight: t.weight, reverse: t.reverse });
    for (const t of scs) {
      const sc = this.ctx.cfg.vrrpScripts[t.name];
      const rec = this.scripts.get(t.name);
      if (!sc || !rec) continue;
      const done = rec.lastResult !== null;
      out.push({
        kind: 'script', name: t.name, initState: done ? 'done' : sc.initFail ? 'init-fail' : 'init', ok: scriptOk(rec.state),
        weight: t.weight ?? sc.weight, reverse: t.reverse || sc.weightReverse,
      } as TrackerStatus);
    }
    out.push(...this.fileProc.statuses(vi));
    return out;
  }

  /** Script names an instance tracks, its sync group's included. */
  private trackedScripts(vi: VrrpInstance): string[] {
    const g = this.sync.groupOfInstance(vi.name)?.def;
    return [...vi.trackScripts, ...(g?.trackScripts ?? [])].map((t) => t.name);
  }
}
