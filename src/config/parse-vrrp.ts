/**
 * Statement tree -> typed KeepalivedConfig: vrrp_script, vrrp_sync_group, vrrp_instance, track_file,
 * vrrp_track_process and the address / route / rule lines (see parse-base.ts for the builder chain).
 */
import type {
  GlobalDefs, RouteNexthop, TrackFile, TrackInterface, TrackRef, TrackScript, UnicastPeer,
  VirtualAddress, VirtualRoute, VirtualRule, VrrpInstance, VrrpScript, VrrpSyncGroup, VrrpTrackProcess,
} from './model';
import { isIp, type N } from './parse-base';
import { GlobalDefsBuilder } from './parse-global';

/** Keywords we accept but keep untyped (in `extra`), per block, from keepalived.conf(5). */
const INSTANCE_EXTRA = new Set('down_timer_adverts garp_extra_if kernel_rx_buf_size linkbeat_use_polling mcast_dst_ip old_unicast_checksum promote_secondaries track_src_ip unicast_fault_no_peer use_vmac_addr vrf notify_priority_changes lvs_sync_daemon_interface dont_use_vmac_addr'.split(' '));

export class VrrpBuilder extends GlobalDefsBuilder {
  protected vrrpScript(b: N): VrrpScript | undefined {
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

  protected trackList(n: N, what: string): TrackRef[] {
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

  protected trackInterfaces(n: N): TrackInterface[] {
    return this.trackList(n, 'track_interface').map((r) => ({ name: r.name, weight: r.weight ?? 0, reverse: r.reverse }));
  }

  protected trackScripts(n: N): TrackScript[] {
    return this.trackList(n, 'track_script').map((r) => ({ name: r.name, ...(r.weight !== undefined ? { weight: r.weight } : {}), reverse: r.reverse }));
  }

  protected syncGroup(b: N): VrrpSyncGroup | undefined {
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

  protected trackFile(b: N): TrackFile | undefined {
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

  protected trackProcess(b: N): VrrpTrackProcess | undefined {
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
  protected vrrpInstance(b: N, g: GlobalDefs): VrrpInstance | undefined {
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
}
