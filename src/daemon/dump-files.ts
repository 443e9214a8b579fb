/**
 * keepalived's signal dump files, as pure formatters from a plain view of the running daemon:
 * SIGUSR1 → keepalived.data (vrrp_print_data: global definitions, VRRP topology, socket pool,
 * interfaces), SIGUSR2 / STATS_CLEAR → keepalived.stats (vrrp_print_stats), SIGJSON →
 * keepalived.json (vrrp_json.c). Same line texts and order as keepalived 2.2.7 so the scrapers and
 * monitoring plugins written for it parse ours; our richer state stays on the control socket.
 * Files go to $TMPDIR (absolute) or /tmp, like keepalived's make_tmp_filename.
 */
import * as path from 'node:path';

/** keepalived's vrrp_stats, one instance's. */
export interface DumpStats {
  advertRcvd: number;
  advertSent: number;
  becomeMaster: number;
  releaseMaster: number;
  packetLenErr: number;
  advertIntervalErr: number;
  ipTtlErr: number;
  invalidTypeRcvd: number;
  addrListErr: number;
  invalidAuthtype: number;
  authtypeMismatch: number;
  authFailure: number;
  priZeroRcvd: number;
  priZeroSent: number;
}

export const STATS_KEYS: readonly (keyof DumpStats)[] = [
  'advertRcvd', 'advertSent', 'becomeMaster', 'releaseMaster', 'packetLenErr', 'advertIntervalErr', 'ipTtlErr',
  'invalidTypeRcvd', 'addrListErr', 'invalidAuthtype', 'authtypeMismatch', 'authFailure', 'priZeroRcvd', 'priZeroSent',
];

/** The advert and GARP settings both the global definitions and each instance print. */
export interface DumpAdvertSettings {
  garpDelayS: number;
  garpRepeat: number;
  garpRefreshS: number;
  garpRefreshRepeat: number;
  garpLowerPrioDelayS: number;
  garpLowerPrioRepeat: number;
  downTimerAdverts: number;
  lowerPrioNoAdvert: boolean;
  higherPrioSendAdvert: boolean;
}

export type DumpState = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT' | 'STOP';

export interface DumpInstance extends DumpAdvertSettings {
  name: string;
  version: 2 | 3;
  family: 4 | 6;
  syncGroup?: string;
  state: DumpState;
  wantState: DumpState;
  /** BACKUP: the master's address and priority when known */
  masterAddress: string | null;
  masterPriority: number;
  masterAdverIntS: number;
  unicast: boolean;
  configFaults: number;
  trackerFaults: number;
  scriptsInit: number;
  /** epoch seconds */
  lastTransition: number;
  /** epoch seconds of the next timer, null = disabled */
  readTimeout: number | null;
  masterDownUsec: number;
  ifname: string;
  dontTrackPrimary: boolean;
  skipCheckAdvAddr: boolean;
  strict: boolean;
  vmacIfname: string;
  src: string;
  mcastGroup: string | null;
  vrid: number;
  basePriority: number;
  effectivePriority: number;
  advertIntS: number;
  accept: boolean;
  nopreempt: boolean;
  preemptDelayS: number;
  promoteSecondaries: boolean;
  /** 0 none, 1 PASS, 2 AH */
  authType: number;
  authPass: string | null;
  /** keepalived's format_ipaddress: "192.0.2.100/24 dev eth0 scope global set" */
  vips: string[];
  evips: string[];
  vipSet: boolean;
  unicastPeers: { address: string; minTtl: number; maxTtl: number }[];
  unicastTtl: number;
  checkUnicastSrc: boolean;
  trackInterfaces: { name: string; weight: number }[];
  trackScripts: { name: string; weight: number; command: string }[];
  smtpAlert: boolean;
  notifyDeleted: boolean;
  scripts: Partial<Record<'backup' | 'master' | 'fault' | 'stop' | 'deleted' | 'notify' | 'masterRxLowerPri', string>>;
  stats: DumpStats;
}

export interface DumpSocket {
  ifname: string;
  family: 4 | 6;
  unicast: boolean;
  /** unicast source address */
  address: string | null;
  instances: { name: string; vrid: number }[];
}

export interface DumpInterface {
  name: string;
  index: number;
  ipv4: string | null;
  ipv6: string | null;
  mac: string | null;
  up: boolean;
  running: boolean;
  loopback: boolean;
  mtu: number;
  tracking: { name: string; weight: number }[];
}

export interface DumpGlobal extends DumpAdvertSettings {
  routerId: string;
  defaultInterface: string;
  dynamicInterfaces: boolean;
  lvsFlush: boolean;
  mcastGroup4: string;
  mcastGroup6: string;
  garpIntervalS: number;
  gnaIntervalS: number;
  vrrpVersion: number;
  checkUnicastSrc: boolean;
  skipCheckAdvAddr: boolean;
  strict: boolean;
  maxAutoPriority: number;
  minAutoPriorityDelayUsec: number;
  vrrpPriority: number;
  vrrpNoSwap: boolean;
  checkerPriority: number;
  checkerNoSwap: boolean;
  bfdPriority: number;
  scriptSecurity: boolean;
  scriptUid: number;
  scriptGid: number;
  smtpAlert: boolean | null;
  smtpAlertVrrp: boolean | null;
  smtpAlertChecker: boolean | null;
  /** the process umask */
  umask: number;
}

export interface DumpView {
  global: DumpGlobal;
  instances: DumpInstance[];
  sockets: DumpSocket[];
  interfaces: DumpInterface[];
}

export type DumpKind = 'data' | 'stats' | 'json';

const FILE_NAMES: Record<DumpKind, string> = { data: 'keepalived.data', stats: 'keepalived.stats', json: 'keepalived.json' };

/** Where a dump goes: the option when given, else $TMPDIR/keepalived.* (TMPDIR absolute) or /tmp (keepalived's set_tmp_dir). */
export function dumpPath(kind: DumpKind, option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (option) return option;
  const tmp = env.TMPDIR && env.TMPDIR.startsWith('/') ? env.TMPDIR : '/tmp';
  return path.join(tmp, FILE_NAMES[kind]);
}

/**
 * STATS_CLEAR: keepalived zeroes its counters after printing them. Ours are never reset (the
 * Prometheus counters and the control socket read them); the dumps show them minus a baseline.
 */
export class StatsBaseline {
  private readonly base = new Map<string, DumpStats>();

  since(name: string, raw: DumpStats): DumpStats {
    const b = this.base.get(name);
    if (!b) return raw;
    const out = { ...raw };
    for (const k of STATS_KEYS) out[k] = Math.max(0, raw[k] - b[k]);
    return out;
  }

  clear(name: string, raw: DumpStats): void {
    this.base.set(name, { ...raw });
  }
}

const onOff = (b: boolean, on = 'true', off = 'false'): string => (b ? on : off);
const STATE_NUM: Record<DumpState, number> = { INIT: 0, BACKUP: 1, MASTER: 2, FAULT: 3, STOP: 98 };

/** keepalived's ctime_us_r: "Tue Dec  1 05:26:22.663504 2026" (local time). */
export function ctimeUs(epochS: number): string {
  const d = new Date(Math.floor(epochS * 1000));
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p2 = (n: number): string => String(n).padStart(2, '0');
  const us = String(Math.round((epochS % 1) * 1e6) % 1e6).padStart(6, '0');
  return `${days[d.getDay()]} ${months[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}.${us} ${d.getFullYear()}`;
}

const timeval = (epochS: number): string => `${Math.floor(epochS)}.${String(Math.round((epochS % 1) * 1e6) % 1e6).padStart(6, '0')}`;
const smtpDefault = (v: boolean | null): string => (v === null ? 'unset' : onOff(v));

function globalLines(g: DumpGlobal): string[] {
  return [
    '------< Global definitions >------',
    ' Network namespace = (default)',
    ' Network namespace ipvs = (main namespace)',
    ` Router ID = ${g.routerId}`,
    ` Default smtp_alert = ${smtpDefault(g.smtpAlert)}`,
    ` Default smtp_alert_vrrp = ${smtpDefault(g.smtpAlertVrrp)}`,
    ` Default smtp_alert_checker = ${smtpDefault(g.smtpAlertChecker)}`,
    ' Checkers log all failures = false',
    ' No test config before reload',
    ` Dynamic interfaces = ${onOff(g.dynamicInterfaces)}`,
    ` Default interface = ${g.defaultInterface}`,
    ' Disable local IGMP = no',
    ` LVS flush = ${onOff(g.lvsFlush)}`,
    ' LVS flush on stop = disabled',
    ' FIFO write vrrp states on reload = false',
    ' VRRP notify priority changes = false',
    ` VRRP IPv4 mcast group = ${g.mcastGroup4}`,
    ` VRRP IPv6 mcast group = ${g.mcastGroup6}`,
    ` Gratuitous ARP delay = ${g.garpDelayS}`,
    ` Gratuitous ARP repeat = ${g.garpRepeat}`,
    ` Gratuitous ARP refresh timer = ${g.garpRefreshS}`,
    ` Gratuitous ARP refresh repeat = ${g.garpRefreshRepeat}`,
    ` Gratuitous ARP lower priority delay = ${g.garpLowerPrioDelayS}`,
    ` Gratuitous ARP lower priority repeat = ${g.garpLowerPrioRepeat}`,
    ` Num adverts before down = ${g.downTimerAdverts}`,
    ' Gratuitous ARP for each secondary VMAC = 0s',
    ` Send advert after receive lower priority advert = ${onOff(!g.lowerPrioNoAdvert)}`,
    ` Send advert after receive higher priority advert = ${onOff(g.higherPrioSendAdvert)}`,
    ` Gratuitous ARP interval = ${g.garpIntervalS.toFixed(6)}`,
    ` Gratuitous NA interval = ${g.gnaIntervalS.toFixed(6)}`,
    ` VRRP default protocol version = ${g.vrrpVersion}`,
    ' nftables without counters',
    ' libnftnl version unknown (rules go through the nft command)',
    ` VRRP check unicast_src = ${onOff(g.checkUnicastSrc)}`,
    ` VRRP skip check advert addresses = ${onOff(g.skipCheckAdvAddr)}`,
    ` VRRP strict mode = ${onOff(g.strict)}`,
    ` Max auto priority = ${g.maxAutoPriority}`,
    ` Min auto priority delay = ${g.minAutoPriorityDelayUsec} usecs`,
    ` VRRP process priority = ${g.vrrpPriority}`,
    ` VRRP don't swap = ${onOff(g.vrrpNoSwap)}`,
    ' VRRP realtime priority = 0',
    ' VRRP realtime limit = 10000',
    ` Checker process priority = ${g.checkerPriority}`,
    ` Checker don't swap = ${onOff(g.checkerNoSwap)}`,
    ' Checker realtime priority = 0',
    ' Checker realtime limit = 10000',
    ` BFD process priority = ${g.bfdPriority}`,
    " BFD don't swap = false",
    ' BFD realtime priority = 0',
    ' BFD realtime limit = 10000',
    ' SNMP vrrp disabled',
    ' SNMP checker disabled',
    ' SNMP RFCv2 disabled',
    ' SNMP RFCv3 disabled',
    ' SNMP traps disabled',
    ' SNMP socket = default (unix:/var/agentx/master)',
    ' DBus disabled',
    ' DBus service name = ',
    ` Script security ${g.scriptSecurity ? 'enabled' : 'disabled'}`,
    ` Default script uid:gid ${g.scriptUid}:${g.scriptGid}`,
    ...['vrrp_netlink_cmd', 'vrrp_netlink_monitor', 'process_monitor', 'lvs_netlink_cmd', 'lvs_netlink_monitor'].flatMap((n) => [
      ` ${n}_rcv_bufs = 0`,
      ` ${n}_rcv_bufs_force = 0`,
    ]),
    ' rs_init_notifies = 0',
    ' no_checker_emails = 0',
    ' rx_bufs_multiples = 3',
    ` umask = 0${(g.umask & 0o777).toString(8).padStart(3, '0')}`,
  ];
}

function instanceLines(v: DumpInstance): string[] {
  const out = [` VRRP Instance = ${v.name}`, `   VRRP Version = ${v.version}`];
  if (v.syncGroup) out.push(`   Sync group = ${v.syncGroup}`);
  if (v.family === 6) out.push('   Using Native IPv6');
  out.push(`   State = ${v.state}`);
  if (v.state === 'BACKUP') {
    out.push(`   Master router = ${v.masterAddress ?? '(none)'}`, `   Master priority = ${v.masterPriority}`);
    if (v.version === 3) out.push(`   Master advert int = ${v.masterAdverIntS.toFixed(2)} sec`);
  }
  if (v.unicast) out.push('   Flags:', '     Using unicast');
  else out.push('   Flags: none');
  out.push(
    `   Wantstate = ${v.wantState}`,
    `   Number of config faults = ${v.configFaults}`,
    `   Number of interface and track script faults = ${v.trackerFaults}`,
    `   Number of track scripts init = ${v.scriptsInit}`,
    `   Last transition = ${timeval(v.lastTransition)} (${ctimeUs(v.lastTransition)})`,
    v.readTimeout === null ? '   Read timeout = DISABLED' : `   Read timeout = ${timeval(v.readTimeout)} (${ctimeUs(v.readTimeout)})`,
    `   Master down timer = ${v.masterDownUsec} usecs`,
    `   Interface = ${v.ifname || 'not configured'}`,
  );
  if (v.dontTrackPrimary) out.push('   VRRP interface tracking disabled');
  if (v.skipCheckAdvAddr) out.push('   Skip checking advert IP addresses');
  if (v.strict) out.push('   Enforcing strict VRRP compliance');
  out.push(`   Using src_ip = ${v.src}`);
  if (v.mcastGroup) out.push(`   Multicast address ${v.mcastGroup}`);
  out.push(
    `   Gratuitous ARP delay = ${v.garpDelayS}`,
    `   Gratuitous ARP repeat = ${v.garpRepeat}`,
    `   Gratuitous ARP refresh = ${v.garpRefreshS}`,
    `   Gratuitous ARP refresh repeat = ${v.garpRefreshRepeat}`,
    `   Gratuitous ARP lower priority delay = ${v.garpLowerPrioDelayS}`,
    `   Gratuitous ARP lower priority repeat = ${v.garpLowerPrioRepeat}`,
    `   Down timer adverts = ${v.downTimerAdverts}`,
    `   Send advert after receive lower priority advert = ${onOff(!v.lowerPrioNoAdvert)}`,
    `   Send advert after receive higher priority advert = ${onOff(v.higherPrioSendAdvert)}`,
    `   Virtual Router ID = ${v.vrid}`,
    `   Priority = ${v.basePriority}`,
    `   Effective priority = ${v.effectivePriority}`,
    `   Total priority = ${v.effectivePriority}`,
    v.version === 2 ? `   Advert interval = ${v.advertIntS} sec` : `   Advert interval = ${Math.round(v.advertIntS * 1000)} milli-sec`,
  );
  if (v.state === 'BACKUP' && v.version === 3) out.push(`   Master advert interval = ${Math.round(v.masterAdverIntS * 1000)} milli-sec`);
  out.push(`   Accept = ${v.accept ? 'enabled' : 'disabled'}`, `   Preempt = ${v.nopreempt ? 'disabled' : 'enabled'}`);
  if (v.preemptDelayS) out.push(`   Preempt delay = ${v.preemptDelayS} secs`);
  out.push(`   Promote_secondaries = ${v.promoteSecondaries ? 'enabled' : 'disabled'}`);
  if (v.authType) {
    out.push(`   Authentication type = ${v.authType === 2 ? 'IPSEC_AH' : 'SIMPLE_PASSWORD'}`);
    if (v.authType !== 2) out.push(`   Password = ${v.authPass ?? ''}`);
  } else if (v.version === 2) out.push('   Authentication type = none');
  if (v.vips.length > 0) out.push(`   Virtual IP (${v.vips.length}):`, ...v.vips.map((a) => `     ${a}`));
  if (v.evips.length > 0) out.push('   Virtual IP Excluded :', ...v.evips.map((a) => `     ${a}`));
  if (v.unicast) {
    out.push(
      `   Unicast TTL = ${v.unicastTtl}`,
      `   Check unicast src : ${v.checkUnicastSrc ? 'yes' : 'no'}`,
      '   Unicast Peer :',
      ...v.unicastPeers.map((p) => `     ${p.address} min_ttl ${p.minTtl} max_ttl ${p.maxTtl}`),
      '   Unicast checksum compatibility = no',
    );
  }
  // our sockets are raw-socket's: their descriptors are not ours to print
  out.push('   fd_in -1, fd_out -1');
  if (v.trackInterfaces.length > 0) out.push('   Tracked interfaces :', ...v.trackInterfaces.map((t) => `     ${t.name} weight ${t.weight}`));
  if (v.trackScripts.length > 0) out.push('   Tracked scripts :', ...v.trackScripts.map((t) => `     ${t.name} weight ${t.weight}`));
  out.push(`   Using smtp notification = ${v.smtpAlert ? 'yes' : 'no'}`);
  const scripts: [keyof DumpInstance['scripts'], string][] = [
    ['backup', 'Backup state transition script'], ['master', 'Master state transition script'],
    ['fault', 'Fault state transition script'], ['stop', 'Stop state transition script'],
    ['deleted', 'Deleted transition script'], ['notify', 'Generic state transition script'],
    ['masterRxLowerPri', 'Master receive lower priority script'],
  ];
  for (const [k, label] of scripts) if (v.scripts[k]) out.push(`   ${label} = ${v.scripts[k]}, uid:gid 0:0`);
  out.push(`   Notify deleted = ${v.notifyDeleted ? 'Deleted' : 'Fault'}`, '   Notify priority changes = false');
  return out;
}

function socketLines(s: DumpSocket): string[] {
  return [
    ' fd_in -1 fd_out = -1',
    `   Interface = ${s.ifname}`,
    `   Family = IPv${s.family}`,
    '   Protocol = VRRP',
    `   Type = ${s.unicast ? 'Unicast' : 'Multicast'}`,
    ...(s.address ? [`   Address = ${s.address}`] : []),
    '   Rx buf size = 0',
    '   VRRP instances',
    ...s.instances.map((i) => `     ${i.name} vrid ${i.vrid}`),
  ];
}

function interfaceLines(i: DumpInterface): string[] {
  const flags = [i.up ? 'UP' : 'DOWN', ...(i.running ? ['RUNNING'] : []), ...(i.loopback ? ['no broadcast', 'loopback', 'no multicast'] : [])];
  const out = [` Name = ${i.name}`, `   index = ${i.index}`, `   IPv4 address = ${i.ipv4 ?? '(none)'}`, `   IPv6 address = ${i.ipv6 ?? '(none)'}`];
  if (!i.loopback && i.mac) out.push(`   MAC = ${i.mac}`, '   MAC broadcast = ff:ff:ff:ff:ff:ff');
  out.push(
    `   State = ${flags.join(', ')}`,
    `   Seen up = ${i.up && i.running ? 1 : 0}`,
    '   Delayed state change running = false',
    '   Up debounce timer = 0us',
    '   Down debounce timer = 0us',
    `   MTU = ${i.mtu}`,
    `   HW Type = ${i.loopback ? 'LOOPBACK' : 'ETHERNET'}`,
    '   NIC netlink status update',
    '   Reset ARP config counter 0',
    '   Original arp_ignore 0',
    '   Original arp_filter 0',
    '   Original promote_secondaries 0',
    '   Reset promote_secondaries counter 0',
  );
  if (i.tracking.length > 0) out.push('   Tracking VRRP instances :', ...i.tracking.map((t) => `     ${t.name}, weight ${t.weight}`));
  return out;
}

/** SIGUSR1: keepalived.data (keepalived's dump_data_vrrp layout). */
export function formatData(view: DumpView): string {
  const lines = [
    ...globalLines(view.global),
    '------< VRRP Topology >------',
    ...view.instances.flatMap(instanceLines),
    '------< VRRP Sockpool >------',
    ...view.sockets.flatMap(socketLines),
    '------< Interfaces >------',
    ...view.interfaces.flatMap(interfaceLines),
  ];
  return lines.join('\n') + '\n';
}

/** SIGUSR2 / STATS_CLEAR: keepalived.stats (vrrp_print_stats), counters as given (baseline applied by the caller). */
export function formatStats(instances: readonly Pick<DumpInstance, 'name' | 'stats'>[]): string {
  const out: string[] = [];
  for (const { name, stats: s } of instances) {
    out.push(
      `VRRP Instance: ${name}`,
      '  Advertisements:',
      `    Received: ${s.advertRcvd}`,
      `    Sent: ${s.advertSent}`,
      `  Became master: ${s.becomeMaster}`,
      `  Released master: ${s.releaseMaster}`,
      '  Packet Errors:',
      `    Length: ${s.packetLenErr}`,
      `    TTL: ${s.ipTtlErr}`,
      `    Invalid Type: ${s.invalidTypeRcvd}`,
      `    Advertisement Interval: ${s.advertIntervalErr}`,
      `    Address List: ${s.addrListErr}`,
      '  Authentication Errors:',
      `    Invalid Type: ${s.invalidAuthtype}`,
      `    Type Mismatch: ${s.authtypeMismatch}`,
      `    Failure: ${s.authFailure}`,
      '  Priority Zero:',
      `    Received: ${s.priZeroRcvd}`,
      `    Sent: ${s.priZeroSent}`,
    );
  }
  return out.length ? out.join('\n') + '\n' : '';
}

/** SIGJSON: keepalived.json (vrrp_json_dump): an array of { data, stats } in keepalived's key order and types. */
export function formatJson(instances: readonly DumpInstance[]): string {
  const arr = instances.map((v) => {
    const data: Record<string, unknown> = {
      iname: v.name,
      dont_track_primary: v.dontTrackPrimary ? 1 : 0,
      skip_check_adv_addr: v.skipCheckAdvAddr ? 1 : 0,
      strict_mode: v.strict ? 1 : 0,
      vmac_ifname: v.vmacIfname,
      ifp_ifname: v.ifname,
      master_priority: v.masterPriority,
      last_transition: Math.round(v.lastTransition * 1e6) / 1e6, // keepalived's %f
      garp_delay: v.garpDelayS,
      garp_refresh: v.garpRefreshS,
      garp_rep: v.garpRepeat,
      garp_refresh_rep: v.garpRefreshRepeat,
      garp_lower_prio_delay: v.garpLowerPrioDelayS,
      garp_lower_prio_rep: v.garpLowerPrioRepeat,
      lower_prio_no_advert: v.lowerPrioNoAdvert ? 1 : 0,
      higher_prio_send_advert: v.higherPrioSendAdvert ? 1 : 0,
      vrid: v.vrid,
      base_priority: v.basePriority,
      effective_priority: v.effectivePriority,
      vipset: v.vipSet,
      promote_secondaries: v.promoteSecondaries,
      adver_int: v.advertIntS,
      master_adver_int: v.masterAdverIntS,
      accept: v.accept ? 1 : 0,
      nopreempt: v.nopreempt,
      preempt_delay: v.preemptDelayS,
      state: STATE_NUM[v.state],
      wantstate: STATE_NUM[v.wantState],
      version: v.version,
      smtp_alert: v.smtpAlert,
      notify_deleted: v.notifyDeleted,
    };
    const scripts: [keyof DumpInstance['scripts'], string][] = [
      ['backup', 'script_backup'], ['master', 'script_master'], ['fault', 'script_fault'], ['stop', 'script_stop'],
      ['deleted', 'script_deleted'], ['notify', 'script'], ['masterRxLowerPri', 'script_master_rx_lower_pri'],
    ];
    for (const [k, key] of scripts) if (v.scripts[k]) data[key] = v.scripts[k];
    if (v.vips.length) data.vips = v.vips;
    if (v.evips.length) data.evips = v.evips;
    if (v.trackInterfaces.length) data.track_ifp = v.trackInterfaces.map((t) => t.name);
    if (v.trackScripts.length) data.track_script = v.trackScripts.map((t) => t.command);
    data.auth_type = v.authType;
    if (v.authType) data.auth_data = v.authPass ?? '';
    const s = v.stats;
    const stats = {
      advert_rcvd: s.advertRcvd, advert_sent: s.advertSent, become_master: s.becomeMaster, release_master: s.releaseMaster,
      packet_len_err: s.packetLenErr, advert_interval_err: s.advertIntervalErr, ip_ttl_err: s.ipTtlErr,
      invalid_type_rcvd: s.invalidTypeRcvd, addr_list_err: s.addrListErr, invalid_authtype: s.invalidAuthtype,
      authtype_mismatch: s.authtypeMismatch, auth_failure: s.authFailure, pri_zero_rcvd: s.priZeroRcvd, pri_zero_sent: s.priZeroSent,
    };
    return { data, stats };
  });
  return JSON.stringify(arr, null, 4) + '\n';
}
