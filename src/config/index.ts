/** keepalived.conf(5) parser: public surface. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Diagnostics, ConfigError, formatDiagnostic } from './errors';
import { Lexer } from './lexer';
import { buildTree } from './tree';
import { ConfigBuilder, splitCommand, type Positions } from './parse';
import { reportUnsupported } from './unsupported';
import type { Diagnostic, KeepalivedConfig, ParseResult, VirtualRoute, VirtualRule } from './model';
import { auditConfigScripts } from '../actors/notifier/security';
import { blockEnd } from './tree';

export * from './model';
export { ConfigError, formatDiagnostic, splitCommand };

export interface ParseOptions {
  /** -i / --config-id; default: the short hostname */
  configId?: string;
  /** check that interfaces exist (warnings); default true */
  checkInterfaces?: boolean;
  /** check that scripts exist and script security (keepalived -t); default true */
  checkScripts?: boolean;
  /** parse this text instead of reading `file` (file is still used for names and relative includes) */
  text?: string;
  /** -e: a missing include file is an error (keepalived's includea for every include) */
  includeCheck?: boolean;
}

export function defaultConfigId(): string {
  return os.hostname().split('.')[0];
}

/** Parses a configuration file. Never throws: everything is in `diagnostics`. */
export function parseConfig(file: string, opts: ParseOptions = {}): ParseResult {
  const d = new Diagnostics();
  const lexer = new Lexer({ configId: opts.configId ?? defaultConfigId(), includeCheck: opts.includeCheck }, d);
  let config: KeepalivedConfig;
  try {
    if (opts.text !== undefined) lexer.readText(path.resolve(file), file, opts.text);
    else lexer.readMain(file);
    const tree = buildTree(lexer.lines, d);
    const builder = new ConfigBuilder(d);
    config = builder.build(tree, lexer.files);
    reportUnsupported(tree, d);
    if (!d.fatal) validate(config, d, opts, builder.positions);
  } catch (e) {
    // a bug in the parser must still surface as a configuration error, never as a crash
    d.error('E_CONFIG_SYNTAX', file, 0, `internal parser error: ${e instanceof Error ? e.message : String(e)}`);
    d.fatal = true;
    config = new ConfigBuilder(new Diagnostics()).build([], [file]);
  }
  return { config, diagnostics: d.list, fatal: d.fatal, ...(d.fileError ? { fileError: true } : {}), ...(d.missingParameter ? { missingParameter: true } : {}) };
}

/** Parses and throws ConfigError on the first error (for callers that want all-or-nothing). */
export function loadConfig(file: string, opts: ParseOptions = {}): KeepalivedConfig {
  const r = parseConfig(file, opts);
  const e = r.diagnostics.find((x) => x.severity === 'error');
  if (e) throw new ConfigError(e.code, e.file, e.line, e.message);
  return r.config;
}

function interfaceNames(): Set<string> | undefined {
  try {
    return new Set(fs.readdirSync('/sys/class/net'));
  } catch {
    try {
      return new Set(Object.keys(os.networkInterfaces()));
    } catch {
      return undefined;
    }
  }
}

function validate(cfg: KeepalivedConfig, d: Diagnostics, opts: ParseOptions, pos: Positions): void {
  const where = (o: object, field: string, dflt: { file: string; line: number }): { file: string; line: number } => pos.get(o)?.[field] ?? dflt;
  const ifs = opts.checkInterfaces === false ? undefined : interfaceNames();
  let missingIf = false;
  const names = new Set<string>();
  const vrids = new Map<string, string>();
  for (const vi of cfg.vrrpInstances) {
    if (names.has(vi.name)) d.error('E_CONFIG_SYNTAX', vi.file, vi.line, `vrrp_instance ${vi.name} defined more than once`);
    names.add(vi.name);
    const key = `${vi.interface ?? ''}/${vi.family}/${vi.virtualRouterId}/${vi.unicastPeers.length ? 'u' : 'm'}`;
    if (vi.unicastPeers.length === 0 && vrids.has(key)) d.error('E_CONFIG_SYNTAX', vi.file, vi.line, `(${vi.name}) VRID ${vi.virtualRouterId} is already used on ${vi.interface} by ${vrids.get(key)}`);
    vrids.set(key, vi.name);
    if (ifs && vi.interface && !ifs.has(vi.interface)) {
      missingIf = true;
      const p = where(vi, 'interface', vi);
      d.warn('E_CONFIG_REFERENCE', p.file, p.line, `WARNING - interface ${vi.interface} for vrrp_instance ${vi.name} doesn't exist`);
    }
    if (vi.interface === 'lo') d.error('E_CONFIG_SYNTAX', vi.file, vi.line, `(${vi.name}) cannot use a loopback interface (lo) for vrrp - ignoring`);
    for (const t of vi.trackInterfaces) {
      if (!ifs || ifs.has(t.name)) continue;
      missingIf = true;
      const p = where(t, 'name', vi);
      d.warn('E_CONFIG_REFERENCE', p.file, p.line, `(${vi.name}) tracked interface ${t.name} doesn't exist`);
    }
    for (const a of [...vi.virtualIpaddress, ...vi.virtualIpaddressExcluded]) if (ifs && a.dev && !ifs.has(a.dev)) { missingIf = true; d.warn('E_CONFIG_REFERENCE', a.file, a.line, `WARNING - interface ${a.dev} for ip address ${a.address} doesn't exist`); }
    for (const t of vi.trackScripts) {
      const s = cfg.vrrpScripts[t.name];
      const p = where(t, 'name', vi);
      if (!s || !s.script) d.warn('E_CONFIG_REFERENCE', p.file, p.line, `(${vi.name}) track script ${t.name} not found, ignoring...`);
    }
    for (const r of vi.virtualRoutes) missingIf = routeInterfaces(r, ifs, d) || missingIf;
    const bfds = new Set((cfg.extra['bfd_instance'] ?? []).map((n) => n.args[0]));
    for (const t of vi.trackBfds) {
      const p = where(t, 'name', vi);
      if (!bfds.has(t.name)) d.warn('E_CONFIG_REFERENCE', p.file, p.line, `(${vi.name}) track bfd ${t.name} not found, ignoring...`);
    }
    for (const t of vi.trackInterfaces) {
      const p = where(t, 'name', vi);
      if (t.name === vi.interface) d.warn('E_CONFIG_SYNTAX', p.file, p.line, `(${vi.name}) Ignoring track_interface ${t.name} since own interface`);
    }
    for (const r of vi.virtualRules) missingIf = ruleInterfaces(r, ifs, d) || missingIf;
    for (const t of vi.trackFiles) if (!cfg.trackFiles[t.name]) d.warn('E_CONFIG_REFERENCE', where(t, 'name', vi).file, where(t, 'name', vi).line, `(${vi.name}) track file ${t.name} not found, ignoring...`);
    for (const t of vi.trackProcesses) if (!cfg.trackProcesses[t.name]) d.warn('E_CONFIG_REFERENCE', where(t, 'name', vi).file, where(t, 'name', vi).line, `(${vi.name}) track process ${t.name} not found, ignoring...`);
  }
  for (const g of cfg.vrrpSyncGroups) {
    for (const t of g.trackInterfaces) {
      if (!ifs || ifs.has(t.name)) continue;
      missingIf = true;
      const p = where(t, 'name', g);
      d.warn('E_CONFIG_REFERENCE', p.file, p.line, `(${g.name}) tracked interface ${t.name} doesn't exist`);
    }
    for (const m of g.group) {
      const vi = cfg.vrrpInstances.find((v) => v.name === m);
      if (!vi) d.warn('E_CONFIG_REFERENCE', g.file, g.line, `Virtual router ${m} specified in sync group ${g.name} doesn't exist - ignoring`);
      else vi.syncGroup = g.name;
    }
    const members = g.group.filter((m) => cfg.vrrpInstances.some((v) => v.name === m)).length;
    if (members === 1) d.warn('E_CONFIG_MISSING', g.file, g.line, `Sync group ${g.name} has only 1 virtual router(s) - this probably isn't what you want`);
  }
  for (const vs of cfg.virtualServers) {
    if (vs.group && !cfg.virtualServerGroups[vs.group]) d.error('E_CONFIG_REFERENCE', vs.file, vs.line, `virtual_server group ${vs.group} is not defined`);
    const members = vs.group ? cfg.virtualServerGroups[vs.group]?.members ?? [] : [];
    const fwmarkOnly = vs.fwmark !== undefined || members.some((m) => m.fwmark !== undefined);
    if (vs.group && members.length > 0 && members.every((m) => m.fwmark !== undefined) && pos.get(vs)?.protocol) {
      const p = where(vs, 'protocol', vs);
      d.warn('E_CONFIG_SYNTAX', p.file, p.line, `Warning: Virtual server [${vs.group}]:0: protocol specified for fwmark - protocol will be ignored`);
    }
    if (fwmarkOnly) {
      const name = vs.group ?? `FWM ${vs.fwmark}`;
      for (const rs of vs.realServers) {
        if (rs.port !== undefined && vs.lbKind !== 'NAT') d.warn('E_CONFIG_SYNTAX', rs.file, rs.line, `WARNING - fwmark virtual server [${name}]:0, real server [${rs.address}]:${vs.protocol.toLowerCase()}:${rs.port} has port specified - port will be ignored`);
      }
    }
  }
  for (const a of cfg.staticIpaddress) if (ifs && a.dev && !ifs.has(a.dev)) { missingIf = true; d.warn('E_CONFIG_REFERENCE', a.file, a.line, `WARNING - interface ${a.dev} for ip address ${a.address} doesn't exist`); }
  for (const r of cfg.staticRoutes) missingIf = routeInterfaces(r, ifs, d) || missingIf;
  for (const r of cfg.staticRules) missingIf = ruleInterfaces(r, ifs, d) || missingIf;
  missingIf = extraInterfaces(cfg, ifs, d) || missingIf;
  if (missingIf) d.warn('E_CONFIG_REFERENCE', cfg.files[0] ?? '', 0, 'Non-existent interface specified in configuration');
  // keepalived 2.2.7's VRRP process stops at a non-existent interface, before its script-security pass
  // (measured: such a config exits 5 with no SECURITY VIOLATION line, the same with a good interface exits 6)
  if (missingIf) return;

  if (opts.checkScripts === false) return;
  // the daemon applies the same audit when it starts and reloads (one rule: actors/notifier/security.ts);
  // keepalived -t counts only what the audit calls an error; its other lines are said and not counted
  const audit = auditConfigScripts(cfg);
  for (const l of audit.lines) {
    if (l.severity === 'error') d.add(l.severity, l.code, l.file, l.line, l.message);
    else d.note(l.code, l.file, l.line, l.message);
  }
  const tracked = new Set([...cfg.vrrpInstances.flatMap((v) => v.trackScripts), ...cfg.vrrpSyncGroups.flatMap((g) => g.trackScripts)].map((t) => t.name));
  for (const s of audit.scripts) {
    // keepalived's check_script_secure takes `</path` as a file test (SC_SYSTEM), never as not found
    if (s.track && tracked.has(s.track) && s.check?.notFound && !/^<\s*\//.test(s.argv0)) d.warn('E_CONFIG_REFERENCE', s.file, s.line, `Disabling track script ${s.track} since not found/accessible`);
  }
}

/** keepalived (vrrp_iproute.c): the route's dev and each nexthop's dev must exist. */
function routeInterfaces(r: VirtualRoute, ifs: Set<string> | undefined, d: Diagnostics): boolean {
  let missing = false;
  for (const dev of [r.dev, ...(r.nexthops ?? []).map((h) => h.dev)]) {
    if (!ifs || dev === undefined || ifs.has(dev)) continue;
    missing = true;
    d.warn('E_CONFIG_REFERENCE', r.file, r.line, `WARNING - interface ${dev} for VROUTE nexthop doesn't exist`);
  }
  return missing;
}

/** keepalived (vrrp_iprule.c): a rule's iif/oif/dev names an interface that must exist. */
function ruleInterfaces(r: VirtualRule, ifs: Set<string> | undefined, d: Diagnostics): boolean {
  let missing = false;
  for (const k of ['iif', 'dev', 'oif']) {
    const name = r.options[k];
    if (!ifs || name === undefined || ifs.has(name)) continue;
    missing = true;
    d.warn('E_CONFIG_REFERENCE', r.file, r.line, `WARNING - interface ${name} for rule doesn't exist`);
  }
  return missing;
}

/** Interfaces named in blocks kept untyped: garp_group, linkbeat_interfaces, interface_up_down_delays. */
function extraInterfaces(cfg: KeepalivedConfig, ifs: Set<string> | undefined, d: Diagnostics): boolean {
  if (!ifs) return false;
  let missing = false;
  const check = (name: string, n: { file: string; line: number }, msg: string): void => {
    if (ifs.has(name)) return;
    missing = true;
    d.warn('E_CONFIG_REFERENCE', n.file, n.line, msg);
  };
  for (const g of [...(cfg.extra['garp_group'] ?? []), ...(cfg.extra['vrrp_garp_group'] ?? [])]) {
    for (const c of g.children ?? []) {
      if (c.keyword === 'interface' && c.args[0]) check(c.args[0], c, `WARNING - interface ${c.args[0]} specified for garp_group doesn't exist`);
      // keepalived checks an `interfaces` block when it closes
      if (c.keyword === 'interfaces') for (const i of c.children ?? []) for (const name of [i.keyword, ...i.args]) check(name, blockEnd.get(c) ?? i, `WARNING - interface ${name} specified for garp_group doesn't exist`);
    }
  }
  for (const b of cfg.extra['bfd_instance'] ?? []) {
    // keepalived (bfd_parser.c) checks when the block closes; BFD itself is not run (E_CONFIG_UNSUPPORTED)
    const end = blockEnd.get(b) ?? b;
    if (!(b.children ?? []).some((c) => c.keyword === 'neighbor_ip' || c.keyword === 'neighbour_ip')) d.warn('E_CONFIG_MISSING', end.file, end.line, `Configuration error: BFD instance ${b.args[0] ?? ''} has no neighbor address set, disabling instance`);
  }
  for (const b of cfg.extra['linkbeat_interfaces'] ?? []) for (const i of b.children ?? []) check(i.keyword, i, `unknown interface ${i.keyword} specified for linkbeat interface`);
  for (const b of cfg.extra['interface_up_down_delays'] ?? []) for (const i of b.children ?? []) check(i.keyword, i, `unknown interface ${i.keyword} specified for up/down delay`);
  return missing;
}

/**
 * keepalived 2.2.7's -t exit status (the binary, not the man page): 0 nothing reported, 4 only
 * "cannot run" (an unreadable configuration), 5 any other diagnostic, warnings included (keepalived
 * keeps the highest config_err_t and every warning outranks "cannot run"), 6 script security or a
 * required include file missing, 2 a keyword without its value (keepalived stops reading there).
 * Our own remarks (`ours`) do not count.
 */
export function configTestExitCode(r: ParseResult): number {
  if (r.missingParameter) return 2;
  const counted = r.diagnostics.filter((x) => !x.ours);
  if (r.fileError || counted.some((x) => x.code === 'E_CONFIG_SCRIPT_SECURITY')) return 6;
  if (counted.some((x) => x.code !== 'E_CONFIG_FILE')) return 5;
  return r.fatal || counted.length ? 4 : 0;
}

export function formatDiagnostics(list: Diagnostic[]): string {
  return list.map((x) => formatDiagnostic(x) + '\n').join('');
}

export { dumpConfigText } from './dump';
