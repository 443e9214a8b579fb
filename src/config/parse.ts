/**
 * Statement tree -> typed KeepalivedConfig, applying keepalived's defaults and rules.
 * Unknown keywords are warnings (keepalived carries on); invalid values are errors with a code.
 */
import { Diagnostics } from './errors';
import type {
  Extra, GenericNode, GlobalDefs, KeepalivedConfig, NotifyCommand, TrackInterface, TrackRef, TrackScript,
  UnicastPeer, VirtualRule, VrrpInstance, VrrpSyncGroup,
} from './model';
import { tokenize } from './lexer';
import { blockEnd } from './tree';
import { address, isIp, route, rule } from './parse-net';
import { defaultGlobals, globalDefs } from './parse-global';
import { virtualServer, vsGroup } from './parse-lvs';
import { trackFile, trackProcess, vrrpScript } from './parse-track';

type N = GenericNode;

/** Keywords we accept but keep untyped (in `extra`), per block, from keepalived.conf(5). */
const INSTANCE_EXTRA = new Set('down_timer_adverts garp_extra_if kernel_rx_buf_size linkbeat_use_polling mcast_dst_ip old_unicast_checksum promote_secondaries track_src_ip unicast_fault_no_peer use_vmac_addr vrf notify_priority_changes lvs_sync_daemon_interface dont_use_vmac_addr'.split(' '));

const TOP_EXTRA = new Set(['bfd_instance', 'garp_group', 'track_group', 'vrrp_garp_group', 'linkbeat_interfaces', 'interface_up_down_delays', 'SSL']);
/** Daemon facilities keepalived.conf(5) lists before global_defs; they are written at the top level. */
const TOP_GLOBAL = new Set(['use_polling', 'old_unicast_checksum', 'use_pid_dir', 'linkbeat_use_polling', 'child_wait_time', 'namespace_with_ipsets', 'net_namespace_ipvs']);


/** Splits a script string into argv as keepalived does: whitespace separates, quotes group, escapes. */
export function splitCommand(s: string): string[] {
  return tokenize(s).map((t) => t.text);
}


/** keepalived 2.2.7: the first rule without a preference gets 16384, each further one of the same family one less. */
export const FIRST_DEFAULT_RULE_PRIORITY = 16384;

/** Where a value was written, for diagnostics about it after the build (not part of the model). */
export type Positions = WeakMap<object, Record<string, { file: string; line: number }>>;

export class ConfigBuilder {
  constructor(readonly d: Diagnostics) {}

  readonly positions: Positions = new WeakMap();
  at(o: object, field: string, n: N): void {
    let r = this.positions.get(o);
    if (!r) this.positions.set(o, (r = {}));
    r[field] = { file: n.file, line: n.line };
  }

  /** Rules written without a preference, numbered at the end of build() in file order. */
  unprioritized: { r: VirtualRule; n: N }[] = [];

  // ---------- value helpers ----------
  need(n: N, count: number, what: string): boolean {
    if (n.args.length < count) {
      if (n.args.length === 0) this.missing(n, what);
      else this.d.error('E_CONFIG_SYNTAX', n.file, n.line, `${n.keyword}: expected ${what}`);
      return false;
    }
    return true;
  }

  /**
   * keepalived 2.2.7 (parser.c null_strvec): a keyword without the value it needs ends the run at
   * once, exit 2 even for -t; we say it the same way, mark it, and read on.
   */
  missing(n: N, what: string): void {
    this.d.error('E_CONFIG_MISSING', n.file, n.line, `*** Configuration line starting \`${n.keyword}\` is missing a parameter after keyword \`${n.keyword}\` at word position 2 (expected ${what})`);
    this.d.missingParameter = true;
  }

  int(n: N, i: number, min: number, max: number): number | undefined {
    const v = n.args[i];
    if (v === undefined) {
      if (i === 0) this.missing(n, `an integer in [${min}, ${max}]`);
      else this.d.error('E_CONFIG_SYNTAX', n.file, n.line, `${n.keyword}: expected an integer in [${min}, ${max}]`);
      return undefined;
    }
    if (!/^[-+]?\d+$/.test(v)) {
      this.d.error('E_CONFIG_SYNTAX', n.file, n.line, `${n.keyword}: expected an integer in [${min}, ${max}], got invalid number '${v}'`);
      return undefined;
    }
    return this.inRange(n, v, min, max);
  }

  /** The number `v` (already syntax-checked) if it lies in [min, max]; else an E_CONFIG_RANGE error. */
  inRange(n: N, v: string, min: number, max: number): number | undefined {
    const x = Number(v);
    if (x < min || x > max) {
      this.d.error('E_CONFIG_RANGE', n.file, n.line, `${n.keyword}: number '${v}' outside range [${min}, ${max}]`);
      return undefined;
    }
    return x;
  }

  /** <TIMER>: seconds with up to microsecond resolution. */
  secs(n: N, i: number, min: number, max: number): number | undefined {
    const v = n.args[i];
    if (v === undefined && i === 0) {
      this.missing(n, `a time in seconds in [${min}, ${max}]`);
      return undefined;
    }
    if (v === undefined || !/^[+]?(\d+\.?\d*|\.\d+)$/.test(v)) {
      this.d.error('E_CONFIG_SYNTAX', n.file, n.line, `${n.keyword}: expected a time in seconds in [${min}, ${max}], got ${v === undefined ? 'nothing' : `invalid number '${v}'`}`);
      return undefined;
    }
    return this.inRange(n, v, min, max);
  }

  bool(n: N, i = 0): boolean {
    const v = n.args[i];
    if (v === undefined) return true;
    const l = v.toLowerCase();
    if (['on', 'true', 'yes'].includes(l)) return true;
    if (['off', 'false', 'no'].includes(l)) return false;
    this.d.error('E_CONFIG_SYNTAX', n.file, n.line, `${n.keyword}: expected on|off|true|false|yes|no, got '${v}'`);
    return true;
  }

  ip(n: N, i: number, family?: 4 | 6): string | undefined {
    const v = n.args[i];
    const f = v === undefined ? 0 : isIp(v);
    if (!f || (family && f !== family)) {
      this.d.error('E_CONFIG_SYNTAX', n.file, n.line, `${n.keyword}: expected an IP${family ? 'v' + family : ''} address, got '${v ?? ''}'`);
      return undefined;
    }
    return v;
  }

  cmd(n: N): NotifyCommand | undefined {
    if (n.args.length === 0) {
      this.d.error('E_CONFIG_MISSING', n.file, n.line, `${n.keyword}: expected a script (quote it if it has arguments) [username [groupname]]`);
      return undefined;
    }
    const argv = splitCommand(n.args[0]);
    if (argv.length === 0) {
      this.d.error('E_CONFIG_SYNTAX', n.file, n.line, `${n.keyword}: empty script`);
      return undefined;
    }
    const c: NotifyCommand = { argv, raw: n.args[0] };
    if (n.args[1] !== undefined) c.user = n.args[1];
    if (n.args[2] !== undefined) c.group = n.args[2];
    return c;
  }

  unknown(n: N, where: string): void {
    this.d.warn('E_CONFIG_UNKNOWN_KEYWORD', n.file, n.line, `Unknown keyword '${n.keyword}' in ${where}`);
    if (n.children) this.unknownBlocks.add(n);
  }

  /** Unknown keywords that opened a block inside a known one (keepalived ignores their '{'). */
  private unknownBlocks = new Set<N>();

  /**
   * keepalived refuses the '{' of an unknown nested block, so its '}' closes the enclosing block
   * and the enclosing top-level block's own '}' is left over: "Unknown keyword '}'" there.
   */
  private leftoverBraces(nodes: N[]): void {
    const inside = (x: N): boolean => (x.children ?? []).some((c) => this.unknownBlocks.has(c) || inside(c));
    for (const top of nodes) {
      const end = blockEnd.get(top);
      if (end && inside(top)) this.d.warn('E_CONFIG_UNKNOWN_KEYWORD', end.file, end.line, "Unknown keyword '}'");
    }
    this.unknownBlocks.clear();
  }

  extra(e: Extra, n: N): void {
    (e[n.keyword] ??= []).push(n.args);
  }

  /** Children of a block given as list lines (`virtual_ipaddress { ... }`). */
  items(n: N): N[] {
    if (!n.children) {
      this.d.error('E_CONFIG_SYNTAX', n.file, n.line, `${n.keyword}: expected a '{' block`);
      return [];
    }
    return n.children;
  }

  /** keepalived, having refused the `{`, reads an unknown block's lines as top-level keywords, its `}` too. */
  private unknownInside(b: N): void {
    for (const c of b.children ?? []) {
      this.d.warn('E_CONFIG_UNKNOWN_KEYWORD', c.file, c.line, `Unknown keyword '${c.keyword}'`);
      if (c.children) this.unknownInside(c);
    }
    const end = blockEnd.get(b);
    if (end) this.d.warn('E_CONFIG_UNKNOWN_KEYWORD', end.file, end.line, "Unknown keyword '}'");
  }

  // ---------- top level ----------
  build(nodes: N[], files: string[]): KeepalivedConfig {
    const cfg: KeepalivedConfig = {
      globalDefs: defaultGlobals(),
      vrrpScripts: {}, vrrpSyncGroups: [], vrrpInstances: [], trackFiles: {}, trackProcesses: {},
      virtualServerGroups: {}, virtualServers: [], staticIpaddress: [], staticRoutes: [], staticRules: [],
      linkbeatInterfaces: [], extra: {}, files,
    };
    const instances: N[] = [];
    this.unprioritized = [];
    for (const n of nodes) {
      switch (n.keyword) {
        case 'global_defs': globalDefs(this, n, cfg.globalDefs); break;
        case 'vrrp_script': {
          const s = vrrpScript(this, n);
          if (s) cfg.vrrpScripts[s.name] = s;
          break;
        }
        case 'vrrp_sync_group': { const g = this.syncGroup(n); if (g) cfg.vrrpSyncGroups.push(g); break; }
        case 'vrrp_instance': instances.push(n); break;
        case 'track_file': case 'vrrp_track_file': { const t = trackFile(this, n); if (t) cfg.trackFiles[t.name] = t; break; }
        case 'vrrp_track_process': { const t = trackProcess(this, n); if (t) cfg.trackProcesses[t.name] = t; break; }
        case 'virtual_server_group': { const g = vsGroup(this, n); if (g) cfg.virtualServerGroups[g.name] = g; break; }
        case 'virtual_server': { const v = virtualServer(this, n); if (v) cfg.virtualServers.push(v); break; }
        case 'static_ipaddress': for (const c of this.items(n)) { const a = address(this, c); if (a) cfg.staticIpaddress.push(a); } break;
        case 'static_routes': for (const c of this.items(n)) { const r = route(this, c); if (r) cfg.staticRoutes.push(r); } break;
        case 'static_rules': for (const c of this.items(n)) { const r = rule(this, c); if (r) cfg.staticRules.push(r); } break;
        case 'linkbeat_interfaces': for (const c of this.items(n)) cfg.linkbeatInterfaces.push(c.keyword); (cfg.extra[n.keyword] ??= []).push(n); break;
        case 'net_namespace': cfg.globalDefs.netNamespace = n.args[0]; break;
        case 'instance': cfg.globalDefs.instance = n.args[0]; break;
        default:
          if (TOP_GLOBAL.has(n.keyword)) (cfg.globalDefs.extra[n.keyword] ??= []).push(n.args);
          else if (TOP_EXTRA.has(n.keyword)) (cfg.extra[n.keyword] ??= []).push(n);
          else if (n.children) {
            this.d.error('E_CONFIG_UNKNOWN_BLOCK', n.file, n.line, `Unknown block '${n.keyword}' - ignoring it and its contents`);
            this.unknownInside(n);
          }
          else this.d.warn('E_CONFIG_UNKNOWN_KEYWORD', n.file, n.line, `Unknown keyword '${n.keyword}'`);
      }
    }
    for (const n of instances) {
      const vi = this.vrrpInstance(n, cfg.globalDefs);
      if (vi) cfg.vrrpInstances.push(vi);
    }
    this.numberRules(nodes);
    this.leftoverBraces(nodes);
    return cfg;
  }

  /**
   * keepalived gives a static or virtual rule without a preference the next number of a per-family
   * counter that starts at 16384 and counts down, in the order the rules are written (a rule that
   * could be either family counts as IPv4). vrrp_instance blocks are built after the others here,
   * so the order comes from the statement tree, not from the build order.
   */
  private numberRules(nodes: N[]): void {
    const order = new Map<N, number>();
    const visit = (list: N[]): void => {
      for (const x of list) {
        order.set(x, order.size);
        if (x.children) visit(x.children);
      }
    };
    visit(nodes);
    const next = { 4: FIRST_DEFAULT_RULE_PRIORITY, 6: FIRST_DEFAULT_RULE_PRIORITY };
    for (const { r, n } of this.unprioritized.sort((a, b) => (order.get(a.n) ?? 0) - (order.get(b.n) ?? 0))) {
      const fam = r.family ?? 4;
      r.priority = next[fam]--;
      this.d.warn('E_CONFIG_MISSING', n.file, n.line, `Rule has no preference specified - setting to ${r.priority}. This is probably not what you want.`);
    }
    this.unprioritized = [];
  }

  private trackList(n: N, what: string): TrackRef[] {
    const out: TrackRef[] = [];
    for (const c of this.items(n)) {
      const r: TrackRef = { name: c.keyword, reverse: false };
      this.at(r, 'name', c);
      for (let i = 0; i < c.args.length; i++) {
        const a = c.args[i];
        if (a === 'weight') {
          r.weight = this.int(c, i + 1, -254, 254);
          i++;
        } else if (a === 'reverse') r.reverse = true;
        else if (a === 'noreverse') r.reverse = false;
        else this.d.warn('E_CONFIG_SYNTAX', c.file, c.line, `${what} ${c.keyword}: unknown option '${a}'`);
      }
      out.push(r);
    }
    return out;
  }

  private trackInterfaces(n: N): TrackInterface[] {
    const items = n.children ?? [];
    return this.trackList(n, 'track_interface').map((r, i) => {
      const t = { name: r.name, weight: r.weight ?? 0, reverse: r.reverse };
      if (items[i]) this.at(t, 'name', items[i]);
      return t;
    });
  }

  private trackScripts(n: N): TrackScript[] {
    const items = n.children ?? [];
    return this.trackList(n, 'track_script').map((r, i) => {
      const t = { name: r.name, ...(r.weight !== undefined ? { weight: r.weight } : {}), reverse: r.reverse };
      if (items[i]) this.at(t, 'name', items[i]);
      return t;
    });
  }

  private syncGroup(b: N): VrrpSyncGroup | undefined {
    if (!this.need(b, 1, 'a group name')) return undefined;
    const g: VrrpSyncGroup = { name: b.args[0], file: b.file, line: b.line, group: [], globalTracking: false, syncGroupTrackingWeight: false, trackInterfaces: [], trackScripts: [], trackFiles: [], trackProcesses: [], trackBfds: [], extra: {} };
    for (const n of b.children ?? []) {
      switch (n.keyword) {
        case 'group': for (const c of this.items(n)) g.group.push(c.keyword, ...c.args); break;
        case 'notify_master': g.notifyMaster = this.cmd(n); break;
        case 'notify_backup': g.notifyBackup = this.cmd(n); break;
        case 'notify_fault': g.notifyFault = this.cmd(n); break;
        case 'notify_stop': g.notifyStop = this.cmd(n); break;
        case 'notify': g.notify = this.cmd(n); break;
        case 'smtp_alert': g.smtpAlert = this.bool(n); break;
        case 'global_tracking':
          g.globalTracking = true;
          this.d.warn('E_CONFIG_SYNTAX', n.file, n.line, `(${g.name}) global_tracking is deprecated. Use track_interface/script/file on the sync group`);
          break;
        case 'sync_group_tracking_weight': g.syncGroupTrackingWeight = true; break;
        case 'track_interface': g.trackInterfaces = this.trackInterfaces(n); break;
        case 'track_script': g.trackScripts = this.trackScripts(n); break;
        case 'track_file': g.trackFiles = this.trackList(n, 'track_file'); break;
        case 'track_process': g.trackProcesses = this.trackList(n, 'track_process'); break;
        case 'track_bfd': g.trackBfds = this.trackList(n, 'track_bfd'); break;
        case 'notify_deleted': case 'notify_priority_changes': this.extra(g.extra, n); break;
        default: this.unknown(n, `vrrp_sync_group ${g.name}`);
      }
    }
    return g;
  }

  // ---------- vrrp_instance ----------
  private vrrpInstance(b: N, g: GlobalDefs): VrrpInstance | undefined {
    if (!this.need(b, 1, 'an instance name')) return undefined;
    const name = b.args[0];
    const vi: VrrpInstance = {
      name, file: b.file, line: b.line, state: 'BACKUP', virtualRouterId: 0, priority: 100, advertInt: 1, advertIntCs: 100,
      version: g.vrrpVersion, family: 4, nopreempt: false, preemptDelay: 0, virtualIpaddress: [], virtualIpaddressExcluded: [],
      virtualRoutes: [], virtualRules: [], unicastPeers: [], mcastGroup: g.vrrpMcastGroup4, trackInterfaces: [], trackScripts: [],
      trackFiles: [], trackProcesses: [], trackBfds: [],
      garpMasterDelay: g.vrrpGarpMasterDelay, garpMasterRepeat: g.vrrpGarpMasterRepeat, garpMasterRefresh: g.vrrpGarpMasterRefresh,
      garpMasterRefreshRepeat: g.vrrpGarpMasterRefreshRepeat, garpLowerPrioDelay: g.vrrpGarpLowerPrioDelay ?? g.vrrpGarpMasterDelay,
      garpLowerPrioRepeat: g.vrrpGarpLowerPrioRepeat ?? g.vrrpGarpMasterRepeat, garpInterval: g.vrrpGarpInterval, gnaInterval: g.vrrpGnaInterval,
      vmacXmitBase: false, nativeIpv6: false, accept: !g.vrrpStrict, dontTrackPrimary: false, lowerPrioNoAdvert: g.vrrpLowerPrioNoAdvert,
      higherPrioSendAdvert: g.vrrpHigherPrioSendAdvert, skipCheckAdvAddr: g.vrrpSkipCheckAdvAddr, checkUnicastSrc: g.vrrpCheckUnicastSrc,
      strictMode: g.vrrpStrict, extra: {},
    };
    const P = `(${name})`;
    let versionSet = false;
    let advertLine: N | undefined;
    let acceptSet = false;
    let lowerPrioDelaySet = false;
    let lowerPrioRepeatSet = false;
    const walk = (nodes: N[]): void => {
      for (const n of nodes) {
        switch (n.keyword) {
          case 'state': {
            const s = (n.args[0] ?? '').toUpperCase();
            if (s === 'MASTER' || s === 'BACKUP') vi.configuredState = vi.state = s;
            else this.d.error('E_CONFIG_SYNTAX', n.file, n.line, `state: expected MASTER or BACKUP, got '${n.args[0] ?? ''}'`);
            break;
          }
          case 'interface': if (this.need(n, 1, 'an interface name')) { vi.interface = n.args[0]; this.at(vi, 'interface', n); } break;
          case 'virtual_router_id': { const v = this.int(n, 0, 1, 255); if (v !== undefined) vi.virtualRouterId = v; break; }
          case 'priority': { const v = this.int(n, 0, 1, 255); if (v !== undefined) vi.priority = v; else this.d.error('E_CONFIG_RANGE', n.file, n.line, `${P} Priority not valid! must be between 1 & 255. Using default 100`); break; }
          case 'advert_int': { const v = this.secs(n, 0, 0.01, 255); if (v !== undefined) { vi.advertInt = v; advertLine = n; } break; }
          case 'version': { const v = this.int(n, 0, 2, 3); if (v === 2 || v === 3) { vi.version = v; versionSet = true; } break; }
          case 'authentication':
            for (const c of n.children ?? []) {
              if (c.keyword === 'auth_type') {
                const t = (c.args[0] ?? '').toUpperCase();
                if (t === 'PASS' || t === 'AH') vi.authentication = { type: t, pass: vi.authentication?.pass ?? '' };
                else this.d.error('E_CONFIG_SYNTAX', c.file, c.line, `auth_type: expected PASS or AH, got '${c.args[0] ?? ''}'`);
              } else if (c.keyword === 'auth_pass') {
                let p = c.args[0] ?? '';
                if (p.length > 8) {
                  this.d.warn('E_CONFIG_RANGE', c.file, c.line, `${P} Truncating auth_pass to 8 characters`);
                  p = p.slice(0, 8);
                }
                vi.authentication = { type: vi.authentication?.type ?? 'PASS', pass: p };
              } else this.unknown(c, `${P} authentication`);
            }
            break;
          case 'virtual_ipaddress': for (const c of this.items(n)) { const a = address(this, c); if (a) vi.virtualIpaddress.push(a); } break;
          case 'virtual_ipaddress_excluded': for (const c of this.items(n)) { const a = address(this, c); if (a) vi.virtualIpaddressExcluded.push(a); } break;
          case 'virtual_routes':
            for (const c of this.items(n)) {
              const r = route(this, c);
              if (!r) continue;
              vi.virtualRoutes.push(r);
              if (!r.dev) this.d.warn('E_CONFIG_MISSING', c.file, c.line, `Warning - cannot track route ${r.to} with no interface specified, not tracking`);
            }
            break;
          case 'virtual_rules': for (const c of this.items(n)) { const r = rule(this, c); if (r) vi.virtualRules.push(r); } break;
          case 'track_interface': vi.trackInterfaces.push(...this.trackInterfaces(n)); break;
          case 'track_script': vi.trackScripts.push(...this.trackScripts(n)); break;
          case 'track_file': vi.trackFiles.push(...this.trackList(n, 'track_file')); break;
          case 'track_process': vi.trackProcesses.push(...this.trackList(n, 'track_process')); break;
          case 'track_bfd': vi.trackBfds.push(...this.trackList(n, 'track_bfd')); break;
          case 'unicast_src_ip': { const a = this.ip(n, 0); if (a) vi.unicastSrcIp = a; break; }
          case 'unicast_ttl': vi.unicastTtl = this.int(n, 0, 0, 255); break;
          case 'unicast_peer':
            for (const c of this.items(n)) {
              if (!isIp(c.keyword)) { this.d.error('E_CONFIG_SYNTAX', c.file, c.line, `unicast_peer: invalid address '${c.keyword}'`); continue; }
              const p: UnicastPeer = { address: c.keyword };
              for (let i = 0; i < c.args.length; i += 2) {
                if (c.args[i] === 'min_ttl') p.minTtl = this.int(c, i + 1, 0, 255);
                else if (c.args[i] === 'max_ttl') p.maxTtl = this.int(c, i + 1, 0, 255);
                else this.d.warn('E_CONFIG_SYNTAX', c.file, c.line, `unicast_peer ${c.keyword}: unknown option '${c.args[i]}'`);
              }
              vi.unicastPeers.push(p);
              this.at(p, 'address', c);
            }
            break;
          case 'mcast_src_ip': { const a = this.ip(n, 0); if (a) { vi.mcastSrcIp = a; this.at(vi, 'mcastSrcIp', n); } break; }
          case 'use_vmac': vi.useVmac = n.args[0] ?? ''; break;
          case 'vmac_xmit_base': vi.vmacXmitBase = true; break;
          case 'use_ipvlan': vi.useIpvlan = n.args[0] ?? ''; break;
          case 'native_ipv6': vi.nativeIpv6 = true; break;
          case 'dont_track_primary': vi.dontTrackPrimary = true; break;
          case 'nopreempt': vi.nopreempt = true; break;
          case 'preempt': vi.nopreempt = false; break;
          case 'preempt_delay': vi.preemptDelay = this.secs(n, 0, 0, 1000) ?? 0; break;
          case 'notify_master': vi.notifyMaster = this.cmd(n); break;
          case 'notify_backup': vi.notifyBackup = this.cmd(n); break;
          case 'notify_fault': vi.notifyFault = this.cmd(n); break;
          case 'notify_stop': vi.notifyStop = this.cmd(n); break;
          case 'notify_deleted': vi.notifyDeleted = n.args.length ? this.cmd(n) : undefined; break;
          case 'notify': vi.notify = this.cmd(n); break;
          case 'notify_master_rx_lower_pri': vi.notifyMasterRxLowerPri = this.cmd(n); break;
          case 'smtp_alert': vi.smtpAlert = this.bool(n); break;
          case 'garp_master_delay': vi.garpMasterDelay = this.int(n, 0, 0, 86400) ?? vi.garpMasterDelay; break;
          case 'garp_master_repeat': {
            const r = this.int(n, 0, 0, 65535);
            if (r === 0) this.d.warn('E_CONFIG_RANGE', n.file, n.line, `${P}: garp_master_repeat must be greater than 0, setting to 1`);
            vi.garpMasterRepeat = r === 0 ? 1 : r ?? vi.garpMasterRepeat;
            break;
          }
          case 'garp_master_refresh': vi.garpMasterRefresh = this.int(n, 0, 0, 86400) ?? vi.garpMasterRefresh; break;
          case 'garp_master_refresh_repeat': vi.garpMasterRefreshRepeat = this.int(n, 0, 0, 65535) ?? vi.garpMasterRefreshRepeat; break;
          case 'garp_lower_prio_delay': vi.garpLowerPrioDelay = this.int(n, 0, 0, 86400) ?? vi.garpLowerPrioDelay; lowerPrioDelaySet = true; break;
          case 'garp_lower_prio_repeat': vi.garpLowerPrioRepeat = this.int(n, 0, 0, 65535) ?? vi.garpLowerPrioRepeat; lowerPrioRepeatSet = true; break;
          case 'garp_interval': vi.garpInterval = this.secs(n, 0, 0.000001, 4294.967295) ?? vi.garpInterval; break;
          case 'gna_interval': vi.gnaInterval = this.secs(n, 0, 0.000001, 4294.967295) ?? vi.gnaInterval; break;
          case 'lower_prio_no_advert': vi.lowerPrioNoAdvert = this.bool(n); break;
          case 'higher_prio_send_advert': vi.higherPrioSendAdvert = this.bool(n); break;
          case 'accept': vi.accept = true; acceptSet = true; break;
          case 'no_accept': vi.accept = false; acceptSet = true; break;
          case 'strict_mode': vi.strictMode = this.bool(n); break;
          case 'skip_check_adv_addr': vi.skipCheckAdvAddr = this.bool(n); break;
          case 'check_unicast_src': vi.checkUnicastSrc = true; this.at(vi, 'checkUnicastSrc', n); break;
          case 'debug': if (this.need(n, 1, 'a level 0-4')) vi.debug = this.int(n, 0, 0, 4); break;
          default:
            if (INSTANCE_EXTRA.has(n.keyword)) this.extra(vi.extra, n);
            else this.unknown(n, `vrrp_instance ${name}`);
        }
      }
    };
    walk(b.children ?? []);
    if (!lowerPrioDelaySet && g.vrrpGarpLowerPrioDelay === undefined) vi.garpLowerPrioDelay = vi.garpMasterDelay;
    if (!lowerPrioRepeatSet && g.vrrpGarpLowerPrioRepeat === undefined) vi.garpLowerPrioRepeat = vi.garpMasterRepeat;

    // rules keepalived applies after reading the block (vrrp.c vrrp_complete_instance)
    if (vi.virtualRouterId === 0) {
      this.d.error('E_CONFIG_MISSING', b.file, b.line, `${P} the virtual router id must be set`);
      return undefined;
    }
    if (!vi.interface && vi.unicastPeers.length === 0) this.d.warn('E_CONFIG_MISSING', b.file, b.line, `${P} no interface specified`);
    if ((vi.unicastSrcIp || this.positions.get(vi)?.checkUnicastSrc) && vi.unicastPeers.length === 0) this.d.warn('E_CONFIG_MISSING', b.file, b.line, `${P} A unicast keyword has been specified without any unicast peers. Defaulting to multicast. This usage is deprecated - please update your configuration.`);
    // keepalived 2.2.7: the first address written (a unicast peer or a VIP) sets the instance's family
    if (vi.unicastTtl !== undefined && vi.unicastPeers.length === 0) {
      const end = blockEnd.get(b) ?? b;
      this.d.warn('E_CONFIG_SYNTAX', end.file, end.line, `${P}: Cannot use unicast_ttl without unicast peers - resetting`);
      delete vi.unicastTtl;
    }
    // the first of a unicast peer, mcast_src_ip or VIP written sets the family
    const peer0 = vi.unicastPeers[0];
    const firstAddr = [
      ...(peer0 ? [{ line: this.positions.get(peer0)?.address?.line ?? Infinity, family: isIp(peer0.address) }] : []),
      ...(vi.mcastSrcIp ? [{ line: this.positions.get(vi)?.mcastSrcIp?.line ?? Infinity, family: isIp(vi.mcastSrcIp) }] : []),
    ].sort((x, y) => x.line - y.line)[0];
    const vip0 = vi.virtualIpaddress[0];
    const fromPeer = firstAddr && (!vip0 || (vip0.file === b.file && firstAddr.line < vip0.line));
    const fam = fromPeer ? firstAddr.family : vip0?.family ?? (vi.unicastSrcIp ? isIp(vi.unicastSrcIp) : vi.mcastSrcIp ? isIp(vi.mcastSrcIp) : 4);
    vi.family = (fam || 4) as 4 | 6;
    for (const a of vi.virtualIpaddress) {
      if (a.family === vi.family) continue;
      if (fromPeer) this.d.warn('E_CONFIG_SYNTAX', a.file, a.line, `${P}: address family must match VRRP instance [${a.address}/${a.prefixLen}] - ignoring`);
      else this.d.error('E_CONFIG_SYNTAX', a.file, a.line, `${P} address family of ${a.address} does not match the instance's (IPv${vi.family}) - use virtual_ipaddress_excluded`);
    }
    vi.virtualIpaddress = vi.virtualIpaddress.filter((a) => a.family === vi.family);
    if (fromPeer && vi.virtualIpaddress.length === 0) this.d.warn('E_CONFIG_MISSING', b.file, b.line, `${P} No VIP specified; at least one is required`);
    if (vi.family === 6 && vi.version === 2) {
      if (versionSet) this.d.error('E_CONFIG_SYNTAX', b.file, b.line, `${P} cannot use IPv6 with VRRP version 2; setting version 3`);
      vi.version = 3;
    }
    // keepalived 2.2.7 drops a peer of the other family with a warning at its line
    vi.unicastPeers = vi.unicastPeers.filter((p) => {
      if (isIp(p.address) === vi.family) return true;
      const at = this.positions.get(p)?.address ?? b;
      const first = vi.virtualIpaddress[0];
      this.d.warn('E_CONFIG_SYNTAX', at.file, at.line, `${P}: address family must match VRRP instance [${first ? `${first.address}/${first.prefixLen}` : ''}] - ignoring`);
      return false;
    });
    vi.mcastGroup = vi.family === 6 ? g.vrrpMcastGroup6 : g.vrrpMcastGroup4;
    // advert_int: v2 whole seconds (min 1), v3 centiseconds (1 .. 4095)
    if (vi.version === 2) {
      let s = Math.round(vi.advertInt);
      if (s < 1) s = 1;
      if (s !== vi.advertInt && advertLine) this.d.warn('E_CONFIG_RANGE', advertLine.file, advertLine.line, `${P} Version 2 advert_int must be a whole number of seconds; rounding ${vi.advertInt} to ${s}`);
      vi.advertIntCs = s * 100;
    } else {
      let cs = Math.round(vi.advertInt * 100);
      if (cs < 1) cs = 1;
      if (cs > 4095) {
        if (advertLine) this.d.error('E_CONFIG_RANGE', advertLine.file, advertLine.line, `${P} Version 3 advert_int must be at most 40.95 seconds; using 40.95`);
        cs = 4095;
      }
      if (cs / 100 !== vi.advertInt && advertLine) this.d.warn('E_CONFIG_RANGE', advertLine.file, advertLine.line, `${P} advert_int ${vi.advertInt} rounded to ${cs / 100} (centiseconds)`);
      vi.advertIntCs = cs;
    }
    if (vi.version === 3 && vi.authentication) {
      this.d.warn('E_CONFIG_SYNTAX', b.file, b.line, `${P} VRRPv3 does not support authentication. Ignoring.`);
      delete vi.authentication;
    }
    if (vi.authentication?.type === 'AH' && vi.state === 'MASTER' && vi.priority !== 255) {
      this.d.warn('E_CONFIG_SYNTAX', b.file, b.line, `${P} Initial state master is incompatible with AH authentication - clearing`);
      vi.state = 'BACKUP';
    }
    if (vi.strictMode) {
      const S = (msg: string): void => this.d.error('E_CONFIG_STRICT', b.file, b.line, `${P} ${msg}`);
      if (vi.authentication) { S('Strict mode does not support authentication. Ignoring.'); delete vi.authentication; }
      if (vi.virtualIpaddressExcluded.length) S('Strict mode does not support virtual_ipaddress_excluded');
      if (vi.state === 'MASTER' && vi.priority !== 255) { S('State MASTER must match being address owner'); vi.state = 'BACKUP'; }
      // keepalived 2.2.7 vrrp_complete_instance: VRRPv2 (RFC 3768) has no Accept_Mode; VRRPv3 keeps `accept`
      if (vi.version === 2 && vi.accept && acceptSet && vi.priority !== 255) { S('warning - accept mode for VRRP version 2 does not comply with RFC3768 - resetting'); vi.accept = false; }
      if (vi.version === 2 && vi.advertInt !== Math.round(vi.advertInt)) S('Strict mode requires a whole-second advert_int for VRRPv2');
    }
    if (vi.priority === 255) {
      if (vi.configuredState === 'BACKUP') this.d.warn('E_CONFIG_SYNTAX', b.file, b.line, `${P} Cannot start in BACKUP state as owner; setting MASTER`);
      vi.state = 'MASTER';
    }
    if (vi.nopreempt && (vi.state === 'MASTER' || vi.priority === 255)) {
      this.d.warn('E_CONFIG_SYNTAX', b.file, b.line, `${P} Warning - nopreempt will not work with initial state MASTER - clearing`);
      vi.nopreempt = false;
    }
    if (vi.preemptDelay && (vi.state === 'MASTER' || vi.priority === 255)) {
      this.d.warn('E_CONFIG_SYNTAX', b.file, b.line, `${P} Warning - preempt delay will not work with initial state MASTER - clearing`);
      vi.preemptDelay = 0;
    }
    if (vi.useVmac === '') vi.useVmac = `vrrp.${vi.virtualRouterId}`;
    return vi;
  }

  // ---------- LVS ----------
}
