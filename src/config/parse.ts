/**
 * Statement tree -> typed KeepalivedConfig, applying keepalived's defaults and rules.
 * Unknown keywords are warnings (keepalived carries on); invalid values are errors with a code.
 */
import * as os from 'node:os';
import * as net from 'node:net';
import { Diagnostics } from './errors';
import type {
  Checker, CheckerType, Extra, GenericNode, GlobalDefs, KeepalivedConfig, NotifyCommand, RealServer,
  RouteNexthop, TrackFile, TrackInterface, TrackRef, TrackScript, UnicastPeer, UrlSpec, VirtualAddress, VirtualRoute,
  VirtualRule, VirtualServer, VirtualServerGroup, VrrpInstance, VrrpScript, VrrpSyncGroup, VrrpTrackProcess,
} from './model';
import { tokenize } from './lexer';

type N = GenericNode;

/** Keywords we accept but keep untyped (in `extra`), per block, from keepalived.conf(5). */
const GLOBAL_EXTRA = new Set(('admin bfd_cpu_affinity bfd_process_name bfd_rlimit_rttime bfd_rt_priority checker_cpu_affinity checker_log_all_failures checker_process_name checker_rlimit_rttime checker_rt_priority child_wait_time config_save_dir data_use_instance dbus_service_name default_interface disable_local_igmp enable_dbus enable_snmp_checker enable_snmp_rfc enable_snmp_rfcv2 enable_snmp_rfcv3 enable_snmp_vrrp enable_snmp_keepalived enable_traps fifo_write_vrrp_states_on_reload include_check linkbeat_use_polling log_unknown_vrids lvs_flush_on_stop lvs_netlink_cmd_rcv_bufs lvs_netlink_cmd_rcv_bufs_force lvs_netlink_monitor_rcv_bufs lvs_netlink_monitor_rcv_bufs_force lvs_notify_fifo_script namespace_with_ipsets net_namespace_ipvs nftables nftables_counters nftables_ifindex nftables_ipvs nftables_ipvs_priority nftables_ipvs_start_fwmark nftables_priority no_checker_emails no_email_faults notify_fifo_script process_monitor_rcv_bufs process_monitor_rcv_bufs_force process_name process_names random_seed reload_check_config reload_file reload_repeat reload_time_file rs_init_notifies shutdown_script shutdown_script_timeout smtp_alert smtp_alert_checker smtp_alert_vrrp snmp_socket startup_script startup_script_timeout tmp_config_directory umask use_pid_dir vmac_addr_prefix vmac_prefix vrrp_cpu_affinity vrrp_down_timer_adverts vrrp_garp_extra_if vrrp_ipsets vrrp_iptables vrrp_min_garp vrrp_netlink_cmd_rcv_bufs vrrp_netlink_cmd_rcv_bufs_force vrrp_netlink_monitor_rcv_bufs vrrp_netlink_monitor_rcv_bufs_force vrrp_notify_fifo_script vrrp_notify_priority_changes vrrp_process_name vrrp_rlimit_rttime vrrp_rt_priority vrrp_rx_bufs_multiplier vrrp_rx_bufs_policy lvs_sync_daemon_interface lvs_timeouts_tcp vrrp_mcast_group4_ttl vrrp_garp_lower_prio_repeat_').split(' '));
const INSTANCE_EXTRA = new Set('down_timer_adverts garp_extra_if kernel_rx_buf_size linkbeat_use_polling mcast_dst_ip old_unicast_checksum promote_secondaries track_src_ip unicast_fault_no_peer use_vmac_addr vrf notify_priority_changes lvs_sync_daemon_interface dont_use_vmac_addr'.split(' '));
const VS_EXTRA = new Set('ha_suspend persistence_engine sh mh ip_family snmp_name sorry_server_lvs_method lthreshold uthreshold retry delay_before_retry warmup connect_timeout lvs_method lvs_sched flag-1 flag-2 flag-3 sh-port sh-fallback mh-port mh-fallback'.split(' '));
const RS_EXTRA = new Set('uthreshold lthreshold retry delay_before_retry warmup connect_timeout alpha lvs_method virtualhost snmp_name'.split(' '));
const CHECKER_EXTRA = new Set('log_all_failures http_protocol enable_sni fast_recovery require_reply min_reply_length max_reply_length payload ca certificate key password user'.split(' '));
const URL_EXTRA = new Set('regex_max_offset regex_min_offset regex_options regex_stack'.split(' '));

const TOP_EXTRA = new Set(['bfd_instance', 'garp_group', 'track_group', 'vrrp_garp_group', 'linkbeat_interfaces', 'interface_up_down_delays', 'SSL']);
/** Daemon facilities keepalived.conf(5) lists before global_defs; they are written at the top level. */
const TOP_GLOBAL = new Set(['use_polling', 'old_unicast_checksum', 'use_pid_dir', 'linkbeat_use_polling', 'child_wait_time', 'namespace_with_ipsets', 'net_namespace_ipvs']);

function isIp(s: string): 4 | 6 | 0 {
  return net.isIP(s) as 4 | 6 | 0;
}

/** Splits a script string into argv as keepalived does: whitespace separates, quotes group, escapes. */
export function splitCommand(s: string): string[] {
  return tokenize(s).map((t) => t.text);
}

/** keepalived 2.2.7: the first rule without a preference gets 16384, each further one of the same family one less. */
export const FIRST_DEFAULT_RULE_PRIORITY = 16384;

export class ConfigBuilder {
  constructor(private readonly d: Diagnostics) {}

  /** Rules written without a preference, numbered at the end of build() in file order. */
  private unprioritized: { r: VirtualRule; n: N }[] = [];

  // ---------- value helpers ----------
  private need(n: N, count: number, what: string): boolean {
    if (n.args.length < count) {
      this.d.error('E_CONFIG_SYNTAX', n.file, n.line, `${n.keyword}: expected ${what}`);
      return false;
    }
    return true;
  }

  int(n: N, i: number, min: number, max: number): number | undefined {
    const v = n.args[i];
    if (v === undefined) {
      this.d.error('E_CONFIG_SYNTAX', n.file, n.line, `${n.keyword}: expected an integer in [${min}, ${max}]`);
      return undefined;
    }
    if (!/^[-+]?\d+$/.test(v)) {
      this.d.error('E_CONFIG_SYNTAX', n.file, n.line, `${n.keyword}: expected an integer in [${min}, ${max}], got invalid number '${v}'`);
      return undefined;
    }
    return this.inRange(n, v, min, max);
  }

  /** The number `v` (already syntax-checked) if it lies in [min, max]; else an E_CONFIG_RANGE error. */
  private inRange(n: N, v: string, min: number, max: number): number | undefined {
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
    if (!this.need(n, 1, 'a script (quote it if it has arguments) [username [groupname]]')) return undefined;
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
  }

  extra(e: Extra, n: N): void {
    (e[n.keyword] ??= []).push(n.args);
  }

  /** Children of a block given as list lines (`virtual_ipaddress { ... }`). */
  private items(n: N): N[] {
    if (!n.children) {
      this.d.error('E_CONFIG_SYNTAX', n.file, n.line, `${n.keyword}: expected a '{' block`);
      return [];
    }
    return n.children;
  }

  // ---------- top level ----------
  build(nodes: N[], files: string[]): KeepalivedConfig {
    const cfg: KeepalivedConfig = {
      globalDefs: this.defaultGlobals(),
      vrrpScripts: {}, vrrpSyncGroups: [], vrrpInstances: [], trackFiles: {}, trackProcesses: {},
      virtualServerGroups: {}, virtualServers: [], staticIpaddress: [], staticRoutes: [], staticRules: [],
      linkbeatInterfaces: [], extra: {}, files,
    };
    const instances: N[] = [];
    this.unprioritized = [];
    for (const n of nodes) {
      switch (n.keyword) {
        case 'global_defs': this.globalDefs(n, cfg.globalDefs); break;
        case 'vrrp_script': {
          const s = this.vrrpScript(n);
          if (s) cfg.vrrpScripts[s.name] = s;
          break;
        }
        case 'vrrp_sync_group': { const g = this.syncGroup(n); if (g) cfg.vrrpSyncGroups.push(g); break; }
        case 'vrrp_instance': instances.push(n); break;
        case 'track_file': case 'vrrp_track_file': { const t = this.trackFile(n); if (t) cfg.trackFiles[t.name] = t; break; }
        case 'vrrp_track_process': { const t = this.trackProcess(n); if (t) cfg.trackProcesses[t.name] = t; break; }
        case 'virtual_server_group': { const g = this.vsGroup(n); if (g) cfg.virtualServerGroups[g.name] = g; break; }
        case 'virtual_server': { const v = this.virtualServer(n); if (v) cfg.virtualServers.push(v); break; }
        case 'static_ipaddress': for (const c of this.items(n)) { const a = this.address(c); if (a) cfg.staticIpaddress.push(a); } break;
        case 'static_routes': for (const c of this.items(n)) { const r = this.route(c); if (r) cfg.staticRoutes.push(r); } break;
        case 'static_rules': for (const c of this.items(n)) { const r = this.rule(c); if (r) cfg.staticRules.push(r); } break;
        case 'linkbeat_interfaces': for (const c of this.items(n)) cfg.linkbeatInterfaces.push(c.keyword); (cfg.extra[n.keyword] ??= []).push(n); break;
        case 'net_namespace': cfg.globalDefs.netNamespace = n.args[0]; break;
        case 'instance': cfg.globalDefs.instance = n.args[0]; break;
        default:
          if (TOP_GLOBAL.has(n.keyword)) (cfg.globalDefs.extra[n.keyword] ??= []).push(n.args);
          else if (TOP_EXTRA.has(n.keyword)) (cfg.extra[n.keyword] ??= []).push(n);
          else if (n.children) this.d.error('E_CONFIG_UNKNOWN_BLOCK', n.file, n.line, `Unknown block '${n.keyword}' - ignoring it and its contents`);
          else this.d.warn('E_CONFIG_UNKNOWN_KEYWORD', n.file, n.line, `Unknown keyword '${n.keyword}'`);
      }
    }
    for (const n of instances) {
      const vi = this.vrrpInstance(n, cfg.globalDefs);
      if (vi) cfg.vrrpInstances.push(vi);
    }
    this.numberRules(nodes);
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

  private defaultGlobals(): GlobalDefs {
    return {
      file: '', line: 0, routerId: os.hostname(), notificationEmail: [], smtpConnectTimeout: 30,
      enableScriptSecurity: false, vrrpMcastGroup4: '224.0.0.18', vrrpMcastGroup6: 'ff02::12',
      vrrpGarpMasterDelay: 5, vrrpGarpMasterRepeat: 5, vrrpGarpMasterRefresh: 0, vrrpGarpMasterRefreshRepeat: 1,
      vrrpGarpInterval: 0, vrrpGnaInterval: 0, vrrpLowerPrioNoAdvert: false, vrrpHigherPrioSendAdvert: false,
      vrrpVersion: 2, vrrpStrict: false, vrrpSkipCheckAdvAddr: false, vrrpCheckUnicastSrc: false,
      vrrpNoSwap: false, checkerNoSwap: false, dynamicInterfaces: false, dynamicInterfacesAllowIfDown: false,
      lvsFlush: false, extra: {},
    };
  }

  private globalDefs(b: N, g: GlobalDefs): void {
    g.file = b.file;
    g.line = b.line;
    for (const n of b.children ?? []) {
      const k = n.keyword;
      switch (k) {
        case 'router_id': if (this.need(n, 1, 'a router id')) g.routerId = n.args[0]; break;
        case 'notification_email':
          if (n.children) for (const c of n.children) g.notificationEmail.push(c.keyword, ...c.args);
          else g.notificationEmail.push(...n.args);
          break;
        case 'notification_email_from': if (this.need(n, 1, 'an e-mail address')) g.notificationEmailFrom = n.args[0]; break;
        case 'smtp_server':
          if (this.need(n, 1, 'an address [port]')) {
            g.smtpServer = n.args[0];
            if (n.args[1] !== undefined) g.smtpServerPort = this.int(n, 1, 1, 65535);
          }
          break;
        case 'smtp_helo_name': if (this.need(n, 1, 'a name')) g.smtpHeloName = n.args[0]; break;
        case 'smtp_connect_timeout': g.smtpConnectTimeout = this.secs(n, 0, 0, 3600) ?? g.smtpConnectTimeout; break;
        case 'smtp_starttls': {
          const v = n.args[0] ?? 'opportunistic';
          if (v === 'off' || v === 'opportunistic' || v === 'require') g.smtpStarttls = v;
          else this.d.error('E_CONFIG_SYNTAX', n.file, n.line, `smtp_starttls: expected off|opportunistic|require, got '${v}'`);
          break;
        }
        case 'smtp_tls_ca_file': if (this.need(n, 1, 'a CA file (PEM)')) g.smtpTlsCaFile = n.args[0]; break;
        case 'smtp_auth_user': if (this.need(n, 1, 'a user name')) g.smtpAuthUser = n.args[0]; break;
        case 'smtp_auth_pass': if (this.need(n, 1, 'a password')) g.smtpAuthPass = n.args[0]; break;
        case 'metrics_listen':
          if (!this.need(n, 1, 'ADDR:PORT')) break;
          if (/^(\[[0-9a-fA-F:.]+\]|[^:[\]]*):\d{1,5}$/.test(n.args[0]!) && Number(n.args[0]!.split(':').pop()) <= 65535) g.metricsListen = n.args[0];
          else this.d.error('E_CONFIG_SYNTAX', n.file, n.line, `metrics_listen: expected ADDR:PORT, [ADDR6]:PORT or :PORT, got '${n.args[0]}'`);
          break;
        case 'notify_script_timeout': g.notifyScriptTimeout = this.secs(n, 0, 0, 86400) ?? g.notifyScriptTimeout; break;
        case 'enable_script_security': g.enableScriptSecurity = true; break;
        case 'script_user': if (this.need(n, 1, 'username [groupname]')) { g.scriptUser = n.args[0]; g.scriptGroup = n.args[1]; } break;
        case 'vrrp_mcast_group4': { const a = this.ip(n, 0, 4); if (a) g.vrrpMcastGroup4 = a; break; }
        case 'vrrp_mcast_group6': { const a = this.ip(n, 0, 6); if (a) g.vrrpMcastGroup6 = a; break; }
        case 'vrrp_garp_master_delay': g.vrrpGarpMasterDelay = this.int(n, 0, 0, 86400) ?? g.vrrpGarpMasterDelay; break;
        case 'vrrp_garp_master_repeat': g.vrrpGarpMasterRepeat = this.int(n, 0, 0, 65535) ?? g.vrrpGarpMasterRepeat; break;
        case 'vrrp_garp_master_refresh': g.vrrpGarpMasterRefresh = this.int(n, 0, 0, 86400) ?? g.vrrpGarpMasterRefresh; break;
        case 'vrrp_garp_master_refresh_repeat': g.vrrpGarpMasterRefreshRepeat = this.int(n, 0, 0, 65535) ?? g.vrrpGarpMasterRefreshRepeat; break;
        case 'vrrp_garp_lower_prio_delay': g.vrrpGarpLowerPrioDelay = this.int(n, 0, 0, 86400); break;
        case 'vrrp_garp_lower_prio_repeat': g.vrrpGarpLowerPrioRepeat = this.int(n, 0, 0, 65535); break;
        // keepalived: "vrrp_garp_interval '0' is invalid" (range is 0.000001 .. 4294.967295)
        case 'vrrp_garp_interval': g.vrrpGarpInterval = this.secs(n, 0, 0.000001, 4294.967295) ?? g.vrrpGarpInterval; break;
        case 'vrrp_gna_interval': g.vrrpGnaInterval = this.secs(n, 0, 0.000001, 4294.967295) ?? g.vrrpGnaInterval; break;
        case 'vrrp_lower_prio_no_advert': g.vrrpLowerPrioNoAdvert = this.bool(n); break;
        case 'vrrp_higher_prio_send_advert': g.vrrpHigherPrioSendAdvert = this.bool(n); break;
        case 'vrrp_version': { const v = this.int(n, 0, 2, 3); if (v === 2 || v === 3) g.vrrpVersion = v; break; }
        case 'vrrp_strict': g.vrrpStrict = true; break;
        case 'vrrp_skip_check_adv_addr': g.vrrpSkipCheckAdvAddr = this.bool(n); break;
        case 'vrrp_check_unicast_src': g.vrrpCheckUnicastSrc = true; break;
        case 'vrrp_priority': g.vrrpPriority = this.int(n, 0, -20, 19); break;
        case 'checker_priority': g.checkerPriority = this.int(n, 0, -20, 19); break;
        case 'bfd_priority': g.bfdPriority = this.int(n, 0, -20, 19); break;
        case 'vrrp_no_swap': g.vrrpNoSwap = true; break;
        case 'checker_no_swap': g.checkerNoSwap = true; break;
        case 'bfd_no_swap': (g.extra[k] ??= []).push(n.args); break;
        case 'dynamic_interfaces':
          g.dynamicInterfaces = true;
          g.dynamicInterfacesAllowIfDown = n.args[0] === 'allow_if_changes';
          break;
        case 'lvs_sync_daemon':
          if (this.need(n, 2, 'INTERFACE VRRP_INSTANCE [id ID] ...')) {
            const i = n.args.indexOf('id');
            g.lvsSyncDaemon = { interface: n.args[0], vrrpInstance: n.args[1], extra: n.args.slice(2) };
            if (i >= 0) g.lvsSyncDaemon.syncId = this.int(n, i + 1, 0, 255);
          }
          break;
        case 'lvs_timeouts': {
          const t: { tcp?: number; tcpfin?: number; udp?: number } = {};
          for (let i = 0; i + 1 < n.args.length; i += 2) {
            const key = n.args[i];
            if (key === 'tcp' || key === 'tcpfin' || key === 'udp') t[key] = this.int(n, i + 1, 0, 86400 * 31);
            else this.d.error('E_CONFIG_SYNTAX', n.file, n.line, `lvs_timeouts: expected tcp|tcpfin|udp, got '${key}'`);
          }
          g.lvsTimeouts = t;
          break;
        }
        case 'lvs_flush': g.lvsFlush = true; break;
        case 'net_namespace': g.netNamespace = n.args[0]; break;
        case 'instance': g.instance = n.args[0]; break;
        case 'notify_fifo': case 'vrrp_notify_fifo': case 'lvs_notify_fifo': {
          if (!this.need(n, 1, 'a FIFO path [username [groupname]]')) break;
          const f = { fifo: n.args[0] };
          if (k === 'notify_fifo') g.notifyFifo = f;
          else if (k === 'vrrp_notify_fifo') g.vrrpNotifyFifo = f;
          else g.lvsNotifyFifo = f;
          break;
        }
        case 'vrrp_startup_delay': g.vrrpStartupDelay = this.secs(n, 0, 0, 3600); break;
        case 'max_auto_priority': g.maxAutoPriority = n.args[0] === undefined ? 99 : this.int(n, 0, -1, 99); break;
        case 'min_auto_priority_delay': g.minAutoPriorityDelay = this.int(n, 0, 0, 1_000_000_000); break;
        default:
          if (GLOBAL_EXTRA.has(k)) this.extra(g.extra, n);
          else this.unknown(n, 'global_defs');
      }
    }
    const fifoScripts: [string, 'notifyFifo' | 'vrrpNotifyFifo' | 'lvsNotifyFifo'][] = [['notify_fifo_script', 'notifyFifo'], ['vrrp_notify_fifo_script', 'vrrpNotifyFifo'], ['lvs_notify_fifo_script', 'lvsNotifyFifo']];
    for (const [kw, field] of fifoScripts) {
      const v = g.extra[kw]?.[0];
      const f = g[field];
      if (v && f && v[0]) f.script = { argv: splitCommand(v[0]), raw: v[0], ...(v[1] ? { user: v[1] } : {}), ...(v[2] ? { group: v[2] } : {}) };
    }
  }

  private vrrpScript(b: N): VrrpScript | undefined {
    if (!this.need(b, 1, 'a script name')) return undefined;
    const s: VrrpScript = { name: b.args[0], file: b.file, line: b.line, interval: 1, timeout: 0, weight: 0, weightReverse: false, rise: 1, fall: 1, initFail: false, extra: {} };
    let timeoutSet = false;
    for (const n of b.children ?? []) {
      switch (n.keyword) {
        case 'script': s.script = this.cmd(n); break;
        case 'interval': s.interval = this.secs(n, 0, 0.000001, 4294) ?? s.interval; break;
        case 'timeout': { const t = this.secs(n, 0, 0.000001, 4294); if (t !== undefined) { s.timeout = t; timeoutSet = true; } break; }
        case 'weight':
          s.weight = this.int(n, 0, -253, 253) ?? 0;
          s.weightReverse = n.args[1] === 'reverse';
          break;
        case 'rise': s.rise = this.int(n, 0, 1, 4294967295) ?? s.rise; break;
        case 'fall': s.fall = this.int(n, 0, 1, 4294967295) ?? s.fall; break;
        case 'user': if (this.need(n, 1, 'username [groupname]')) { s.user = n.args[0]; s.group = n.args[1]; } break;
        case 'init_fail': s.initFail = true; break;
        default: this.unknown(n, `vrrp_script ${s.name}`);
      }
    }
    if (!timeoutSet) s.timeout = s.interval;
    if (!s.script) this.d.warn('E_CONFIG_MISSING', b.file, b.line, `No script set for vrrp_script ${s.name} - removing`);
    return s;
  }

  private trackList(n: N, what: string): TrackRef[] {
    const out: TrackRef[] = [];
    for (const c of this.items(n)) {
      const r: TrackRef = { name: c.keyword, reverse: false };
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
    return this.trackList(n, 'track_interface').map((r) => ({ name: r.name, weight: r.weight ?? 0, reverse: r.reverse }));
  }

  private trackScripts(n: N): TrackScript[] {
    return this.trackList(n, 'track_script').map((r) => ({ name: r.name, ...(r.weight !== undefined ? { weight: r.weight } : {}), reverse: r.reverse }));
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
        case 'global_tracking': g.globalTracking = true; break;
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

  /** `<ip>[/<mask>] [brd X] [dev X] [scope X] [label X] [peer X] [nodad] [noprefixroute] ...` */
  address(n: N): VirtualAddress | undefined {
    const words = [n.keyword, ...n.args];
    const raw = words.join(' ');
    const [ip, mask] = words[0].split('/', 2);
    const family = isIp(ip);
    if (!family) {
      this.d.error('E_CONFIG_SYNTAX', n.file, n.line, `VRRP parsed invalid IP ${words[0]}. skipping IP...`);
      return undefined;
    }
    const max = family === 4 ? 32 : 128;
    let prefixLen = max;
    if (mask !== undefined) {
      if (!/^\d+$/.test(mask) || Number(mask) > max) {
        this.d.error('E_CONFIG_RANGE', n.file, n.line, `${words[0]}: prefix length must be in [0, ${max}]`);
        return undefined;
      }
      prefixLen = Number(mask);
    }
    const a: VirtualAddress = { address: ip, prefixLen, family, raw, file: n.file, line: n.line };
    for (let i = 1; i < words.length; i++) {
      const w = words[i];
      const val = (): string | undefined => {
        const v = words[i + 1];
        if (v === undefined) this.d.error('E_CONFIG_SYNTAX', n.file, n.line, `${words[0]}: '${w}' needs a value`);
        i++;
        return v;
      };
      switch (w) {
        case 'brd': case 'broadcast': a.brd = val(); break;
        case 'dev': a.dev = val(); break;
        case 'scope': a.scope = val(); break;
        case 'label': a.label = val(); break;
        case 'peer': a.peer = val(); break;
        case 'preferred_lft': a.preferredLft = val(); break;
        case 'track_group': a.trackGroup = val(); break;
        case 'mngtmpaddr': a.mngtmpaddr = true; break;
        case 'use_vmac': a.useVmac = true; break;
        case 'nodad': case '-nodad': a.nodad = true; break;
        case 'noprefixroute': a.noprefixroute = true; break;
        case 'home': case 'homeaddress': a.homeaddress = true; break;
        case 'autojoin': a.autojoin = true; break;
        case 'track': a.track = true; break;
        case 'no_track': a.noTrack = true; break;
        default: this.d.warn('E_CONFIG_SYNTAX', n.file, n.line, `${words[0]}: unknown address option '${w}' - ignoring`);
      }
    }
    if (a.brd !== undefined && a.brd !== '-' && a.brd !== '+' && !isIp(a.brd)) this.d.error('E_CONFIG_SYNTAX', n.file, n.line, `${words[0]}: brd: expected an address, + or -`);
    return a;
  }

  route(n: N): VirtualRoute | undefined {
    const words = [n.keyword, ...n.args];
    const r: VirtualRoute = { to: '', family: 4, options: {}, raw: words.join(' '), file: n.file, line: n.line };
    const VALUED = new Set(['src', 'via', 'gw', 'or', 'dev', 'table', 'metric', 'priority', 'preference', 'scope', 'track_group', 'vrf', 'proto', 'protocol', 'realms', 'mtu', 'advmss', 'rtt', 'rttvar', 'reordering', 'window', 'cwnd', 'initcwnd', 'initrwnd', 'ssthresh', 'rto_min', 'hoplimit', 'features', 'quickack', 'congctl', 'pref', 'fastopen_no_cookie', 'ttl-propagate', 'tos', 'dsfield', 'nexthop', 'expires', 'encap', 'weight', 'onlink', 'mtu_lock']);
    const TYPES = new Set(['unicast', 'blackhole', 'unreachable', 'prohibit', 'throw', 'local', 'broadcast', 'multicast', 'anycast', 'nat']);
    // metrics may carry 'lock' before their value (ip route: `mtu lock 1400`)
    const LOCKABLE = new Set(['mtu', 'advmss', 'rtt', 'rttvar', 'reordering', 'window', 'cwnd', 'initcwnd', 'initrwnd', 'ssthresh', 'rto_min', 'hoplimit']);
    let nexthop: RouteNexthop | undefined;
    for (let i = 0; i < words.length; i++) {
      const w = words[i];
      if (w === 'to') continue;
      // `nexthop via X [dev Y] [weight N] [onlink]`, repeated: everything after the first one belongs to a nexthop
      if (w === 'nexthop') { nexthop = { options: {} }; (r.nexthops ??= []).push(nexthop); continue; }
      if (nexthop) {
        if (w === 'onlink') { nexthop.onlink = true; continue; }
        const v = words[i + 1];
        i++;
        if (v === undefined) { this.d.error('E_CONFIG_SYNTAX', n.file, n.line, `route: nexthop '${w}' needs a value`); break; }
        if (w === 'via') nexthop.via = v;
        else if (w === 'dev') nexthop.dev = v;
        else if (w === 'weight') nexthop.weight = /^\d+$/.test(v) ? Number(v) : undefined;
        else nexthop.options[w] = v;
        continue;
      }
      if (w === 'inet6') { r.family = 6; continue; }
      if (w === 'append') { r.options[w] = 'true'; continue; }
      if (TYPES.has(w)) { r.type = w; if (w === 'blackhole') r.blackhole = true; continue; }
      if (VALUED.has(w)) {
        let v = words[i + 1];
        i++;
        if (v === 'lock' && LOCKABLE.has(w) && words[i + 1] !== undefined) { i++; v = `lock ${words[i]}`; }
        if (v === undefined) { this.d.error('E_CONFIG_SYNTAX', n.file, n.line, `route: '${w}' needs a value`); break; }
        if (w === 'src') r.src = v;
        else if (w === 'via' || w === 'gw') { r.via = v; if (w === 'gw') this.d.warn('E_CONFIG_SYNTAX', n.file, n.line, '"gw" for routes is deprecated. Please use "via"'); }
        else if (w === 'dev') r.dev = v;
        else if (w === 'table') r.table = v;
        else if (w === 'scope') r.scope = v;
        else if (w === 'metric' || w === 'priority' || w === 'preference') r.metric = /^\d+$/.test(v) ? Number(v) : undefined;
        else r.options[w] = v;
        continue;
      }
      if (['no_track', 'track', 'onlink', 'lock'].includes(w)) { r.options[w] = 'true'; continue; }
      if (!r.to) {
        const ip = w.split('/')[0];
        const f = w === 'default' ? 4 : isIp(ip);
        if (!f) { this.d.error('E_CONFIG_SYNTAX', n.file, n.line, `route: invalid destination '${w}'`); return undefined; }
        r.to = w;
        r.family = f;
        continue;
      }
      this.d.warn('E_CONFIG_SYNTAX', n.file, n.line, `route: unknown option '${w}' - ignoring`);
    }
    if (!r.to) { this.d.error('E_CONFIG_SYNTAX', n.file, n.line, 'route: missing destination'); return undefined; }
    const via = r.via ?? r.nexthops?.find((h) => h.via)?.via;
    if (via && isIp(via)) r.family = isIp(via) as 4 | 6;
    return r;
  }

  rule(n: N): VirtualRule | undefined {
    const words = [n.keyword, ...n.args];
    const r: VirtualRule = { options: {}, raw: words.join(' '), file: n.file, line: n.line };
    for (let i = 0; i < words.length; i++) {
      const w = words[i];
      if (['not', 'no_track', 'track', 'l3mdev'].includes(w)) { r.options[w] = 'true'; continue; }
      if (w === 'inet6') { r.family = 6; continue; }
      if (w === 'inet') { r.family = 4; continue; }
      if (['blackhole', 'prohibit', 'unreachable', 'nop'].includes(w)) { r.options.type = w; continue; }
      const v = words[i + 1];
      i++;
      if (v === undefined) { this.d.error('E_CONFIG_SYNTAX', n.file, n.line, `rule: '${w}' needs a value`); break; }
      if (w === 'from' || w === 'to') {
        if (v !== 'all' && !isIp(v.split('/')[0])) { this.d.error('E_CONFIG_SYNTAX', n.file, n.line, `Invalid rule ${w} address ${v}`); return undefined; }
        r[w] = v;
        if (v !== 'all') r.family = isIp(v.split('/')[0]) as 4 | 6;
      } else if (w === 'table' || w === 'lookup') r.table = v;
      else if (w === 'priority' || w === 'preference' || w === 'pref') r.priority = /^\d+$/.test(v) ? Number(v) : undefined;
      else r.options[w] = v;
    }
    if (r.priority === undefined) this.unprioritized.push({ r, n });
    return r;
  }

  private trackFile(b: N): TrackFile | undefined {
    if (!this.need(b, 1, 'a name')) return undefined;
    const t: TrackFile = { name: b.args[0], file: b.file, line: b.line, weight: 1, weightReverse: false };
    for (const n of b.children ?? []) {
      switch (n.keyword) {
        case 'file': if (this.need(n, 1, 'a path')) t.path = n.args[0]; break;
        case 'weight': t.weight = this.int(n, 0, -254, 254) ?? 1; t.weightReverse = n.args[1] === 'reverse'; break;
        case 'init_file': {
          const v = n.args[0] !== undefined && n.args[0] !== 'overwrite' ? this.int(n, 0, -254, 254) : undefined;
          t.initFile = { overwrite: n.args.includes('overwrite'), ...(v !== undefined ? { value: v } : {}) };
          break;
        }
        default: this.unknown(n, `track_file ${t.name}`);
      }
    }
    if (!t.path) this.d.warn('E_CONFIG_MISSING', b.file, b.line, `No file set for track_file ${t.name} - removing`);
    return t;
  }

  private trackProcess(b: N): VrrpTrackProcess | undefined {
    if (!this.need(b, 1, 'a name')) return undefined;
    const t: VrrpTrackProcess = { name: b.args[0], file: b.file, line: b.line, quorum: 1, weight: 0, weightReverse: false, fullCommand: false, extra: {} };
    for (const n of b.children ?? []) {
      switch (n.keyword) {
        case 'process': if (this.need(n, 1, 'a process name')) { t.process = n.args[0]; if (n.args.length > 1) t.param = n.args.slice(1); } break;
        case 'param_match': t.paramMatch = n.args[0]; break;
        case 'quorum': t.quorum = this.int(n, 0, 1, 65535) ?? 1; break;
        case 'quorum_max': t.quorumMax = this.int(n, 0, 1, 65535); break;
        case 'weight': t.weight = this.int(n, 0, -254, 254) ?? 0; t.weightReverse = n.args[1] === 'reverse'; break;
        case 'delay': t.delay = this.secs(n, 0, 0, 3600); break;
        case 'terminate_delay': t.terminateDelay = this.secs(n, 0, 0, 3600); break;
        case 'fork_delay': t.forkDelay = this.secs(n, 0, 0, 3600); break;
        case 'full_command': t.fullCommand = true; break;
        default: this.unknown(n, `vrrp_track_process ${t.name}`);
      }
    }
    return t;
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
          case 'interface': if (this.need(n, 1, 'an interface name')) vi.interface = n.args[0]; break;
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
          case 'virtual_ipaddress': for (const c of this.items(n)) { const a = this.address(c); if (a) vi.virtualIpaddress.push(a); } break;
          case 'virtual_ipaddress_excluded': for (const c of this.items(n)) { const a = this.address(c); if (a) vi.virtualIpaddressExcluded.push(a); } break;
          case 'virtual_routes': for (const c of this.items(n)) { const r = this.route(c); if (r) vi.virtualRoutes.push(r); } break;
          case 'virtual_rules': for (const c of this.items(n)) { const r = this.rule(c); if (r) vi.virtualRules.push(r); } break;
          case 'track_interface': vi.trackInterfaces.push(...this.trackInterfaces(n)); break;
          case 'track_script': vi.trackScripts.push(...this.trackScripts(n)); break;
          case 'track_file': vi.trackFiles.push(...this.trackList(n, 'track_file')); break;
          case 'track_process': vi.trackProcesses.push(...this.trackList(n, 'track_process')); break;
          case 'track_bfd': vi.trackBfds.push(...this.trackList(n, 'track_bfd')); break;
          case 'unicast_src_ip': { const a = this.ip(n, 0); if (a) vi.unicastSrcIp = a; break; }
          case 'unicast_ttl': vi.unicastTtl = this.int(n, 0, 1, 255); break;
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
            }
            break;
          case 'mcast_src_ip': { const a = this.ip(n, 0); if (a) vi.mcastSrcIp = a; break; }
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
          case 'garp_master_repeat': vi.garpMasterRepeat = this.int(n, 0, 0, 65535) ?? vi.garpMasterRepeat; break;
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
          case 'check_unicast_src': vi.checkUnicastSrc = true; break;
          case 'debug': vi.debug = n.args[0] === undefined ? 1 : this.int(n, 0, 0, 4); break;
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
    const fam = vi.virtualIpaddress[0]?.family ?? (vi.unicastSrcIp ? isIp(vi.unicastSrcIp) : vi.mcastSrcIp ? isIp(vi.mcastSrcIp) : 4);
    vi.family = (fam || 4) as 4 | 6;
    for (const a of vi.virtualIpaddress) {
      if (a.family !== vi.family) this.d.error('E_CONFIG_SYNTAX', a.file, a.line, `${P} address family of ${a.address} does not match the instance's (IPv${vi.family}) - use virtual_ipaddress_excluded`);
    }
    vi.virtualIpaddress = vi.virtualIpaddress.filter((a) => a.family === vi.family);
    if (vi.family === 6 && vi.version === 2) {
      if (versionSet) this.d.error('E_CONFIG_SYNTAX', b.file, b.line, `${P} cannot use IPv6 with VRRP version 2; setting version 3`);
      vi.version = 3;
    }
    for (const p of vi.unicastPeers) if (isIp(p.address) !== vi.family) this.d.error('E_CONFIG_SYNTAX', b.file, b.line, `${P} unicast peer ${p.address} is not IPv${vi.family}`);
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
      if (vi.unicastPeers.length) { S('Unicast peers are not supported in strict mode'); }
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
  private vsGroup(b: N): VirtualServerGroup | undefined {
    if (!this.need(b, 1, 'a group name')) return undefined;
    const g: VirtualServerGroup = { name: b.args[0], file: b.file, line: b.line, members: [] };
    for (const c of b.children ?? []) {
      const raw = [c.keyword, ...c.args].join(' ');
      if (c.keyword === 'fwmark') { const f = this.int(c, 0, 1, 4294967295); if (f !== undefined) g.members.push({ address: '', fwmark: f, raw }); continue; }
      const m = /^(.+?)(?:-(\w+))?$/.exec(c.keyword)!;
      let addr = c.keyword;
      let rangeEnd: string | undefined;
      if (!isIp(addr) && m[2] && isIp(m[1])) { addr = m[1]; rangeEnd = m[2]; }
      if (!isIp(addr.split('/')[0])) { this.d.error('E_CONFIG_SYNTAX', c.file, c.line, `virtual_server_group ${g.name}: invalid address '${c.keyword}'`); continue; }
      const port = c.args[0] !== undefined ? this.int(c, 0, 0, 65535) : undefined;
      g.members.push({ address: addr, ...(rangeEnd ? { rangeEnd } : {}), ...(port !== undefined ? { port } : {}), raw });
    }
    return g;
  }

  private virtualServer(b: N): VirtualServer | undefined {
    const vs: VirtualServer = {
      file: b.file, line: b.line, family: 4, delayLoop: 60, lbAlgo: 'wlc', lbKind: 'NAT', protocol: 'TCP', sorryServerInhibit: false,
      quorum: 1, hysteresis: 0, alpha: false, omega: false, ops: false, inhibitOnFailure: false, realServers: [], extra: {},
    };
    if (b.args[0] === 'fwmark') { vs.fwmark = this.int(b, 1, 1, 4294967295); if (vs.fwmark === undefined) return undefined; }
    else if (b.args[0] === 'group') { if (!this.need(b, 2, 'group NAME')) return undefined; vs.group = b.args[1]; }
    else {
      const f = b.args[0] ? isIp(b.args[0]) : 0;
      if (!f) { this.d.error('E_CONFIG_SYNTAX', b.file, b.line, `virtual_server: expected an IP address, 'fwmark N' or 'group NAME', got '${b.args[0] ?? ''}'`); return undefined; }
      vs.address = b.args[0];
      vs.family = f;
      if (b.args[1] !== undefined) vs.port = this.int(b, 1, 0, 65535);
    }
    const where = `virtual_server ${b.args.join(' ')}`;
    let protocolSet = false;
    for (const n of b.children ?? []) {
      switch (n.keyword) {
        case 'delay_loop': vs.delayLoop = this.secs(n, 0, 0.000001, 4294) ?? vs.delayLoop; break;
        case 'lb_algo': case 'lvs_sched': if (this.need(n, 1, 'a scheduler (rr|wrr|lc|wlc|lblc|sh|mh|dh|fo|ovf|lblcr|sed|nq)')) vs.lbAlgo = n.args[0]; break;
        case 'lb_kind': case 'lvs_method': {
          const k = (n.args[0] ?? '').toUpperCase();
          if (k === 'NAT' || k === 'DR' || k === 'TUN') vs.lbKind = k;
          else this.d.error('E_CONFIG_SYNTAX', n.file, n.line, `${n.keyword}: expected NAT|DR|TUN, got '${n.args[0] ?? ''}'`);
          break;
        }
        case 'protocol': {
          const p = (n.args[0] ?? '').toUpperCase();
          if (p === 'TCP' || p === 'UDP' || p === 'SCTP') { vs.protocol = p; protocolSet = true; }
          else this.d.error('E_CONFIG_SYNTAX', n.file, n.line, `protocol: expected TCP|UDP|SCTP, got '${n.args[0] ?? ''}'`);
          if (vs.fwmark !== undefined) this.d.warn('E_CONFIG_SYNTAX', n.file, n.line, `Warning: Virtual server FWM ${vs.fwmark}: protocol specified for fwmark - protocol will be ignored`);
          break;
        }
        case 'persistence_timeout': vs.persistenceTimeout = n.args[0] === undefined ? 360 : this.int(n, 0, 1, 4294967295); break;
        case 'persistence_granularity': vs.persistenceGranularity = n.args[0]; break;
        case 'virtualhost': vs.virtualhost = n.args[0]; break;
        case 'sorry_server': {
          const a = this.ip(n, 0);
          if (a) vs.sorryServer = { address: a, ...(n.args[1] !== undefined ? { port: this.int(n, 1, 0, 65535) } : {}) };
          break;
        }
        case 'sorry_server_inhibit': vs.sorryServerInhibit = true; break;
        case 'quorum': vs.quorum = this.int(n, 0, 1, 65535) ?? 1; break;
        case 'hysteresis': vs.hysteresis = this.int(n, 0, 0, 65535) ?? 0; break;
        case 'quorum_up': vs.quorumUp = this.cmd(n); break;
        case 'quorum_down': vs.quorumDown = this.cmd(n); break;
        case 'alpha': vs.alpha = true; break;
        case 'omega': vs.omega = true; break;
        case 'ops': vs.ops = true; break;
        case 'inhibit_on_failure': vs.inhibitOnFailure = true; break;
        case 'real_server': { const r = this.realServer(n, vs); if (r) vs.realServers.push(r); break; }
        case 'smtp_alert': this.extra(vs.extra, n); break;
        default:
          if (VS_EXTRA.has(n.keyword)) this.extra(vs.extra, n);
          else this.unknown(n, where);
      }
    }
    if (!protocolSet && vs.fwmark === undefined) {
      // keepalived 2.2.7 (check_data.c): the kernel takes protocol 0 as UDP, so keepalived sets UDP explicitly
      this.d.warn('E_CONFIG_SYNTAX', b.file, b.line, `Virtual server ${where.slice('virtual_server '.length)}: no protocol set - defaulting to UDP`);
      vs.protocol = 'UDP';
    }
    return vs;
  }

  private realServer(b: N, vs: VirtualServer): RealServer | undefined {
    const f = b.args[0] ? isIp(b.args[0]) : 0;
    if (!f) { this.d.error('E_CONFIG_SYNTAX', b.file, b.line, `real_server: expected an IP address, got '${b.args[0] ?? ''}'`); return undefined; }
    const rs: RealServer = { address: b.args[0], file: b.file, line: b.line, weight: 1, inhibitOnFailure: vs.inhibitOnFailure, checkers: [], extra: {} };
    if (b.args[1] !== undefined) rs.port = this.int(b, 1, 0, 65535);
    for (const n of b.children ?? []) {
      switch (n.keyword) {
        case 'weight': rs.weight = this.int(n, 0, 0, 65535) ?? 1; break;
        case 'inhibit_on_failure': rs.inhibitOnFailure = true; break;
        case 'notify_up': rs.notifyUp = this.cmd(n); break;
        case 'notify_down': rs.notifyDown = this.cmd(n); break;
        case 'smtp_alert': rs.smtpAlert = this.bool(n); break;
        case 'delay_loop': rs.delayLoop = this.secs(n, 0, 0.000001, 4294); break;
        case 'TCP_CHECK': case 'HTTP_GET': case 'SSL_GET': case 'SMTP_CHECK': case 'DNS_CHECK': case 'MISC_CHECK':
        case 'UDP_CHECK': case 'PING_CHECK': case 'ICMP_CHECK': case 'FILE_CHECK': case 'BFD_CHECK':
          rs.checkers.push(this.checker(n, n.keyword === 'ICMP_CHECK' ? 'PING_CHECK' : (n.keyword as CheckerType)));
          break;
        default:
          if (RS_EXTRA.has(n.keyword)) this.extra(rs.extra, n);
          else this.unknown(n, `real_server ${b.args.join(' ')}`);
      }
    }
    return rs;
  }

  private checker(b: N, type: CheckerType): Checker {
    const c: Checker = { type, file: b.file, line: b.line, urls: [], hosts: [], extra: {} };
    for (const n of b.children ?? []) {
      switch (n.keyword) {
        case 'connect_ip': c.connectIp = this.ip(n, 0); break;
        case 'connect_port': c.connectPort = this.int(n, 0, 0, 65535); break;
        case 'bindto': c.bindto = this.ip(n, 0); break;
        case 'bind_port': c.bindPort = this.int(n, 0, 0, 65535); break;
        case 'bind_if': c.bindIf = n.args[0]; break;
        case 'connect_timeout': c.connectTimeout = this.secs(n, 0, 0.000001, 4294); break;
        case 'retry': case 'nb_get_retry': case 'nb_sock_retry': c.nbGetRetry = this.int(n, 0, 0, 4294967295); break;
        case 'delay_before_retry': c.delayBeforeRetry = this.secs(n, 0, 0, 4294); break;
        case 'delay_loop': c.delayLoop = this.secs(n, 0, 0.000001, 4294); break;
        case 'warmup': c.warmup = this.secs(n, 0, 0, 4294); break;
        case 'fwmark': c.fwmark = this.int(n, 0, 0, 4294967295); break;
        case 'alpha': c.alpha = this.bool(n); break;
        case 'url': if (type === 'HTTP_GET' || type === 'SSL_GET') c.urls.push(this.url(n)); else this.unknown(n, type); break;
        case 'virtualhost': c.virtualhost = n.args[0]; break;
        case 'sni': case 'enable_sni': c.sni = n.args[0] ?? 'true'; break;
        case 'helo_name': c.heloName = n.args[0]; break;
        case 'host': if (type === 'SMTP_CHECK') c.hosts.push(this.checker(n, type)); else this.unknown(n, type); break;
        case 'misc_path': c.miscPath = this.cmd(n); break;
        case 'misc_timeout': c.miscTimeout = this.secs(n, 0, 0.000001, 4294); break;
        case 'misc_dynamic': c.miscDynamic = true; break;
        case 'type': c.dnsType = n.args[0]; break;
        case 'name': if (type === 'BFD_CHECK') c.bfdName = n.args[0]; else c.dnsName = n.args[0]; break;
        case 'track_file': c.trackFile = n.args[0]; break;
        case 'weight': c.weight = this.int(n, 0, -254, 254); c.weightReverse = n.args[1] === 'reverse'; break;
        default:
          if (CHECKER_EXTRA.has(n.keyword)) this.extra(c.extra, n);
          else this.unknown(n, type);
      }
    }
    if (type === 'MISC_CHECK' && !c.miscPath) this.d.error('E_CONFIG_MISSING', b.file, b.line, 'MISC_CHECK: misc_path is required');
    return c;
  }

  private url(b: N): UrlSpec {
    const u: UrlSpec = { file: b.file, line: b.line, extra: {} };
    for (const n of b.children ?? []) {
      switch (n.keyword) {
        case 'path': u.path = n.args[0]; break;
        case 'digest':
          if (!/^[0-9a-fA-F]{32}$/.test(n.args[0] ?? '')) this.d.error('E_CONFIG_SYNTAX', n.file, n.line, `digest: expected 32 hex digits (MD5), got '${n.args[0] ?? ''}'`);
          else u.digest = n.args[0].toLowerCase();
          break;
        case 'status_code': u.statusCode = n.args.flatMap((a) => a.split(',')).filter((x) => x !== ''); break;
        case 'virtualhost': u.virtualhost = n.args[0]; break;
        case 'regex': u.regex = n.args[0]; break;
        case 'regex_no_match': u.regexNo = true; break;
        default:
          if (URL_EXTRA.has(n.keyword)) this.extra(u.extra, n);
          else this.unknown(n, 'url');
      }
    }
    return u;
  }
}
