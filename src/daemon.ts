/**
 * The daemon's main thread: config → supervisor → actors, with io at the edge (DESIGN.md "Shape").
 *
 * Actors decide, this file acts: decoded and validated adverts go to the VRRP actor of their
 * instance; the actor's `effects` (send advert, add/remove VIPs, GARP/NA, transition) come back
 * here and are carried out through src/io. Trackers (links, scripts) feed fault/priority events.
 * VIPs live in the kernel and are only touched on an actor's explicit intent, so a crashed or
 * hung actor (restarted by the supervisor from its snapshot) never loses them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { parseConfig, formatDiagnostic, type KeepalivedConfig, type VrrpInstance, type VirtualAddress, type VrrpSyncGroup } from './config';
import { createLogger, setLogger, type Logger } from './util/log';
import { Supervisor, ControlServer, DEFAULT_CONTROL_SOCKET } from './supervisor';
import {
  openVrrpSocket, openPacketSocket, addAddress, removeAddress, alreadyDone, listLinks, listAddresses, watchLinks,
  closeNetlink, type VrrpSocket, type PacketSocket, type ReceivedAdvert, type Watcher, type LinkState,
  NftFirewall, nftSettings, nftVips, blocksVips,
} from './io';
import { decodeVrrp, checkAdvert, skipAddrCheck } from './protocol/vrrp';
import { gratuitousArp } from './protocol/arp';
import { unsolicitedNaFrame } from './protocol/ndisc';
import type { InstanceState, Intent } from './actors/vrrp/types';
import { monoNow } from './actors/runtime';
import type { FromVrrpActor, ToVrrpActor, VrrpActorInit } from './actors/vrrp/actor';
import { resolveInstance, instanceFingerprint, advertPayload, type ResolvedInstance } from './vrrp/instance';
import { computeEffective, primaryInterfaceTracker, type TrackerStatus } from './actors/monitor/priority';
import { initialScriptState, scriptResult, scriptOk, type ScriptState } from './actors/monitor/script';
import { notifyInvocations, execNotifies, fifoLine, FifoWriter, type NotifyConfig, type NotifyState, type NotifyInvocation } from './actors/notifier/notify';
import { checkScriptSecure, defaultScriptUser } from './actors/notifier/security';
import { MailQueue, instanceAlert, groupAlert, shouldEmail, type SmtpConfig, type AlertState } from './actors/notifier/smtp';
import { planSyncGroups, memberFault, canGoMaster, groupOnTransition, type SyncGroupPlan, type GroupState, type MemberView } from './vrrp/sync-group';
import { ScriptJobs } from './vrrp/script-jobs';
import { MonitorDispatch, MONITOR_KINDS, trackedInterfaces } from './vrrp/trackers';
import { FileProcessTrackers } from './vrrp/track-file-process';
import { NotifyDispatch, NOTIFIER_KINDS } from './vrrp/notify-dispatch';
import { installRoutes, removeRoutes, instanceRouteSet, installStatic, removeStatic } from './vrrp/routes';
import { VmacManager } from './vrrp/vmac';
import { AhAuth, usesAh } from './vrrp/ah-auth';
import { Observability } from './observe/service';

export interface DaemonOptions {
  configFile: string;
  configId?: string;
  dontFork: boolean;
  logConsole: boolean;
  logDetail: boolean;
  logFile?: string;
  vrrpOnly: boolean;
  checkOnly: boolean;
  pidFile?: string;
  vrrpPidFile?: string;
  checkersPidFile?: string;
  controlSocket?: string;
  dontReleaseVrrp: boolean;
  enableFaultInjection: boolean;
  actorThreads?: number;
  /** SIGUSR1 / SIGUSR2 dump paths (keepalived: /tmp/keepalived.data, /tmp/keepalived.stats). */
  dataFile?: string;
  statsFile?: string;
  /** `--metrics-listen ADDR:PORT` (over global_defs metrics_listen): the metrics/health/status HTTP listener */
  metricsListen?: string;
}

const DEFAULT_PID_FILE = '/run/keepalived.pid';

/**
 * VRRP actors restart at once and often: the snapshot carries the role and timers, so a MASTER
 * survives a crash unseen as long as the restart lands well inside its peers' master-down interval
 * (3 × advert_int + skew, ≥ 300 ms at advert_int 0.1) — the longest back-off is 100 ms. The generic
 * 10-in-60-s policy gave up on the 11th crash, leaving a silent MASTER holding its VIPs.
 */
const VRRP_RESTART_POLICY = { maxRestarts: 100, withinMs: 60_000, backoffMs: [0, 0, 10, 50, 100] };
/** keepalived never times out a notify script except STOP; we kill one still running after 30 s. */
const DEFAULT_NOTIFY_TIMEOUT_MS = 30_000;

/** One running vrrp_instance as the main thread sees it. */
interface Inst {
  id: string;
  vi: VrrpInstance;
  r: ResolvedInstance;
  fingerprint: string;
  sock: VrrpSocket;
  sockKey: string;
  /** The last advert handed to raw-socket: GARPs of the same step wait for it, as keepalived sends advert first. */
  lastSend: Promise<unknown>;
  state: InstanceState | null;
  vipsHeld: boolean;
  /** Kernel operations and notifications run in the order the actor asked for them. */
  queue: Promise<void>;
  drops: Record<string, number>;
  rxAccepted: number;
  /** fault/reasons: what the actor was told (own fault or a sync group member's); own*: this instance's trackers only */
  trackers: { fault: boolean; effective: number; reasons: string[]; ownFault: boolean; ownReasons: string[] };
  notify: NotifyConfig;
  smtpAlert: boolean;
  lastEmailed?: AlertState;
  stopped?: () => void;
}

interface SockRec {
  sock: VrrpSocket;
  users: Set<string>;
  drops: Record<string, number>;
}

interface ScriptRec {
  name: string;
  state: ScriptState;
  timer: NodeJS.Timeout | null;
  running: boolean;
  lastResult: string | null;
}

const bump = (m: Record<string, number>, k: string): void => {
  m[k] = (m[k] ?? 0) + 1;
};

export class Daemon {
  readonly log: Logger;
  private cfg!: KeepalivedConfig;
  private sup!: Supervisor;
  private control: ControlServer | null = null;
  private readonly insts = new Map<string, Inst>();
  private readonly socks = new Map<string, SockRec>();
  private readonly pkts = new Map<string, PacketSocket>();
  private readonly links = new Map<string, LinkState>();
  private readonly scripts = new Map<string, ScriptRec>();
  private linkWatch: Watcher | null = null;
  private readonly vmacs: VmacManager;
  private readonly ah: AhAuth;
  /** vrrp_script/link monitors (pool 'checker'), notify/FIFO/SMTP notifiers (pool 'notifier') and the script pool their jobs run on */
  private jobs!: ScriptJobs;
  private monitors!: MonitorDispatch;
  /** track_file / vrrp_track_process monitors (pool 'checker') */
  private fileProc!: FileProcessTrackers;
  private notifiers!: NotifyDispatch;
  private sync: SyncGroupPlan = { groups: new Map(), groupOf: new Map(), messages: [] };
  private readonly groupStates = new Map<string, GroupState>();
  private readonly groupEmailed = new Map<string, AlertState>();
  /** notify scripts other than STOP are killed after this (ours: notify_script_timeout, default 30 s) */
  private notifyTimeoutMs = DEFAULT_NOTIFY_TIMEOUT_MS;
  /** enable_script_security: script paths (argv[0]) found insecure — never run (keepalived disables them) */
  private insecureScripts = new Set<string>();
  private stopping = false;
  /** no_accept / vrrp_strict drop rules (src/io/nftables.ts), made on the first blocking MASTER */
  private nft: NftFirewall | null = null;
  private readonly startedAt = Date.now();
  private reloads = 0;
  /** error diagnostics of every configuration read (start and reloads) */
  private configErrors = 0;
  private obs: Observability | null = null;
  private readonly counters = { rxTotal: 0, rxDropped: 0, txAdverts: 0, txErrors: 0, garpSent: 0, vipOpsFailed: 0 };

  constructor(readonly opts: DaemonOptions) {
    this.log = createLogger({ console: opts.logConsole, file: opts.logFile, level: opts.logDetail ? 'debug' : undefined });
    setLogger(this.log);
    this.vmacs = new VmacManager(this.log);
    this.ah = new AhAuth(this.log);
  }

  private loadConfig(): KeepalivedConfig | null {
    const r = parseConfig(this.opts.configFile, { configId: this.opts.configId, checkScripts: true });
    this.configErrors += r.diagnostics.filter((d) => d.severity === 'error').length;
    for (const d of r.diagnostics) {
      const line = formatDiagnostic(d);
      if (d.severity === 'error') this.log.error({ code: d.code, file: d.file, line: d.line }, line);
      else this.log.warn({ code: d.code, file: d.file, line: d.line }, line);
    }
    if (r.fatal) return null;
    return r.config;
  }

  async start(): Promise<number> {
    this.log.info({ version: '0.1.0', config: this.opts.configFile }, 'Starting keepalived-ts');
    const cfg = this.loadConfig();
    if (!cfg) {
      this.log.error({ code: 'E_CONFIG' }, `Configuration ${this.opts.configFile} cannot be used - exiting`);
      return 3;
    }
    this.cfg = cfg;
    if (!this.writePidFiles()) return 3;
    await installStatic(cfg, this.log);

    this.sup = new Supervisor({ log: this.log, actorThreads: this.opts.actorThreads, enableFaultInjection: this.opts.enableFaultInjection });
    this.sup.register('vrrp', { module: require.resolve('./actors/vrrp/actor'), pool: 'vrrp', restartPolicy: VRRP_RESTART_POLICY });
    this.jobs = new ScriptJobs(this.sup, this.log, { kinds: [...Object.values(MONITOR_KINDS), ...Object.values(NOTIFIER_KINDS)], isInsecure: (a) => this.insecureScripts.has(a) });
    this.monitors = new MonitorDispatch(this.sup, this.log, this.jobs, { onChange: (c) => this.onMonitorChange(c) });
    this.fileProc = new FileProcessTrackers(this.sup, this.log, {
      groupOf: () => this.sync.groupOf,
      onChange: (c) => { for (const inst of this.insts.values()) if (this.fileProc.tracks(inst.vi, c)) this.updateTrackers(inst, false); },
    });
    this.notifiers = new NotifyDispatch(this.sup, this.log);
    this.sup.on('out', (o) => {
      if (o.kind === 'vrrp') this.onVrrpEffects(o.id, o.msg as FromVrrpActor);
    });
    this.sup.on('restart', (e) => this.log.warn({ code: 'E_ACTOR_RESTART', actor: e.id, reason: e.reason, attempt: e.attempt }, `actor ${e.id} restarted (${e.reason})`));
    this.sup.on('fault', (e) => {
      this.log.error({ code: 'E_ACTOR_FAULT', actor: e.id, reason: e.reason }, `actor ${e.id} gave up after ${e.restarts} restarts: ${e.reason}`);
      if (e.kind === 'vrrp') this.onVrrpActorFault(e.id);
    });

    this.setupNotifiers();
    this.planGroups();
    this.checkScriptSecurity();
    this.fileProc.configure(cfg, false); // init_file, first read of files and /proc before any instance runs
    for (const l of await listLinks().catch(() => [])) this.links.set(l.ifname, l);
    this.linkWatch = watchLinks((ev) => this.onLink(ev));

    for (const vi of cfg.vrrpInstances) {
      try {
        await this.startInstance(vi);
      } catch (e) {
        this.log.error({ code: (e as { code?: string }).code ?? 'E_INSTANCE', instance: vi.name, err: e }, `(${vi.name}) cannot start: ${(e as Error).message}`);
      }
    }
    this.startScripts();

    const obs = (this.obs = new Observability({ sup: this.sup, log: this.log, vrrp: () => this.vrrpState(), listen: this.opts.metricsListen ?? cfg.globalDefs.metricsListen }));
    await obs.start().catch((e) => this.log.error({ code: (e as { code?: string }).code ?? 'E_METRICS_LISTEN', err: e }, (e as Error).message));
    const sockPath = this.opts.controlSocket ?? DEFAULT_CONTROL_SOCKET;
    this.control = new ControlServer(sockPath, {
      supervisor: this.sup,
      extraState: () => this.vrrpState(),
      reload: () => obs.reload(() => this.reload()),
      verbs: obs.verbs,
    });
    try {
      await this.control.listen();
    } catch (e) {
      this.log.error({ code: 'E_CONTROL_LISTEN', err: e, path: sockPath }, `control socket ${sockPath}: ${(e as Error).message}`);
      this.control = null;
    }
    this.installSignals();
    return await new Promise<number>((resolve) => {
      this.exit = resolve;
    });
  }

  private exit: (code: number) => void = () => undefined;

  // ---------------------------------------------------------------- pid files

  private pidFiles(): string[] {
    return [this.opts.pidFile ?? DEFAULT_PID_FILE, this.opts.vrrpPidFile].filter((p): p is string => !!p);
  }

  private writePidFiles(): boolean {
    for (const p of this.pidFiles()) {
      try {
        const old = Number(fs.readFileSync(p, 'utf8').trim());
        if (old > 0 && old !== process.pid) {
          try {
            process.kill(old, 0);
            this.log.error({ code: 'E_ALREADY_RUNNING', pidFile: p, pid: old }, `daemon is already running (pid ${old}, ${p})`);
            return false;
          } catch {
            /* stale */
          }
        }
      } catch {
        /* none */
      }
      try {
        fs.mkdirSync(path.dirname(p), { recursive: true });
        fs.writeFileSync(p, `${process.pid}\n`);
      } catch (e) {
        this.log.warn({ code: 'E_PID_FILE', err: e, pidFile: p }, `cannot write pid file ${p}`);
      }
    }
    return true;
  }

  private removePidFiles(): void {
    for (const p of this.pidFiles()) {
      try {
        if (Number(fs.readFileSync(p, 'utf8').trim()) === process.pid) fs.unlinkSync(p);
      } catch {
        /* gone */
      }
    }
  }

  // ---------------------------------------------------------------- instances

  private async interfaceFacts(ifname: string): Promise<{ ipv4?: string; linkLocal6?: string }> {
    const addrs = await listAddresses(ifname).catch(() => []);
    const v4 = addrs.find((a) => a.family === 4 && !a.flags.includes('secondary'));
    const ll = addrs.find((a) => a.family === 6 && a.address.toLowerCase().startsWith('fe80'));
    return { ipv4: v4?.address, linkLocal6: ll?.address };
  }

  private socketFor(r: ResolvedInstance): { rec: SockRec; key: string } {
    const key = `${r.sockIfname}|${r.family}|${r.src}|${r.group ?? r.peers.map((p) => p.address).join(',')}`;
    let rec = this.socks.get(key);
    if (!rec) {
      const sock = openVrrpSocket({
        family: r.family,
        ifname: r.sockIfname,
        mcastGroup: r.group ?? undefined,
        unicastSrc: r.src,
        unicastPeers: r.peers.map((p) => p.address),
      });
      const created: SockRec = { sock, users: new Set(), drops: {} };
      sock.on('advert', (ra) => this.onAdvert(created, ra));
      sock.on('error', (e) => this.log.error({ code: e.code, err: e, ifname: r.ifname }, e.message));
      this.socks.set(key, created);
      rec = created;
    }
    return { rec, key };
  }

  private async startInstance(vi: VrrpInstance, carry: InstanceState | null = null): Promise<void> {
    if (!vi.interface) throw Object.assign(new Error('no interface'), { code: 'E_CONFIG_INTERFACE' });
    const r = resolveInstance(vi, this.cfg.globalDefs, await this.interfaceFacts(vi.interface));
    await this.vmacs.setup(r);
    const { rec, key } = this.socketFor(r);
    rec.users.add(vi.name);
    const g = this.cfg.globalDefs;
    const inst: Inst = {
      id: `vrrp:${vi.name}`,
      vi,
      r,
      fingerprint: instanceFingerprint(r, vi),
      sock: rec.sock,
      sockKey: key,
      lastSend: Promise.resolve(),
      state: carry,
      vipsHeld: false,
      queue: Promise.resolve(),
      drops: {},
      rxAccepted: 0,
      trackers: { fault: false, effective: vi.priority, reasons: [], ownFault: false, ownReasons: [] },
      notify: {
        notify: vi.notify, notifyMaster: vi.notifyMaster, notifyBackup: vi.notifyBackup, notifyFault: vi.notifyFault,
        notifyStop: vi.notifyStop, notifyMasterRxLowerPri: vi.notifyMasterRxLowerPri,
      } as NotifyConfig,
      smtpAlert: vi.smtpAlert ?? globalSmtpAlert(g),
    };
    this.insts.set(vi.name, inst);
    if (usesAh(r)) this.ah.attach(r, (ra) => this.onAdvert(rec, ra), (reason) => { bump(inst.drops, reason); this.counters.rxTotal++; this.counters.rxDropped++; });
    // a sync group member becomes MASTER only when its group lets it (vrrp_sync_can_goto_master)
    const init: VrrpActorInit = { params: this.sync.groupOf.has(vi.name) ? { ...r.params, syncGroup: true } : r.params, carry };
    if (!carry) {
      // keepalived at start-up: VIPs left on the interface by an earlier run (kill -9 leaves them)
      // are removed before the instance runs, so a node that comes back as BACKUP never answers
      // ARP for a VIP its peer holds. Queued first, so a MASTER's addVips always comes after it.
      this.log.info({ instance: vi.name }, `(${vi.name}) removing VIPs.`);
      this.enqueue(inst, 'removing stale VIPs', async () => {
        for (const v of [...inst.r.vips, ...inst.r.excluded]) await this.vipOp('del', inst, v);
      });
      this.firewall(inst, 'init');
    }
    for (const v of [...inst.r.vips, ...inst.r.excluded]) {
      try {
        this.packetSocket(v.dev ?? inst.r.vipIfname); // opened now: the first GARP must not wait for it
      } catch (e) {
        this.log.warn({ code: (e as { code?: string }).code ?? 'E_IO_SOCKET', instance: vi.name, err: e }, `(${vi.name}) cannot open a packet socket on ${v.dev ?? inst.r.vipIfname}: gratuitous ARP/NA will be retried`);
      }
    }
    this.warmUp(inst);
    this.sup.spawn(inst.id, 'vrrp', init);
    this.log.info({ instance: vi.name, ifname: r.ifname, vrid: r.params.vrid, version: r.params.version }, `(${vi.name}) Initialising on ${r.ifname}`);
    this.updateTrackers(inst, true);
  }

  /**
   * A BACKUP builds its first advert and GARP at the takeover, the one moment that is measured;
   * build both once now (pure, nothing is sent) so V8 has compiled that path already.
   */
  private warmUp(inst: Inst): void {
    try {
      const r = inst.r;
      advertPayload(r, r.params.priority, r.group ?? r.peers[0]?.address ?? r.src);
      const v = r.vips[0];
      if (v && v.family === 4) gratuitousArp('02:00:00:00:00:00', v.address);
      else if (v) unsolicitedNaFrame({ mac: '02:00:00:00:00:00', src: v.address, target: v.address, router: false });
    } catch {
      /* warm-up only */
    }
  }

  private instBySock(rec: SockRec, vrid: number): Inst | undefined {
    for (const name of rec.users) {
      const i = this.insts.get(name);
      if (i && i.r.params.vrid === vrid) return i;
    }
    return undefined;
  }

  /** RFC 3768 §7.1 / RFC 5798 §7.1 receive checks, in keepalived's order; a bad packet is dropped and counted. */
  private onAdvert(rec: SockRec, ra: ReceivedAdvert): void {
    const rxAt = monoNow();
    this.counters.rxTotal++;
    try {
      const d = decodeVrrp(ra.payload, { family: ra.family, src: ra.src, dst: ra.dst });
      if (!d.ok) {
        bump(rec.drops, d.reason);
        this.counters.rxDropped++;
        this.log.debug({ ifname: ra.ifname, src: ra.src, reason: d.reason }, 'VRRP packet dropped');
        return;
      }
      const p = d.packet;
      const inst = this.instBySock(rec, p.vrid);
      if (!inst) {
        bump(rec.drops, 'unknown-vrid');
        this.counters.rxDropped++;
        return;
      }
      if (ra.src === inst.r.src) return; // our own advert looped back
      if (usesAh(inst.r) && !this.ah.cameThroughAh(ra.payload)) {
        bump(inst.drops, 'auth-type-mismatch'); // keepalived: "No AH header but auth type is AH"
        this.counters.rxDropped++;
        return;
      }
      const st = inst.state?.state ?? 'INIT';
      const reason = checkAdvert(p, {
        vrid: inst.r.params.vrid,
        version: inst.r.params.version,
        family: inst.r.family,
        adverInt: inst.r.params.advertIntCs / 100,
        authType: inst.r.authType,
        authPass: inst.r.authPass,
        addresses: inst.r.params.vips,
        skipCheckAdvAddr: skipAddrCheck({
          skipCheckAdvAddr: inst.r.skipCheckAdvAddr,
          state: st === 'STOP' ? 'INIT' : st,
          src: ra.src,
          masterSrc: inst.state?.masterAddress ?? null,
        }),
        ttl: ra.ttl,
        strict: inst.r.strict,
        unicast: inst.r.peers.length > 0 ? { peers: inst.r.peers, checkSrc: inst.r.checkUnicastSrc } : undefined,
        src: ra.src,
        dst: ra.dst,
      });
      if (reason && reason !== 'addr-mismatch-accepted') {
        bump(inst.drops, reason);
        this.counters.rxDropped++;
        this.log.debug({ instance: inst.vi.name, src: ra.src, reason }, `(${inst.vi.name}) advert dropped: ${reason}`);
        return;
      }
      inst.rxAccepted++;
      const msg: ToVrrpActor = { type: 'advert', from: ra.src, priority: p.priority, maxAdverIntCs: p.maxAdverIntCs, rxAt };
      this.sup.send(inst.id, msg);
    } catch (e) {
      bump(rec.drops, 'exception');
      this.counters.rxDropped++;
      this.log.warn({ code: 'E_RX', err: e }, 'VRRP packet handling failed; dropped');
    }
  }

  // ---------------------------------------------------------------- effects

  private onVrrpEffects(id: string, msg: FromVrrpActor): void {
    if (!msg || msg.type !== 'effects') return;
    const inst = this.insts.get(msg.instance);
    if (!inst || inst.id !== id) return;
    inst.state = msg.state;
    for (const i of msg.intents) {
      try {
        this.execute(inst, i);
      } catch (e) {
        this.log.error({ code: 'E_INTENT', instance: inst.vi.name, intent: i.type, err: e }, `(${inst.vi.name}) ${i.type} failed`);
      }
    }
    if (msg.state.state === 'STOP' && inst.stopped) {
      const done = inst.stopped;
      inst.stopped = undefined;
      void inst.queue.then(done);
    }
  }

  /**
   * no_accept / vrrp_strict (keepalived's vrrp_handle_accept_mode): a blocking instance's VIPs enter
   * keepalived's nftables drop set when it becomes MASTER and leave it when it stops being MASTER.
   * Queued with the VIP operations, so the order is keepalived's (rule, VIPs / VIPs, rule).
   */
  private firewall(inst: Inst, op: 'block' | 'unblock' | 'init'): void {
    if (!blocksVips(inst.vi)) return;
    const name = inst.vi.name;
    this.log.info({ instance: name }, `(${name}) ${op === 'block' ? 'setting' : 'removing'} firewall drop rule`);
    if (op === 'init') return; // keepalived logs it at start-up but makes no table until a MASTER needs one
    const fw = (this.nft ??= new NftFirewall(nftSettings(this.cfg.globalDefs), this.log));
    const vips = nftVips(inst.r);
    const dtp = inst.vi.dontTrackPrimary;
    this.enqueue(inst, `${op === 'block' ? 'setting' : 'removing'} firewall drop rule`, () => (op === 'block' ? fw.block(name, vips, dtp) : fw.unblock(name, vips, dtp)));
  }

  private enqueue(inst: Inst, what: string, fn: () => Promise<void>): void {
    inst.queue = inst.queue.then(fn).catch((e) => {
      this.log.error({ code: (e as { code?: string }).code ?? 'E_IO', instance: inst.vi.name, err: e }, `(${inst.vi.name}) ${what}: ${(e as Error).message}`);
    });
  }

  private execute(inst: Inst, i: Intent): void {
    const name = inst.vi.name;
    switch (i.type) {
      case 'sendAdvert':
        this.sendAdvert(inst, i.priority);
        if (i.priority === 0) this.log.info({ instance: name }, `(${name}) sent 0 priority`);
        return;
      case 'addVips':
        this.firewall(inst, 'block'); // keepalived: drop rule first, so the VIP never answers unfiltered
        this.log.info({ instance: name }, `(${name}) setting VIPs.`);
        inst.vipsHeld = true;
        this.enqueue(inst, 'adding VIPs', async () => {
          for (const v of [...inst.r.vips, ...inst.r.excluded]) await this.vipOp('add', inst, v);
          await installRoutes(instanceRouteSet(inst.vi), this.log, `(${name})`);
        });
        return;
      case 'removeVips':
        if (this.stopping && this.opts.dontReleaseVrrp) return;
        this.log.info({ instance: name }, `(${name}) removing VIPs.`);
        inst.vipsHeld = false;
        this.enqueue(inst, 'removing VIPs', async () => {
          await removeRoutes(instanceRouteSet(inst.vi), this.log, `(${name})`);
          for (const v of [...inst.r.vips, ...inst.r.excluded]) await this.vipOp('del', inst, v);
        });
        this.firewall(inst, 'unblock');
        return;
      case 'sendGarp':
        this.sendGarpBurst(inst, i.count, i.intervalMs);
        return;
      case 'transition':
        this.onTransition(inst, i.from, i.to, i.reason);
        return;
      case 'masterRxLowerPri':
        this.log.info({ instance: name, from: i.from, priority: i.priority }, `(${name}) Received advert from ${i.from} with lower priority ${i.priority}, ours ${inst.state?.effectivePriority ?? inst.vi.priority}${inst.r.params.lowerPrioNoAdvert ? '' : ', forcing new election'}`);
        this.notifiers.masterRxLowerPri(name, inst.notify, inst.state?.effectivePriority ?? 0);
        return;
      case 'syncWant':
        if (i.master) {
          this.log.info({ instance: name }, `(${name}) Receive advertisement timeout`);
          this.syncTryMaster(inst);
        }
        return;
      case 'priorityChanged':
        this.log.info({ instance: name, from: i.from, to: i.to }, `(${name}) Changing effective priority from ${i.from} to ${i.to}`);
        return;
      case 'setTimer':
      case 'clearTimer':
        return; // handled inside the actor
      default: {
        const never: never = i;
        this.log.warn({ intent: never }, 'unknown intent dropped');
      }
    }
  }

  private sendAdvert(inst: Inst, priority: number): void {
    if (usesAh(inst.r)) {
      this.counters.txAdverts++;
      inst.lastSend = this.ah.sendAdvert(inst.vi.name, priority).catch((e: { code?: string; message?: string }) => {
        this.counters.txErrors++;
        this.log.warn({ code: e.code ?? 'E_IO_SEND', instance: inst.vi.name }, `(${inst.vi.name}) AH advert: ${e.message}`);
      });
      return;
    }
    const r = inst.r;
    const dsts = r.group ? [r.group] : r.peers.map((p) => p.address);
    for (const dst of dsts) {
      let payload: Buffer;
      try {
        payload = advertPayload(r, priority, dst);
      } catch (e) {
        this.counters.txErrors++;
        this.log.error({ code: 'E_ENCODE', instance: inst.vi.name, err: e }, `(${inst.vi.name}) cannot build advert`);
        return;
      }
      this.counters.txAdverts++;
      inst.lastSend = inst.sock.send(payload, dst).catch((e: { code?: string; message?: string }) => {
        this.counters.txErrors++;
        this.log.warn({ code: e.code ?? 'E_IO_SEND', instance: inst.vi.name, dst }, `(${inst.vi.name}) advert to ${dst}: ${e.message}`);
      });
    }
  }

  private async vipOp(op: 'add' | 'del', inst: Inst, v: VirtualAddress): Promise<void> {
    const spec = {
      address: v.address, prefixLen: v.prefixLen, family: v.family, dev: v.dev ?? inst.r.vipIfname,
      brd: v.brd, scope: v.scope as never, label: v.label, nodad: v.family === 6 ? true : v.nodad, noprefixroute: v.noprefixroute,
    };
    try {
      if (op === 'add') await addAddress(spec);
      else await removeAddress(spec);
    } catch (e) {
      if (alreadyDone(op, e)) return;
      this.counters.vipOpsFailed++;
      throw e;
    }
  }

  private packetSocket(ifname: string): PacketSocket {
    let s = this.pkts.get(ifname);
    if (!s) {
      s = openPacketSocket(ifname);
      this.pkts.set(ifname, s);
    }
    return s;
  }

  /** keepalived: each burst sends one GARP (IPv4) / unsolicited NA (IPv6) per VIP, `count` times. */
  private sendGarpBurst(inst: Inst, count: number, intervalMs: number): void {
    const vips = [...inst.r.vips, ...inst.r.excluded];
    const sendOne = (): void => {
      if (!inst.vipsHeld) return;
      for (const v of vips) {
        try {
          const s = this.packetSocket(v.dev ?? inst.r.vipIfname);
          const frame = v.family === 4
            ? gratuitousArp(s.mac, v.address)
            : unsolicitedNaFrame({ mac: s.mac, src: v.address, target: v.address, router: forwarding6(s.ifname) });
          s.send(frame);
          this.counters.garpSent++;
        } catch (e) {
          this.log.warn({ code: (e as { code?: string }).code ?? 'E_GARP', instance: inst.vi.name, err: e }, `(${inst.vi.name}) gratuitous ARP/NA failed`);
        }
      }
    };
    const burst = (): void => {
      for (let n = 0; n < count; n++) {
        if (intervalMs <= 0 || n === 0) sendOne();
        else setTimeout(sendOne, n * intervalMs).unref();
      }
    };
    // keepalived sends the advert first and the GARPs ~0.2 ms after it. Our advert went to the
    // kernel synchronously (VrrpSocket sendNow), so the burst follows at once; AH adverts go
    // through raw-socket's queue, so there the burst waits for the send.
    if (usesAh(inst.r)) void inst.lastSend.then(burst);
    else burst();
    if (count > 0 && vips.length > 0) {
      const first = vips[0]!;
      this.log.info({ instance: inst.vi.name }, `(${inst.vi.name}) Sending/queueing gratuitous ARPs on ${first.dev ?? inst.r.vipIfname} for ${first.address}`);
    }
  }

  /**
   * The supervisor gave up on an instance's actor: nothing advertises for it any more, so a MASTER
   * must not keep the VIPs (its BACKUP takes over after the master-down timer and two nodes would
   * answer ARP for them). Leave like keepalived's FAULT: priority 0 advert, VIPs released, notify.
   */
  private onVrrpActorFault(id: string): void {
    const inst = [...this.insts.values()].find((i) => i.id === id);
    if (!inst || this.stopping) return;
    const was = inst.state?.state ?? 'INIT';
    if (was === 'MASTER') this.execute(inst, { type: 'sendAdvert', priority: 0 });
    if (inst.vipsHeld) this.execute(inst, { type: 'removeVips' });
    if (inst.state) inst.state = { ...inst.state, state: 'FAULT' };
    this.onTransition(inst, was, 'FAULT', 'actor gave up');
  }

  private onTransition(inst: Inst, from: string, to: string, reason: string): void {
    const name = inst.vi.name;
    const extra = from === 'INIT' && to === 'BACKUP' ? ' (init)' : '';
    // keepalived's lines before the transition itself (log greps rely on them)
    const st0 = inst.state;
    if (to === 'MASTER' && reason === 'master down timer expired') this.log.info({ instance: name }, `(${name}) Receive advertisement timeout`);
    if (from === 'MASTER' && to === 'BACKUP' && st0?.masterAddress && st0.masterPriority !== null) {
      if (st0.masterPriority > st0.effectivePriority) this.log.info({ instance: name }, `(${name}) Master received advert from ${st0.masterAddress} with higher priority ${st0.masterPriority}, ours ${st0.effectivePriority}`);
      else this.log.info({ instance: name }, `(${name}) Master received advert from ${st0.masterAddress} with same priority ${st0.masterPriority} but higher IP address than ours`);
    }
    this.obs?.transition(name, from, to, reason, { counters: inst.state?.counters as Record<string, number> | undefined, master: inst.state?.masterAddress, effectivePriority: inst.state?.effectivePriority, vipsHeld: inst.vipsHeld });
    if (to === 'STOP') this.log.info({ instance: name, from, to, reason }, `(${name}) Stopped`);
    else this.log.info({ instance: name, from, to, reason }, `(${name}) Entering ${to} STATE${extra}`);
    if (to !== 'MASTER' && to !== 'BACKUP' && to !== 'FAULT' && to !== 'STOP') return;
    const st = to as NotifyState;
    const prio = inst.state?.effectivePriority ?? inst.vi.priority;
    this.enqueue(inst, 'notify', async () => {
      this.notifiers.instance(name, inst.notify, st, prio, inst.smtpAlert);
    });
    this.updateGroup(inst, to);
  }

  /**
   * enable_script_security (keepalived check_script_secure): a script that runs as root from a path a
   * non-root user can change is disabled — a vrrp_script stops being tracked, a notify is not run.
   */
  private checkScriptSecurity(): void {
    this.insecureScripts = new Set();
    const g = this.cfg.globalDefs;
    if (!g.enableScriptSecurity) return;
    const u = defaultScriptUser(g.scriptUser ? { user: g.scriptUser, group: g.scriptGroup } : undefined);
    const ids = 'ids' in u ? u.ids : { uid: 0, gid: 0 };
    const cmds: { argv0: string; track?: string }[] = [];
    for (const [name, sc] of Object.entries(this.cfg.vrrpScripts)) if (sc.script?.argv[0]) cmds.push({ argv0: sc.script.argv[0], track: name });
    const notifies = [...this.cfg.vrrpInstances, ...this.cfg.vrrpSyncGroups] as Array<Partial<Record<'notify' | 'notifyMaster' | 'notifyBackup' | 'notifyFault' | 'notifyStop', { argv: string[] }>>>;
    for (const o of notifies) {
      for (const k of ['notify', 'notifyMaster', 'notifyBackup', 'notifyFault', 'notifyStop'] as const) {
        const a0 = o[k]?.argv[0];
        if (a0) cmds.push({ argv0: a0 });
      }
    }
    const seen = new Set<string>();
    for (const c of cmds) {
      if (seen.has(`${c.argv0}|${c.track ?? ''}`)) continue;
      seen.add(`${c.argv0}|${c.track ?? ''}`);
      const r = checkScriptSecure(c.argv0, ids, true, c.track);
      if (r.insecure) {
        this.insecureScripts.add(c.argv0);
        for (const m of r.messages) this.log.warn({ code: 'E_SCRIPT_INSECURE', script: c.argv0 }, m);
      }
    }
  }

  // ---------------------------------------------------------------- sync groups

  private planGroups(): void {
    this.sync = planSyncGroups(this.cfg.vrrpSyncGroups, this.cfg.vrrpInstances);
    for (const m of this.sync.messages) this.log.info({ code: 'E_CONFIG_REFERENCE' }, m);
    for (const g of this.sync.groups.keys()) if (!this.groupStates.has(g)) this.groupStates.set(g, 'INIT');
    for (const g of [...this.groupStates.keys()]) if (!this.sync.groups.has(g)) this.groupStates.delete(g);
  }

  private groupDef(name: string): VrrpSyncGroup | undefined {
    return this.cfg.vrrpSyncGroups.find((g) => g.name === name);
  }

  private memberViews(gname: string): MemberView[] {
    return (this.sync.groups.get(gname) ?? []).map((m) => {
      const st = this.insts.get(m)?.state;
      return { name: m, state: st?.state ?? 'INIT', wantMaster: !!st?.syncWantMaster };
    });
  }

  /**
   * A member's Master_Down_Timer expired (it wants MASTER): keepalived vrrp_sync_can_goto_master. When
   * the group is MASTER or every other member wants MASTER too, it goes MASTER and the group with it
   * (the others follow through groupOnTransition); otherwise it stays BACKUP and its timer runs again.
   */
  private syncTryMaster(inst: Inst): void {
    const gname = this.sync.groupOf.get(inst.vi.name);
    if (!gname) {
      this.sup.send(inst.id, { type: 'sync', to: 'MASTER' } satisfies ToVrrpActor);
      return;
    }
    const views = this.memberViews(gname);
    if (!canGoMaster(this.groupStates.get(gname) ?? 'INIT', inst.vi.name, views)) return;
    this.sup.send(inst.id, { type: 'sync', to: 'MASTER' } satisfies ToVrrpActor);
  }

  /** A member changed state: the group follows (vrrp_sync_fault / vrrp_sync_backup / vrrp_sync_master). */
  private updateGroup(inst: Inst, to: string): void {
    const gname = this.sync.groupOf.get(inst.vi.name);
    if (!gname) return;
    const prev = this.groupStates.get(gname) ?? 'INIT';
    const step = groupOnTransition(prev, inst.vi.name, to as MemberView['state'], this.memberViews(gname));
    if (!step.changed) return;
    this.groupStates.set(gname, step.state);
    if (step.state === 'INIT') return;
    this.log.info({ group: gname, from: prev, to: step.state }, `VRRP_Group(${gname}) Syncing instances to ${step.state} state`);
    for (const f of step.force) {
      const m = this.insts.get(f.name);
      if (m) this.sup.send(m.id, { type: 'sync', to: f.to } satisfies ToVrrpActor);
    }
    const g = this.groupDef(gname);
    if (!g) return;
    const st = step.state as NotifyState;
    const cfg: NotifyConfig = { notify: g.notify, notifyMaster: g.notifyMaster, notifyBackup: g.notifyBackup, notifyFault: g.notifyFault, notifyStop: g.notifyStop } as NotifyConfig;
    this.enqueue(inst, 'group notify', async () => {
      this.notifiers.group(gname, cfg, st, g.smtpAlert ?? globalSmtpAlert(this.cfg.globalDefs));
    });
  }

  // ---------------------------------------------------------------- trackers

  /** A tracked interface's status as its monitor actor reported it; others straight from netlink. */
  private linkUp(ifname: string): boolean {
    return this.monitors?.linkUp(ifname) ?? this.netlinkUp(ifname);
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
    this.log.info({ ifname: ev.ifname, up: after }, `Netlink reports ${ev.ifname} ${after ? 'up' : 'down'}`);
    // a tracked interface's monitor reports back (onMonitorChange); an untracked one changes nothing
    if (!this.monitors.onNetlink(ev.ifname, after)) for (const inst of this.insts.values()) this.updateTrackers(inst, false);
  }

  /** A monitor actor reported a script or interface change: recompute the instances that track it. */
  private onMonitorChange(c: { kind: 'script' | 'link'; name: string }): void {
    for (const inst of this.insts.values()) if (c.kind === 'link' || this.trackedScripts(inst.vi).includes(c.name)) this.updateTrackers(inst, false);
  }

  private trackerStatus(inst: Inst): TrackerStatus[] {
    const vi = inst.vi;
    const out: TrackerStatus[] = [...primaryInterfaceTracker(inst.r.ifname, this.linkUp(inst.r.ifname), vi.dontTrackPrimary)];
    // keepalived: a sync group's trackers apply to each member, with weight 0 unless sync_group_tracking_weight
    const gname = this.sync.groupOf.get(vi.name);
    const g = gname ? this.groupDef(gname) : undefined;
    const gw = (w: number | undefined): number | undefined => (g?.syncGroupTrackingWeight ? w : 0);
    const ifs = [...vi.trackInterfaces, ...(g?.trackInterfaces ?? []).map((t) => ({ ...t, weight: gw(t.weight) ?? 0 }))];
    const scs = [...vi.trackScripts, ...(g?.trackScripts ?? []).map((t) => ({ ...t, weight: gw(t.weight) }))];
    for (const t of ifs) out.push({ kind: 'interface', name: t.name, up: this.linkUp(t.name), weight: t.weight, reverse: t.reverse });
    for (const t of scs) {
      const sc = this.cfg.vrrpScripts[t.name];
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
    const gname = this.sync.groupOf.get(vi.name);
    const g = gname ? this.groupDef(gname) : undefined;
    return [...vi.trackScripts, ...(g?.trackScripts ?? [])].map((t) => t.name);
  }

  private updateTrackers(inst: Inst, initial: boolean): void {
    const eff = computeEffective(inst.vi.priority, this.trackerStatus(inst));
    const prev = inst.trackers;
    inst.trackers = { ...prev, effective: eff.effective, ownFault: eff.fault, ownReasons: eff.reasons };
    if (eff.effective !== prev.effective || (initial && eff.effective !== inst.vi.priority)) {
      this.sup.send(inst.id, { type: 'priority', effective: eff.effective } satisfies ToVrrpActor);
    }
    this.applyFault(inst, initial);
    // a member's own fault puts the whole sync group in FAULT (vrrp_sync_fault), its end lets it out
    const gname = this.sync.groupOf.get(inst.vi.name);
    if (gname && eff.fault !== prev.ownFault) {
      for (const m of this.sync.groups.get(gname) ?? []) {
        const other = m === inst.vi.name ? undefined : this.insts.get(m);
        if (other) this.applyFault(other, false);
      }
    }
  }

  /** Tell the actor the fault it must be in: its own or, in a sync group, any member's. */
  private applyFault(inst: Inst, initial: boolean): void {
    const gname = this.sync.groupOf.get(inst.vi.name);
    const own = new Map([...this.insts.values()].map((i) => [i.vi.name, { fault: i.trackers.ownFault, reasons: i.trackers.ownReasons }]));
    const f = memberFault(inst.vi.name, gname ? this.sync.groups.get(gname) : undefined, own, gname);
    const changed = f.fault !== inst.trackers.fault;
    inst.trackers.fault = f.fault;
    inst.trackers.reasons = f.reasons;
    if (changed || (initial && f.fault)) {
      this.sup.send(inst.id, { type: 'fault', fault: f.fault, reason: f.reasons.join(', ') || undefined } satisfies ToVrrpActor);
    }
  }

  /** vrrp_scripts in use and tracked interfaces get their monitor actors (a reload starts the scripts afresh). */
  private startScripts(): void {
    const used = new Set<string>();
    for (const inst of this.insts.values()) for (const t of this.trackedScripts(inst.vi)) used.add(t);
    this.monitors.configure(this.cfg, used, this.insecureScripts, this.scripts, {
      tracked: trackedInterfaces(this.cfg, this.sync.groupOf), netlinkUp: (i) => this.netlinkUp(i),
    });
  }

  // ---------------------------------------------------------------- notifiers

  /** The FIFO writer, the SMTP sender and the notify-script actors (src/vrrp/notify-dispatch.ts). */
  private setupNotifiers(): void {
    const g = this.cfg.globalDefs;
    this.notifyTimeoutMs = g.notifyScriptTimeout !== undefined ? Math.round(g.notifyScriptTimeout * 1000) : DEFAULT_NOTIFY_TIMEOUT_MS;
    this.notifiers.configure(this.cfg, this.notifyTimeoutMs);
  }

  // ---------------------------------------------------------------- state, reload, stop

  vrrpState(): Record<string, unknown> {
    const instances = [...this.insts.values()].map((i) => ({
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
      vipsHeld: i.vipsHeld,
      source: i.r.src,
      mode: i.r.group ? `multicast ${i.r.group}` : `unicast ${i.r.peers.map((p) => p.address).join(',')}`,
      counters: { ...(i.state?.counters ?? {}), rxAccepted: i.rxAccepted },
      dropped: i.drops,
    }));
    const sockets = [...this.socks.entries()].map(([key, s]) => ({ key, stats: s.sock.stats, dropped: s.drops }));
    const scripts = [...this.scripts.values()].map((s) => ({ name: s.name, ok: scriptOk(s.state), lastResult: s.lastResult }));
    return {
      daemon: { pid: process.pid, config: this.opts.configFile, uptimeMs: Date.now() - this.startedAt, reloads: this.reloads, configErrors: this.configErrors, counters: this.counters },
      vrrp: { instances, sockets, scripts, ...this.fileProc.state() },
    };
  }

  async reload(): Promise<{ unchanged: string[]; restarted: string[]; added: string[]; removed: string[] }> {
    this.log.info({ config: this.opts.configFile }, 'Reloading');
    const cfg = this.loadConfig();
    const res = { unchanged: [] as string[], restarted: [] as string[], added: [] as string[], removed: [] as string[] };
    if (!cfg) {
      this.log.error({ code: 'E_CONFIG' }, 'new configuration has errors - keeping the running one');
      return res;
    }
    this.cfg = cfg;
    this.reloads++;
    this.planGroups();
    this.checkScriptSecurity();
    this.fileProc.configure(cfg, true);
    const want = new Map(cfg.vrrpInstances.map((v) => [v.name, v]));
    for (const [name, inst] of [...this.insts]) {
      if (!want.has(name)) {
        await this.stopInstance(inst, true);
        res.removed.push(name);
      }
    }
    for (const vi of cfg.vrrpInstances) {
      const cur = this.insts.get(vi.name);
      if (!cur) {
        await this.startInstance(vi);
        res.added.push(vi.name);
        continue;
      }
      const r = resolveInstance(vi, cfg.globalDefs, await this.interfaceFacts(vi.interface ?? ''));
      if (instanceFingerprint(r, vi) === cur.fingerprint) {
        cur.vi = vi;
        res.unchanged.push(vi.name);
        continue;
      }
      if (r.ifname !== cur.r.ifname || r.params.vrid !== cur.r.params.vrid || r.family !== cur.r.family) {
        // another router altogether: leave the old one as on stop, start the new one afresh
        await this.stopInstance(cur, true);
        await this.startInstance(vi);
        res.restarted.push(vi.name);
        continue;
      }
      const carry = cur.state;
      await this.stopInstance(cur, false);
      await this.startInstance(vi, carry);
      const ni = this.insts.get(vi.name);
      if (ni && cur.vipsHeld) this.carryVips(cur, ni);
      res.restarted.push(vi.name);
    }
    for (const s of this.scripts.values()) if (s.timer) clearInterval(s.timer);
    this.scripts.clear();
    this.startScripts();
    for (const inst of this.insts.values()) if (this.fileProc.tracksAny(inst.vi)) this.updateTrackers(inst, false);
    this.log.info(res, 'Reload finished');
    return res;
  }

  /**
   * A MASTER whose instance changed on reload keeps the VIPs it holds (no flap, as keepalived):
   * only addresses that left the config are removed and new ones added and announced.
   */
  private carryVips(old: Inst, ni: Inst): void {
    const key = (v: VirtualAddress): string => `${v.address}/${v.prefixLen}/${v.dev ?? ''}`;
    const before = new Map([...old.r.vips, ...old.r.excluded].map((v) => [key(v), v]));
    const after = new Map([...ni.r.vips, ...ni.r.excluded].map((v) => [key(v), v]));
    const gone = [...before].filter(([k]) => !after.has(k)).map(([, v]) => v);
    const added = [...after].filter(([k]) => !before.has(k)).map(([, v]) => v);
    ni.vipsHeld = true;
    // the drop set follows the held VIPs (also when accept/no_accept changed on reload)
    const fw = this.nft;
    if (fw) this.enqueue(ni, 'reload firewall', () => fw.unblock(ni.vi.name, nftVips(blocksVips(ni.vi) ? { ...old.r, vips: gone, excluded: [] } : old.r), ni.vi.dontTrackPrimary));
    this.firewall(ni, 'block');
    if (gone.length === 0 && added.length === 0) return;
    this.log.info({ instance: ni.vi.name, removed: gone.map(key), added: added.map(key) }, `(${ni.vi.name}) reload: updating VIPs`);
    this.enqueue(ni, 'reload VIPs', async () => {
      for (const v of gone) await this.vipOp('del', old, v);
      for (const v of added) await this.vipOp('add', ni, v);
    });
    if (added.length > 0) this.sendGarpBurst(ni, ni.r.params.garp.masterRepeat, ni.r.params.garp.intervalMs);
  }

  /** graceful: the actor runs its shutdown step (priority 0, VIPs released); otherwise just stop the actor. */
  private async stopInstance(inst: Inst, graceful: boolean): Promise<void> {
    if (graceful && inst.state && inst.state.state !== 'STOP') {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 1500);
        inst.stopped = () => {
          clearTimeout(t);
          resolve();
        };
        this.sup.send(inst.id, { type: 'shutdown' } satisfies ToVrrpActor);
      });
    }
    await this.sup.stop(inst.id, graceful ? 'removed' : 'reload');
    await inst.queue;
    this.insts.delete(inst.vi.name);
    this.ah.detach(inst.vi.name);
    const rec = this.socks.get(inst.sockKey);
    if (rec) {
      rec.users.delete(inst.vi.name);
      if (rec.users.size === 0) {
        rec.sock.close();
        this.socks.delete(inst.sockKey);
      }
    }
    if (graceful && inst.r.vmac) {
      this.pkts.get(inst.r.vipIfname)?.close();
      this.pkts.delete(inst.r.vipIfname);
      await this.vmacs.remove(inst.r);
    }
  }

  async stop(signal: string): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.log.info({ signal }, 'Stopping');
    for (const s of this.scripts.values()) if (s.timer) clearInterval(s.timer);
    await Promise.all([...this.insts.values()].map((i) => this.stopInstance(i, true).catch(() => undefined)));
    // keepalived's nft_end: the drop table goes with the daemon (kept with -X, like the VIPs it guards)
    if (!this.opts.dontReleaseVrrp) await this.nft?.cleanup();
    // the STOP notifies reach the script pool and run (STOP scripts are killed after 1 s) before the actors stop
    this.monitors.abortScripts();
    await this.notifiers.drain(1000).catch(() => undefined);
    await this.jobs.idle(1500);
    await this.sup.shutdown().catch(() => undefined);
    await this.jobs.close();
    for (const s of this.socks.values()) s.sock.close();
    for (const p of this.pkts.values()) p.close();
    this.ah.close();
    this.linkWatch?.close();
    await this.control?.close().catch(() => undefined);
    await this.obs?.close();
    if (!this.opts.dontReleaseVrrp) await removeStatic(this.cfg, this.log).catch(() => 0);
    closeNetlink();
    this.removePidFiles();
    this.log.info('Stopped Keepalived');
    this.log.flush?.();
    this.exit(0);
  }

  private writeDump(file: string, data: unknown): void {
    try {
      fs.writeFileSync(file, JSON.stringify(data, null, 2) + '\n', { mode: 0o644 });
      this.log.info({ file }, `state written to ${file}`);
    } catch (e) {
      this.log.error({ code: 'E_DUMP', err: e, file }, `cannot write ${file}`);
    }
  }

  private installSignals(): void {
    process.on('SIGTERM', () => void this.stop('SIGTERM'));
    process.on('SIGINT', () => void this.stop('SIGINT'));
    process.on('SIGHUP', () => void this.reload().catch((e) => this.log.error({ code: 'E_RELOAD', err: e }, 'reload failed')));
    process.on('SIGUSR1', () => this.writeDump(this.opts.dataFile ?? '/tmp/keepalived.data', { version: 1, ...this.sup.state(), ...this.vrrpState() }));
    process.on('SIGUSR2', () => this.writeDump(this.opts.statsFile ?? '/tmp/keepalived.stats', { version: 1, supervisor: this.sup.stats(), ...this.vrrpStats() }));
  }

  private vrrpStats(): Record<string, unknown> {
    const instances: Record<string, unknown> = {};
    for (const i of this.insts.values()) instances[i.vi.name] = { counters: i.state?.counters ?? null, rxAccepted: i.rxAccepted, dropped: i.drops };
    return { daemon: this.counters, instances };
  }
}

/** keepalived: an instance without its own smtp_alert follows global smtp_alert / smtp_alert_vrrp (default off). */
function globalSmtpAlert(g: KeepalivedConfig['globalDefs']): boolean {
  const v = g.extra['smtp_alert_vrrp']?.[0] ?? g.extra['smtp_alert']?.[0];
  if (!v) return false;
  return v.length === 0 || /^(on|true|yes)$/i.test(v[0] ?? '');
}

function noEmailFaults(g: KeepalivedConfig['globalDefs']): boolean {
  return g.extra['no_email_faults'] !== undefined;
}

function forwarding6(ifname: string): boolean {
  try {
    return fs.readFileSync(`/proc/sys/net/ipv6/conf/${ifname}/forwarding`, 'utf8').trim() === '1';
  } catch {
    return false;
  }
}

export async function runDaemon(opts: DaemonOptions): Promise<number> {
  if (!opts.dontFork) {
    // keepalived forks into the background unless -n: run ourselves detached with -n and return.
    const args = process.argv.slice(1);
    const child = spawn(process.execPath, [...process.execArgv, ...args, '-n'], { detached: true, stdio: 'ignore' });
    child.unref();
    return 0;
  }
  const d = new Daemon(opts);
  return d.start();
}
