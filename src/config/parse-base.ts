/**
 * Statement tree -> typed KeepalivedConfig, part 1 of the builder chain (parse-base -> parse-global ->
 * parse-vrrp -> parse-lvs -> parse.ts ConfigBuilder): the value helpers every section uses.
 * Unknown keywords are warnings (keepalived carries on); invalid values are errors with a code.
 */
import * as net from 'node:net';
import { Diagnostics } from './errors';
import type { Extra, GenericNode, NotifyCommand, VirtualRule } from './model';
import { tokenize } from './lexer';

export type N = GenericNode;

export function isIp(s: string): 4 | 6 | 0 {
  return net.isIP(s) as 4 | 6 | 0;
}

/** Splits a script string into argv as keepalived does: whitespace separates, quotes group, escapes. */
export function splitCommand(s: string): string[] {
  return tokenize(s).map((t) => t.text);
}

export class BuilderBase {
  constructor(protected readonly d: Diagnostics) {}

  /** Rules written without a preference, numbered at the end of build() in file order. */
  protected unprioritized: { r: VirtualRule; n: N }[] = [];

  // ---------- value helpers ----------
  protected need(n: N, count: number, what: string): boolean {
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
  protected inRange(n: N, v: string, min: number, max: number): number | undefined {
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
  protected items(n: N): N[] {
    if (!n.children) {
      this.d.error('E_CONFIG_SYNTAX', n.file, n.line, `${n.keyword}: expected a '{' block`);
      return [];
    }
    return n.children;
  }
}
