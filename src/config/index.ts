/** keepalived.conf(5) parser: public surface. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Diagnostics, ConfigError, formatDiagnostic } from './errors';
import { Lexer } from './lexer';
import { buildTree } from './tree';
import { ConfigBuilder, splitCommand } from './parse';
import type { Diagnostic, KeepalivedConfig, ParseResult } from './model';
import { auditConfigScripts } from '../actors/notifier/security';

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
}

export function defaultConfigId(): string {
  return os.hostname().split('.')[0];
}

/** Parses a configuration file. Never throws: everything is in `diagnostics`. */
export function parseConfig(file: string, opts: ParseOptions = {}): ParseResult {
  const d = new Diagnostics();
  const lexer = new Lexer({ configId: opts.configId ?? defaultConfigId() }, d);
  let config: KeepalivedConfig;
  try {
    if (opts.text !== undefined) lexer.readText(path.resolve(file), file, opts.text);
    else lexer.readMain(file);
    const tree = buildTree(lexer.lines, d);
    config = new ConfigBuilder(d).build(tree, lexer.files);
    if (!d.fatal) validate(config, d, opts);
  } catch (e) {
    // a bug in the parser must still surface as a configuration error, never as a crash
    d.error('E_CONFIG_SYNTAX', file, 0, `internal parser error: ${e instanceof Error ? e.message : String(e)}`);
    d.fatal = true;
    config = new ConfigBuilder(new Diagnostics()).build([], [file]);
  }
  return { config, diagnostics: d.list, fatal: d.fatal };
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

function validate(cfg: KeepalivedConfig, d: Diagnostics, opts: ParseOptions): void {
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
    if (ifs && vi.interface && !ifs.has(vi.interface)) { missingIf = true; d.warn('E_CONFIG_REFERENCE', vi.file, vi.line, `WARNING - interface ${vi.interface} for vrrp_instance ${vi.name} doesn't exist`); }
    if (vi.interface === 'lo') d.error('E_CONFIG_SYNTAX', vi.file, vi.line, `(${vi.name}) cannot use a loopback interface (lo) for vrrp - ignoring`);
    for (const t of vi.trackInterfaces) if (ifs && !ifs.has(t.name)) { missingIf = true; d.warn('E_CONFIG_REFERENCE', vi.file, vi.line, `(${vi.name}) tracked interface ${t.name} doesn't exist`); }
    for (const a of [...vi.virtualIpaddress, ...vi.virtualIpaddressExcluded]) if (ifs && a.dev && !ifs.has(a.dev)) { missingIf = true; d.warn('E_CONFIG_REFERENCE', a.file, a.line, `WARNING - interface ${a.dev} for ip address ${a.address} doesn't exist`); }
    for (const t of vi.trackScripts) {
      const s = cfg.vrrpScripts[t.name];
      if (!s || !s.script) d.warn('E_CONFIG_REFERENCE', vi.file, vi.line, `(${vi.name}) track script ${t.name} not found, ignoring...`);
    }
    for (const t of vi.trackFiles) if (!cfg.trackFiles[t.name]) d.warn('E_CONFIG_REFERENCE', vi.file, vi.line, `(${vi.name}) track file ${t.name} not found, ignoring...`);
    for (const t of vi.trackProcesses) if (!cfg.trackProcesses[t.name]) d.warn('E_CONFIG_REFERENCE', vi.file, vi.line, `(${vi.name}) track process ${t.name} not found, ignoring...`);
  }
  for (const g of cfg.vrrpSyncGroups) {
    for (const m of g.group) {
      const vi = cfg.vrrpInstances.find((v) => v.name === m);
      if (!vi) d.warn('E_CONFIG_REFERENCE', g.file, g.line, `Virtual router ${m} specified in sync group ${g.name} doesn't exist - ignoring`);
      else vi.syncGroup = g.name;
    }
  }
  for (const vs of cfg.virtualServers) {
    if (vs.group && !cfg.virtualServerGroups[vs.group]) d.error('E_CONFIG_REFERENCE', vs.file, vs.line, `virtual_server group ${vs.group} is not defined`);
  }
  if (missingIf) d.warn('E_CONFIG_REFERENCE', cfg.files[0] ?? '', 0, 'Non-existent interface specified in configuration');

  if (opts.checkScripts === false) return;
  // the daemon applies the same audit when it starts and reloads (one rule: actors/notifier/security.ts)
  for (const l of auditConfigScripts(cfg).lines) d.add(l.severity, l.code, l.file, l.line, l.message);
}

/**
 * keepalived -t exit status: 0 ok, 3 cannot run, 4 errors but will run; script security as keepalived
 * 2.2.7: 6 for its SECURITY VIOLATION (scripts without enable_script_security, its highest config
 * error), 5 for a script it disabled (a general config error).
 */
export function configTestExitCode(r: ParseResult): number {
  if (r.fatal) return 3;
  const errors = r.diagnostics.filter((x) => x.severity === 'error');
  if (errors.some((x) => x.code === 'E_CONFIG_SCRIPT_SECURITY')) return 6;
  if (errors.some((x) => x.code === 'E_CONFIG_SCRIPT_INSECURE')) return 5;
  if (errors.length > 0) return 4;
  return 0;
}

export function formatDiagnostics(list: Diagnostic[]): string {
  return list.map((x) => formatDiagnostic(x) + '\n').join('');
}

export { dumpConfigText } from './dump';
