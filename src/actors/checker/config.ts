/**
 * From the parsed model (src/config/model.ts) to what one checker actor needs: the check to run
 * (`CheckSpec`, plain data that crosses to a worker thread) and its machine's timing.
 *
 * Inheritance follows keepalived 2.2.7 check_data.c validate_check_config: a checker's `retry`,
 * `connect_timeout`, `delay_loop`, `warmup`, `delay_before_retry` and `alpha` come from the checker,
 * else its real_server, else its virtual_server, else the checker kind's default (retry 1, MISC_CHECK
 * 0, DNS_CHECK 3; delay_before_retry 1 s, HTTP_GET/SSL_GET 3 s, DNS_CHECK `delay_loop`;
 * connect_timeout 5 s; delay_loop 60 s; warmup = delay_loop). FILE_CHECK never starts in alpha.
 */
import path from 'node:path';
import type { Checker, CheckerType, KeepalivedConfig, RealServer, UrlSpec, VirtualServer } from '../../config/model';
import type { MachineConfig, RetryStyle } from './machine';

export interface Target {
  host: string;
  port: number;
  /** local address to bind (bindto) */
  bindto?: string;
  bindPort?: number;
  /** bind_if: not applied (SO_BINDTODEVICE is not reachable from node:net); kept for the log */
  bindIf?: string;
  /** fwmark: not applied (SO_MARK is not reachable from node:net); kept for the log */
  fwmark?: number;
  timeoutMs: number;
}

export interface UrlCheck {
  path: string;
  /** lower-case hex MD5 of the body */
  digest?: string;
  /** accepted status codes as inclusive ranges; default 200-299 */
  status: [number, number][];
  virtualhost?: string;
  regex?: string;
  regexNoMatch: boolean;
  /** JavaScript RegExp flags derived from regex_options */
  regexFlags: string;
  regexMaxOffset?: number;
  regexMinOffset?: number;
}

export interface TlsFiles {
  ca?: string;
  certificate?: string;
  key?: string;
  password?: string;
}

export type HttpProtocol = '1.0' | '1.0c' | '1.1';

export type CheckSpec =
  | { type: 'TCP_CHECK'; target: Target }
  | {
    type: 'HTTP_GET' | 'SSL_GET'; target: Target; urls: UrlCheck[]; protocol: HttpProtocol;
    /** Host: header when no url virtualhost (checker, real_server, then virtual_server) */
    virtualhost?: string;
    /** SNI name when enable_sni (url, checker, then virtual_server virtualhost) */
    sniHost?: string;
    sni: boolean;
    tls?: TlsFiles;
  }
  | { type: 'SMTP_CHECK'; target: Target; helo: string }
  | { type: 'DNS_CHECK'; target: Target; qtype: string; name: string }
  | { type: 'UDP_CHECK'; target: Target; payload?: string; requireReply: boolean; reply?: string; minReplyLength: number; maxReplyLength: number }
  | { type: 'PING_CHECK'; target: Target }
  | {
    type: 'MISC_CHECK'; argv: string[]; timeoutMs: number; dynamic: boolean;
    /** names as configured; the main thread resolves them to uid/gid before the actor starts */
    user?: string; group?: string; uid?: number; gid?: number;
  }
  | { type: 'FILE_CHECK'; file: string; name: string; weight: number; reverse: boolean };

export interface CheckerPlan {
  /** stable id: "<vs>/<rs>/<type>#<n>" */
  id: string;
  /** the real server as keepalived prints it, e.g. "[198.51.100.1]:tcp:80" */
  rs: string;
  vs: string;
  /** configured weight of the real server (keepalived iweight) */
  rsWeight: number;
  spec: CheckSpec;
  machine: MachineConfig;
}

export type PlanResult = { ok: true; plan: CheckerPlan } | { ok: false; code: 'E_CHECKER_UNSUPPORTED' | 'E_CHECKER_CONFIG'; message: string };

export const SMTP_DEFAULT_HELO = 'smtpchecker.keepalived.org';
const DEFAULT_CONNECT_TIMEOUT_S = 5;
/** FILE_CHECK re-read interval */
export const FILE_POLL_MS = 1000;

function extraNum(extra: Record<string, string[][]>, key: string): number | undefined {
  const v = extra[key]?.at(-1)?.[0];
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

function extraBool(extra: Record<string, string[][]>, key: string): boolean | undefined {
  const a = extra[key]?.at(-1);
  if (!a) return undefined;
  const v = (a[0] ?? 'yes').toLowerCase();
  return !(v === 'no' || v === 'false' || v === 'off' || v === '0');
}

function extraStr(extra: Record<string, string[][]>, key: string): string | undefined {
  return extra[key]?.at(-1)?.[0];
}

/** keepalived prints a service as [addr]:proto:port. */
export function formatService(address: string, port: number | undefined, protocol: string): string {
  return `[${address}]:${protocol.toLowerCase()}:${port ?? 0}`;
}

export function formatVs(vs: VirtualServer): string {
  if (vs.fwmark !== undefined) return `FWM ${vs.fwmark}`;
  if (vs.group !== undefined) return `[${vs.group}]:${vs.protocol.toLowerCase()}`;
  return formatService(vs.address ?? '', vs.port, vs.protocol);
}

/** status_code "200-299 301" → ranges; keepalived's default is 200-299. */
export function statusRanges(codes: string[] | undefined): [number, number][] {
  const out: [number, number][] = [];
  for (const c of codes ?? []) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(c);
    if (!m) continue;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (lo < 100 || hi > 599 || lo > hi) continue;
    out.push([lo, hi]);
  }
  return out.length ? out : [[200, 299]];
}

/** regex_options (PCRE2 names) to RegExp flags: caseless → i, multiline → m, dotall → s. */
function regexFlags(u: UrlSpec): string {
  const opts = (u.extra.regex_options ?? []).flat().map((o) => o.toLowerCase());
  let f = '';
  if (opts.includes('caseless')) f += 'i';
  if (opts.includes('multiline')) f += 'm';
  if (opts.includes('dotall')) f += 's';
  return f;
}

function urlCheck(u: UrlSpec): UrlCheck {
  return {
    path: u.path ?? '/',
    ...(u.digest ? { digest: u.digest.toLowerCase() } : {}),
    status: statusRanges(u.statusCode),
    ...(u.virtualhost ? { virtualhost: u.virtualhost } : {}),
    ...(u.regex !== undefined ? { regex: u.regex } : {}),
    regexNoMatch: !!u.regexNo,
    regexFlags: regexFlags(u),
    ...(extraNum(u.extra, 'regex_max_offset') !== undefined ? { regexMaxOffset: extraNum(u.extra, 'regex_max_offset') } : {}),
    ...(extraNum(u.extra, 'regex_min_offset') !== undefined ? { regexMinOffset: extraNum(u.extra, 'regex_min_offset') } : {}),
  };
}

/** The top-level SSL { } block: files for SSL_GET's client side. */
export function tlsFiles(cfg: Pick<KeepalivedConfig, 'extra'> | undefined): TlsFiles | undefined {
  const block = cfg?.extra?.SSL?.at(-1);
  if (!block) return undefined;
  const t: TlsFiles = {};
  for (const n of block.children ?? []) {
    const v = n.args[0];
    if (v === undefined) continue;
    if (n.keyword === 'ca') t.ca = v;
    else if (n.keyword === 'certificate') t.certificate = v;
    else if (n.keyword === 'key') t.key = v;
    else if (n.keyword === 'password') t.password = v;
  }
  return t;
}

function retryStyle(type: CheckerType): RetryStyle {
  if (type === 'TCP_CHECK') return 'tcp';
  if (type === 'HTTP_GET' || type === 'SSL_GET') return 'http';
  return 'generic';
}

function defaultRetry(type: CheckerType): number {
  return type === 'MISC_CHECK' ? 0 : type === 'DNS_CHECK' ? 3 : 1;
}

function defaultDelayBeforeRetry(type: CheckerType): number | undefined {
  if (type === 'HTTP_GET' || type === 'SSL_GET') return 3;
  if (type === 'DNS_CHECK') return undefined; // delay_loop
  return 1;
}

const ms = (s: number): number => Math.round(s * 1000);

/** Build the plan of checker `index` of real server `rs` in virtual server `vs`. */
export function planChecker(
  cfg: Pick<KeepalivedConfig, 'extra' | 'trackFiles'> | undefined,
  vs: VirtualServer,
  rs: RealServer,
  c: Checker,
  index: number,
): PlanResult {
  const vsName = formatVs(vs);
  const rsName = formatService(rs.address, rs.port, vs.protocol);
  const id = `${vsName}/${rsName}/${c.type}#${index}`;
  const delayLoop = c.delayLoop ?? rs.delayLoop ?? vs.delayLoop ?? 60;
  const connectTimeout = c.connectTimeout ?? extraNum(rs.extra, 'connect_timeout') ?? extraNum(vs.extra, 'connect_timeout') ?? DEFAULT_CONNECT_TIMEOUT_S;
  const retry = c.nbGetRetry ?? extraNum(rs.extra, 'retry') ?? extraNum(vs.extra, 'retry') ?? defaultRetry(c.type);
  const dbr = c.delayBeforeRetry ?? extraNum(rs.extra, 'delay_before_retry') ?? extraNum(vs.extra, 'delay_before_retry') ?? defaultDelayBeforeRetry(c.type) ?? delayLoop;
  const warmup = c.warmup ?? extraNum(rs.extra, 'warmup') ?? extraNum(vs.extra, 'warmup') ?? delayLoop;
  const alpha = c.type === 'FILE_CHECK' ? false : c.alpha ?? extraBool(rs.extra, 'alpha') ?? vs.alpha;
  const machine: MachineConfig = {
    style: retryStyle(c.type), retry, delayLoopMs: ms(delayLoop), delayBeforeRetryMs: ms(dbr), warmupMs: ms(warmup), alpha,
    urls: c.urls.length, fastRecovery: c.extra.fast_recovery !== undefined && extraBool(c.extra, 'fast_recovery') !== false,
  };
  const defaultPort = c.type === 'SMTP_CHECK' ? 25 : c.type === 'DNS_CHECK' ? 53 : 0;
  const target: Target = {
    host: c.connectIp ?? rs.address,
    port: c.connectPort ?? (rs.port || defaultPort),
    ...(c.bindto ? { bindto: c.bindto } : {}),
    ...(c.bindPort !== undefined ? { bindPort: c.bindPort } : {}),
    ...(c.bindIf ? { bindIf: c.bindIf } : {}),
    ...(c.fwmark ? { fwmark: c.fwmark } : {}),
    timeoutMs: ms(connectTimeout),
  };
  const base = { id, rs: rsName, vs: vsName, rsWeight: rs.weight, machine };
  const fail = (code: 'E_CHECKER_UNSUPPORTED' | 'E_CHECKER_CONFIG', message: string): PlanResult => ({ ok: false, code, message: `${id}: ${message}` });
  switch (c.type) {
    case 'TCP_CHECK':
    case 'PING_CHECK':
      return { ok: true, plan: { ...base, spec: { type: c.type, target } } };
    case 'HTTP_GET':
    case 'SSL_GET': {
      const proto = (extraStr(c.extra, 'http_protocol') ?? '1.0').toLowerCase();
      const protocol: HttpProtocol = proto === '1.1' ? '1.1' : proto === '1.0c' ? '1.0c' : '1.0';
      const sni = c.sni !== undefined && !['no', 'false', 'off', '0'].includes(c.sni.toLowerCase());
      const vhost = c.virtualhost ?? extraStr(rs.extra, 'virtualhost') ?? vs.virtualhost;
      const sniHost = c.virtualhost ?? vs.virtualhost;
      const tls = c.type === 'SSL_GET' ? tlsFiles(cfg) : undefined;
      return {
        ok: true,
        plan: {
          ...base,
          spec: {
            type: c.type, target, urls: c.urls.map(urlCheck), protocol, sni,
            ...(vhost ? { virtualhost: vhost } : {}), ...(sniHost ? { sniHost } : {}), ...(tls ? { tls } : {}),
          },
        },
      };
    }
    case 'SMTP_CHECK':
      return { ok: true, plan: { ...base, spec: { type: c.type, target, helo: c.heloName ?? SMTP_DEFAULT_HELO } } };
    case 'DNS_CHECK':
      return { ok: true, plan: { ...base, spec: { type: c.type, target, qtype: (c.dnsType ?? 'SOA').toUpperCase(), name: c.dnsName ?? '.' } } };
    case 'UDP_CHECK': {
      // hex strings as written (spaces allowed; `x` nibbles are wildcards in require_reply)
      const payload = c.extra.payload?.at(-1)?.join(' ');
      const rr = c.extra.require_reply?.at(-1);
      const spec: CheckSpec = {
        type: c.type, target, requireReply: rr !== undefined,
        ...(payload ? { payload } : {}),
        ...(rr && rr.length ? { reply: rr.join(' ') } : {}),
        minReplyLength: extraNum(c.extra, 'min_reply_length') ?? 0,
        maxReplyLength: extraNum(c.extra, 'max_reply_length') ?? 255,
      };
      return { ok: true, plan: { ...base, spec } };
    }
    case 'MISC_CHECK': {
      if (!c.miscPath) return fail('E_CHECKER_CONFIG', 'MISC_CHECK without misc_path');
      const user = c.miscPath.user ?? extraStr(c.extra, 'user');
      const group = c.miscPath.group ?? c.extra.user?.at(-1)?.[1];
      // keepalived: misc_timeout defaults to delay_loop
      const timeoutMs = ms(c.miscTimeout ?? delayLoop);
      return {
        ok: true,
        plan: { ...base, spec: { type: c.type, argv: c.miscPath.argv, ...(user ? { user } : {}), ...(group ? { group } : {}), timeoutMs, dynamic: !!c.miscDynamic } },
      };
    }
    case 'FILE_CHECK': {
      const tf = c.trackFile ? cfg?.trackFiles?.[c.trackFile] : undefined;
      if (!c.trackFile || !tf?.path) return fail('E_CHECKER_CONFIG', `FILE_CHECK: track_file '${c.trackFile ?? ''}' is not defined`);
      const file = path.resolve(tf.path);
      const own = c.weight !== undefined;
      const spec: CheckSpec = { type: c.type, file, name: c.trackFile, weight: own ? c.weight! : tf.weight, reverse: own ? !!c.weightReverse : tf.weightReverse };
      // keepalived follows the file with inotify and acts on the first change: here the file is re-read
      // every FILE_POLL_MS and a change acts at once (no retries)
      const fileMachine: MachineConfig = { ...machine, retry: 0, delayLoopMs: FILE_POLL_MS, delayBeforeRetryMs: FILE_POLL_MS, warmupMs: 0 };
      return { ok: true, plan: { ...base, machine: fileMachine, spec } };
    }
    case 'BFD_CHECK':
      return fail('E_CHECKER_UNSUPPORTED', 'BFD_CHECK needs BFD, which keepalived-ts does not run');
    default: {
      const never: never = c.type;
      return fail('E_CHECKER_UNSUPPORTED', `unknown checker ${String(never)}`);
    }
  }
}
