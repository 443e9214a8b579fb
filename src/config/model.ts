/**
 * Typed model of keepalived.conf(5). Names are the camelCase of keepalived's keywords.
 * Every block object carries `file` and `line` (where its keyword was written).
 * Durations are seconds as the user wrote them; normalized fields (e.g. `advertIntCs`) are added
 * where a consumer needs them. Addresses are strings. Keywords we recognise but do not type yet are
 * kept in `extra` (keyword -> list of argument vectors, in order).
 */

export interface Located {
  file: string;
  line: number;
}

/** Keywords recognised but kept untyped: keyword -> one argv per occurrence. */
export type Extra = Record<string, string[][]>;

/** A script command split into argv exactly as keepalived does (quotes, backslashes, no shell). */
export interface NotifyCommand {
  argv: string[];
  user?: string;
  group?: string;
  /** The command as written, before splitting. */
  raw: string;
}

export interface GlobalDefs extends Located {
  routerId: string;
  notificationEmail: string[];
  notificationEmailFrom?: string;
  smtpServer?: string;
  smtpServerPort?: number;
  smtpHeloName?: string;
  smtpConnectTimeout: number;
  /** keepalived-ts extension: STARTTLS use ('off' like keepalived, 'opportunistic', 'require') */
  smtpStarttls?: 'off' | 'opportunistic' | 'require';
  /** keepalived-ts extension: PEM CA file trusted for the SMTP server's certificate (default: system CAs) */
  smtpTlsCaFile?: string;
  /** keepalived-ts extension: SMTP AUTH credentials */
  smtpAuthUser?: string;
  smtpAuthPass?: string;
  /** keepalived-ts extension: seconds after which a notify script (other than STOP) is killed; 0 = never */
  notifyScriptTimeout?: number;
  /** keepalived-ts extension: ADDR:PORT of the metrics / health / status HTTP listener (config/README.md) */
  metricsListen?: string;
  enableScriptSecurity: boolean;
  scriptUser?: string;
  scriptGroup?: string;
  /** vrrp_mcast_group4 / vrrp_mcast_group6 */
  vrrpMcastGroup4: string;
  vrrpMcastGroup6: string;
  vrrpGarpMasterDelay: number;
  vrrpGarpMasterRepeat: number;
  vrrpGarpMasterRefresh: number;
  vrrpGarpMasterRefreshRepeat: number;
  vrrpGarpLowerPrioDelay?: number;
  vrrpGarpLowerPrioRepeat?: number;
  vrrpGarpInterval: number;
  vrrpGnaInterval: number;
  vrrpLowerPrioNoAdvert: boolean;
  vrrpHigherPrioSendAdvert: boolean;
  vrrpVersion: 2 | 3;
  vrrpStrict: boolean;
  vrrpSkipCheckAdvAddr: boolean;
  vrrpCheckUnicastSrc: boolean;
  vrrpPriority?: number;
  checkerPriority?: number;
  bfdPriority?: number;
  vrrpNoSwap: boolean;
  checkerNoSwap: boolean;
  dynamicInterfaces: boolean;
  dynamicInterfacesAllowIfDown: boolean;
  lvsSyncDaemon?: { interface: string; vrrpInstance: string; syncId?: number; extra: string[] };
  lvsTimeouts?: { tcp?: number; tcpfin?: number; udp?: number };
  lvsFlush: boolean;
  netNamespace?: string;
  instance?: string;
  notifyFifo?: NotifyCommandFifo;
  vrrpNotifyFifo?: NotifyCommandFifo;
  lvsNotifyFifo?: NotifyCommandFifo;
  vrrpStartupDelay?: number;
  maxAutoPriority?: number;
  minAutoPriorityDelay?: number;
  extra: Extra;
}

export interface NotifyCommandFifo {
  fifo: string;
  script?: NotifyCommand;
}

export interface VrrpScript extends Located {
  name: string;
  script?: NotifyCommand;
  /** seconds, default 1 */
  interval: number;
  /** seconds; keepalived default: interval */
  timeout: number;
  weight: number;
  weightReverse: boolean;
  rise: number;
  fall: number;
  user?: string;
  group?: string;
  initFail: boolean;
  extra: Extra;
}

export interface VrrpSyncGroup extends Located {
  name: string;
  group: string[];
  notifyMaster?: NotifyCommand;
  notifyBackup?: NotifyCommand;
  notifyFault?: NotifyCommand;
  notifyStop?: NotifyCommand;
  notify?: NotifyCommand;
  smtpAlert?: boolean;
  globalTracking: boolean;
  syncGroupTrackingWeight: boolean;
  trackInterfaces: TrackInterface[];
  trackScripts: TrackScript[];
  trackFiles: TrackRef[];
  trackProcesses: TrackRef[];
  trackBfds: TrackRef[];
  extra: Extra;
}

export interface VirtualAddress {
  address: string;
  prefixLen: number;
  family: 4 | 6;
  /** broadcast/brd */
  brd?: string;
  dev?: string;
  scope?: string;
  label?: string;
  peer?: string;
  nodad?: boolean;
  noprefixroute?: boolean;
  homeaddress?: boolean;
  autojoin?: boolean;
  track?: boolean;
  noTrack?: boolean;
  preferredLft?: string;
  /** static addresses: the track_group whose instances follow this address */
  trackGroup?: string;
  mngtmpaddr?: boolean;
  /** use_vmac on a single VIP */
  useVmac?: boolean;
  /** the address line as written */
  raw: string;
  file: string;
  line: number;
}

export interface VirtualRoute extends Located {
  /** destination prefix as written (or 'default'), with src if given */
  to: string;
  family: 4 | 6;
  src?: string;
  via?: string;
  dev?: string;
  table?: string;
  metric?: number;
  scope?: string;
  type?: string;
  blackhole?: boolean;
  /** multipath: `nexthop via X dev Y weight N onlink ...`, in order */
  nexthops?: RouteNexthop[];
  /** all further options, keyword -> value */
  options: Record<string, string>;
  raw: string;
}

export interface RouteNexthop {
  via?: string;
  dev?: string;
  weight?: number;
  onlink?: boolean;
  options: Record<string, string>;
}

export interface VirtualRule extends Located {
  from?: string;
  to?: string;
  table?: string;
  priority?: number;
  family?: 4 | 6;
  options: Record<string, string>;
  raw: string;
}

export interface TrackInterface {
  name: string;
  weight: number;
  reverse: boolean;
}

export interface TrackScript {
  name: string;
  /** absent: use the script's own weight */
  weight?: number;
  reverse: boolean;
}

export interface TrackRef {
  name: string;
  weight?: number;
  reverse: boolean;
}

export interface UnicastPeer {
  address: string;
  minTtl?: number;
  maxTtl?: number;
}

export interface VrrpInstance extends Located {
  name: string;
  /** effective initial state after keepalived's rules (255 => MASTER) */
  state: 'MASTER' | 'BACKUP';
  /** state as written (may be undefined) */
  configuredState?: 'MASTER' | 'BACKUP';
  interface?: string;
  virtualRouterId: number;
  priority: number;
  /** seconds as written */
  advertInt: number;
  /** normalized: centiseconds (v3) or whole seconds * 100 (v2, min 1 s) */
  advertIntCs: number;
  version: 2 | 3;
  family: 4 | 6;
  nopreempt: boolean;
  /** seconds */
  preemptDelay: number;
  authentication?: { type: 'PASS' | 'AH'; pass: string };
  virtualIpaddress: VirtualAddress[];
  virtualIpaddressExcluded: VirtualAddress[];
  virtualRoutes: VirtualRoute[];
  virtualRules: VirtualRule[];
  unicastSrcIp?: string;
  unicastPeers: UnicastPeer[];
  unicastTtl?: number;
  mcastSrcIp?: string;
  /** the group this instance advertises to (multicast), resolved against globals */
  mcastGroup: string;
  trackInterfaces: TrackInterface[];
  trackScripts: TrackScript[];
  trackFiles: TrackRef[];
  trackProcesses: TrackRef[];
  trackBfds: TrackRef[];
  notifyMaster?: NotifyCommand;
  notifyBackup?: NotifyCommand;
  notifyFault?: NotifyCommand;
  notifyStop?: NotifyCommand;
  notifyDeleted?: NotifyCommand;
  notify?: NotifyCommand;
  notifyMasterRxLowerPri?: NotifyCommand;
  smtpAlert?: boolean;
  /** seconds; resolved against global vrrp_garp_master_delay (default 5) */
  garpMasterDelay: number;
  garpMasterRepeat: number;
  garpMasterRefresh: number;
  garpMasterRefreshRepeat: number;
  garpLowerPrioDelay: number;
  garpLowerPrioRepeat: number;
  /** seconds between GARPs / NAs (0 = back to back) */
  garpInterval: number;
  gnaInterval: number;
  /** undefined: no VMAC; string: interface name (default vrrp.<vrid>) */
  useVmac?: string;
  vmacXmitBase: boolean;
  useIpvlan?: string;
  nativeIpv6: boolean;
  accept: boolean;
  dontTrackPrimary: boolean;
  lowerPrioNoAdvert: boolean;
  higherPrioSendAdvert: boolean;
  skipCheckAdvAddr: boolean;
  checkUnicastSrc: boolean;
  strictMode: boolean;
  debug?: number;
  syncGroup?: string;
  extra: Extra;
}

export interface TrackFile extends Located {
  name: string;
  /** the tracked file (keyword `file`; `file` itself is the config location) */
  path?: string;
  weight: number;
  weightReverse: boolean;
  initFile?: { value?: number; overwrite: boolean };
}

export interface VrrpTrackProcess extends Located {
  name: string;
  process?: string;
  param?: string[];
  paramMatch?: string;
  quorum: number;
  quorumMax?: number;
  weight: number;
  weightReverse: boolean;
  delay?: number;
  terminateDelay?: number;
  forkDelay?: number;
  fullCommand: boolean;
  extra: Extra;
}

export interface VirtualServerGroup extends Located {
  name: string;
  /** "ip port" or "ip-range port" entries, as written */
  members: { address: string; rangeEnd?: string; port?: number; fwmark?: number; raw: string }[];
}

export type CheckerType =
  | 'TCP_CHECK' | 'HTTP_GET' | 'SSL_GET' | 'SMTP_CHECK' | 'DNS_CHECK' | 'MISC_CHECK'
  | 'UDP_CHECK' | 'PING_CHECK' | 'FILE_CHECK' | 'BFD_CHECK';

export interface UrlSpec extends Located {
  path?: string;
  digest?: string;
  statusCode?: string[];
  virtualhost?: string;
  regex?: string;
  regexNo?: boolean;
  extra: Extra;
}

export interface Checker extends Located {
  type: CheckerType;
  connectIp?: string;
  connectPort?: number;
  bindto?: string;
  bindPort?: number;
  bindIf?: string;
  connectTimeout?: number;
  /** alias retry */
  nbGetRetry?: number;
  delayBeforeRetry?: number;
  delayLoop?: number;
  warmup?: number;
  fwmark?: number;
  alpha?: boolean;
  /** HTTP_GET / SSL_GET */
  urls: UrlSpec[];
  virtualhost?: string;
  sni?: string;
  /** SMTP_CHECK */
  heloName?: string;
  /** MISC_CHECK */
  miscPath?: NotifyCommand;
  miscTimeout?: number;
  miscDynamic?: boolean;
  /** DNS_CHECK type (default SOA) and name (default .) */
  dnsType?: string;
  dnsName?: string;
  /** FILE_CHECK: the track_file it follows; BFD_CHECK: the bfd instance name */
  trackFile?: string;
  bfdName?: string;
  weight?: number;
  weightReverse?: boolean;
  /** nested host {} blocks of old SMTP_CHECK */
  hosts: Checker[];
  extra: Extra;
}

export interface RealServer extends Located {
  address: string;
  port?: number;
  weight: number;
  inhibitOnFailure: boolean;
  notifyUp?: NotifyCommand;
  notifyDown?: NotifyCommand;
  smtpAlert?: boolean;
  delayLoop?: number;
  checkers: Checker[];
  extra: Extra;
}

export interface VirtualServer extends Located {
  /** address, or `fwmark N`, or `group NAME` as written */
  address?: string;
  port?: number;
  fwmark?: number;
  group?: string;
  family: 4 | 6;
  delayLoop: number;
  lbAlgo: string;
  lbKind: 'NAT' | 'DR' | 'TUN';
  protocol: 'TCP' | 'UDP' | 'SCTP';
  persistenceTimeout?: number;
  persistenceGranularity?: string;
  virtualhost?: string;
  sorryServer?: { address: string; port?: number };
  sorryServerInhibit: boolean;
  quorum: number;
  hysteresis: number;
  quorumUp?: NotifyCommand;
  quorumDown?: NotifyCommand;
  alpha: boolean;
  omega: boolean;
  ops: boolean;
  inhibitOnFailure: boolean;
  realServers: RealServer[];
  extra: Extra;
}

export interface LinkbeatInterface {
  name: string;
}

export interface KeepalivedConfig {
  globalDefs: GlobalDefs;
  vrrpScripts: Record<string, VrrpScript>;
  vrrpSyncGroups: VrrpSyncGroup[];
  vrrpInstances: VrrpInstance[];
  trackFiles: Record<string, TrackFile>;
  trackProcesses: Record<string, VrrpTrackProcess>;
  virtualServerGroups: Record<string, VirtualServerGroup>;
  virtualServers: VirtualServer[];
  staticIpaddress: VirtualAddress[];
  staticRoutes: VirtualRoute[];
  staticRules: VirtualRule[];
  linkbeatInterfaces: string[];
  /** Recognised top-level blocks kept untyped (bfd_instance, garp_group, ...). */
  extra: Record<string, GenericNode[]>;
  /** The files that were read, in order (main file first). */
  files: string[];
}

/** A raw parsed statement: keyword, arguments and optional sub-block. */
export interface GenericNode extends Located {
  keyword: string;
  args: string[];
  children?: GenericNode[];
}

export type Severity = 'error' | 'warning';

export type ConfigErrorCode =
  | 'E_CONFIG_SYNTAX'
  | 'E_CONFIG_RANGE'
  | 'E_CONFIG_UNKNOWN_BLOCK'
  | 'E_CONFIG_UNKNOWN_KEYWORD'
  | 'E_CONFIG_UNTERMINATED'
  | 'E_CONFIG_INCLUDE_MISSING'
  | 'E_CONFIG_INCLUDE_LOOP'
  | 'E_CONFIG_STRICT'
  | 'E_CONFIG_MISSING'
  | 'E_CONFIG_REFERENCE'
  | 'E_CONFIG_SCRIPT_SECURITY'
  | 'E_CONFIG_SCRIPT_INSECURE'
  | 'E_CONFIG_FILE'
  | 'E_CONFIG_UNSUPPORTED';

export interface Diagnostic {
  severity: Severity;
  code: ConfigErrorCode;
  file: string;
  line: number;
  message: string;
  /**
   * keepalived-ts's own remark where keepalived 2.2.7 says nothing (or says it without counting it):
   * shown, but it does not change -t's exit status.
   */
  ours?: boolean;
}

export interface ParseResult {
  config: KeepalivedConfig;
  diagnostics: Diagnostic[];
  /** true when the configuration cannot run at all (keepalived -t exit 3) */
  fatal: boolean;
  /** a configuration file that had to exist is missing (keepalived: exits 6, "no config") */
  fileError?: boolean;
  /** a keyword without its value: keepalived 2.2.7 stops reading and exits 2, -t included */
  missingParameter?: boolean;
}
