/**
 * no_accept / vrrp_strict: the firewall rules that stop a non-owner MASTER from processing packets
 * to its VIPs (keepalived.conf(5) `accept` / `no_accept`; RFC 5798 §6.4.3 Accept_Mode False), made
 * with nftables as keepalived 2.2.7 (Debian build, NFTABLES) makes them.
 *
 * What keepalived 2.2.7 installs, observed in a lab namespace (`nft list ruleset`, VRRPv2 and v3,
 * `vrrp_strict`, no authentication, MASTER priority 100 with VIPs 192.0.2.100/24 and .101/24):
 *
 *   table ip keepalived {                                   ← global_defs `nftables NAME` (default keepalived)
 *     set vips { type ipv4_addr; elements = { 192.0.2.100, 192.0.2.101 } }
 *     chain out { type filter hook output priority filter - 1; policy accept;   ← `nftables_priority N` (default -1)
 *       ip saddr @vips drop }                                ← `nftables_counters`: `ip saddr @vips counter drop`
 *     chain in  { type filter hook input priority filter - 1; policy accept;
 *       ip daddr @vips drop }
 *   }
 *
 * With an IPv6 VIP (2001:db8::100/64, VRRPv3) the table is `ip6 keepalived`, and neighbour discovery
 * to and from the VIP stays allowed (a blocked NS/NA would make the VIP unreachable at layer 2):
 *
 *   table ip6 keepalived {
 *     set vips { type ipv6_addr; elements = { 2001:db8::100 } }
 *     set neighbor-discovery { type icmpv6_type; flags constant; elements = { nd-neighbor-solicit, nd-neighbor-advert } }
 *     chain out { type filter hook output priority filter - 1; policy accept;
 *       icmpv6 type @neighbor-discovery accept
 *       ip6 saddr fe80::/10 goto out_link_local
 *       ip6 saddr @vips drop }
 *     chain in  { type filter hook input priority filter - 1; policy accept;
 *       icmpv6 type @neighbor-discovery accept
 *       ip6 daddr fe80::/10 goto in_link_local
 *       ip6 daddr @vips drop }
 *     chain in_link_local { }                                ← link-local VIPs: set vips_link_local
 *     chain out_link_local { }                                 (ipv6_addr . iface_index, `ip6 daddr . iif @… drop`),
 *   }                                                          or vips_link_local_name (ipv6_addr . ifname) with
 *                                                              dont_track_primary and no `nftables_ifindex`
 *
 * When (measured, keepalived 2.2.7 logs in quotes):
 * - nothing at start-up: the INIT/BACKUP instance logs "(VI_1) removing firewall drop rule" but no table
 *   exists until the first instance becomes MASTER. An old table of that name is deleted first
 *   (keepalived's "Deleting old ip keepalived table": a kill -9 leaves one behind).
 * - entering MASTER: "(VI_1) setting firewall drop rule" then "(VI_1) setting VIPs.": the table is created
 *   (once) and the instance's VIPs (virtual_ipaddress and _excluded) are added to the set.
 * - leaving MASTER: "(VI_1) removing VIPs." then "(VI_1) removing firewall drop rule": the VIPs leave the
 *   set; the table, chains and the (now empty) set stay.
 * - stop (SIGTERM): the whole table (ip and ip6) is deleted; `nft list ruleset` is empty again.
 * - which instances: accept is on unless vrrp_strict (then off) or `no_accept`; with VRRPv2 + strict an
 *   explicit `accept` is reset ("(VI_1) warning - accept mode for VRRP version 2 does not comply with
 *   RFC3768 - resetting") and the VIPs are still blocked; VRRPv3 + strict + `accept` installs no table;
 *   the address owner (priority 255) never blocks (no table on a strict owner).
 * - use_vmac also makes keepalived create the table (an IGMP/MLD redirect map, `vmac_map`): not done here.
 *
 * How: keepalived talks the kernel's nf_tables netlink protocol itself (batches of NFT_MSG_NEWTABLE,
 * NEWCHAIN, NEWSET, NEWRULE with payload/meta/lookup/cmp/immediate expressions, NEWSETELEM). That
 * protocol is far too large to hand-roll here, so this module writes the same ruleset as nft(8) text
 * (`add table …`, `add chain …`, `add set …`, `add rule …`, `add element …`) and feeds it to
 * `nft -f -`: one process per change, one atomic batch per process. The text builders are pure and
 * unit-tested; NftFirewall runs them in order (one at a time) in the main thread, like all kernel IO.
 * If `nft` is not installed the daemon logs E_NFT_MISSING once and runs without blocking: the VIPs are
 * still added and announced, only Accept_Mode False is not enforced.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Logger } from '../util/log';

/** global_defs nftables / nftables_priority / nftables_counters / nftables_ifindex */
export interface NftSettings {
  table: string;
  priority: number;
  counters: boolean;
  ifindex: boolean;
}

export const DEFAULT_NFT_TABLE = 'keepalived';
export const DEFAULT_NFT_PRIORITY = -1;

/** A VIP as the firewall needs it: its interface matters only for IPv6 link-local addresses. */
export interface NftVip {
  address: string;
  family: 4 | 6;
  ifname: string;
}

type Extra = Record<string, string[][]>;

/** Reads the nftables keywords from global_defs (kept untyped in `extra` by the parser). */
export function nftSettings(g: { extra?: Extra }): NftSettings {
  const last = (k: string): string[] | undefined => g.extra?.[k]?.at(-1);
  const table = last('nftables')?.[0] || DEFAULT_NFT_TABLE;
  const p = Number(last('nftables_priority')?.[0]);
  return {
    table,
    priority: Number.isInteger(p) ? p : DEFAULT_NFT_PRIORITY,
    counters: last('nftables_counters') !== undefined,
    ifindex: last('nftables_ifindex') !== undefined,
  };
}

/**
 * Does this instance drop traffic to its VIPs while MASTER? Accept mode off (no_accept, or
 * vrrp_strict without accept; the parser applies keepalived's defaults and resets) and not the
 * address owner (keepalived 2.2.7 installs nothing for a priority-255 instance).
 */
export function blocksVips(vi: { accept: boolean; priority: number }): boolean {
  return !vi.accept && vi.priority !== 255;
}

/** The instance's VIPs (virtual_ipaddress and virtual_ipaddress_excluded) as firewall elements. */
export function nftVips(r: { vips: readonly { address: string; family: 4 | 6; dev?: string }[]; excluded: readonly { address: string; family: 4 | 6; dev?: string }[]; vipIfname: string }): NftVip[] {
  return [...r.vips, ...r.excluded].map((v) => ({ address: v.address.replace(/\/\d+$/, ''), family: v.family, ifname: v.dev ?? r.vipIfname }));
}

const fam = (f: 4 | 6): 'ip' | 'ip6' => (f === 4 ? 'ip' : 'ip6');
const counter = (s: NftSettings): string => (s.counters ? 'counter ' : '');
const quote = (name: string): string => JSON.stringify(name);

/** "Deleting old ip keepalived table": both families, whether or not they exist (add + delete). */
export function purgeText(s: NftSettings): string {
  return ['ip', 'ip6'].flatMap((f) => [`add table ${f} ${s.table}`, `delete table ${f} ${s.table}`]).join('\n') + '\n';
}

/** The table, chains, sets and rules keepalived creates for one family (in keepalived's order). */
export function familyTableText(f: 4 | 6, s: NftSettings): string {
  const t = `${fam(f)} ${s.table}`;
  const hook = (name: string, h: string): string => `add chain ${t} ${name} { type filter hook ${h} priority ${s.priority}; policy accept; }`;
  const c = counter(s);
  if (f === 4) {
    return [
      `add table ${t}`,
      hook('out', 'output'),
      hook('in', 'input'),
      `add set ${t} vips { type ipv4_addr; }`,
      `add rule ${t} in ip daddr @vips ${c}drop`,
      `add rule ${t} out ip saddr @vips ${c}drop`,
    ].join('\n') + '\n';
  }
  return [
    `add table ${t}`,
    hook('out', 'output'),
    hook('in', 'input'),
    `add chain ${t} in_link_local`,
    `add chain ${t} out_link_local`,
    `add set ${t} vips { type ipv6_addr; }`,
    `add set ${t} neighbor-discovery { type icmpv6_type; flags constant; elements = { nd-neighbor-solicit, nd-neighbor-advert }; }`,
    `add rule ${t} in icmpv6 type @neighbor-discovery ${c}accept`,
    `add rule ${t} in ip6 daddr fe80::/10 ${c}goto in_link_local`,
    `add rule ${t} out icmpv6 type @neighbor-discovery ${c}accept`,
    `add rule ${t} out ip6 saddr fe80::/10 ${c}goto out_link_local`,
    `add rule ${t} in ip6 daddr @vips ${c}drop`,
    `add rule ${t} out ip6 saddr @vips ${c}drop`,
  ].join('\n') + '\n';
}

export type LinkLocalSet = 'vips_link_local' | 'vips_link_local_name';

/** The set (and its two rules) for IPv6 link-local VIPs, keyed by interface index or by name. */
export function linkLocalSetText(set: LinkLocalSet, s: NftSettings): string {
  const t = `ip6 ${s.table}`;
  const byName = set === 'vips_link_local_name';
  const c = counter(s);
  return [
    `add set ${t} ${set} { type ipv6_addr . ${byName ? 'ifname' : 'iface_index'}; }`,
    `add rule ${t} in_link_local ip6 daddr . ${byName ? 'iifname' : 'iif'} @${set} ${c}drop`,
    `add rule ${t} out_link_local ip6 saddr . ${byName ? 'oifname' : 'oif'} @${set} ${c}drop`,
  ].join('\n') + '\n';
}

const isLinkLocal6 = (a: string): boolean => /^fe[89ab][0-9a-f]?:/i.test(a);

/**
 * Which set a VIP goes into (keepalived's nft_update_ipv6_address): `vips` for IPv4 and global IPv6;
 * link-local IPv6 by name when dont_track_primary is set and nftables_ifindex is not, else by index.
 */
export function setFor(v: NftVip, s: NftSettings, dontTrackPrimary = false): { family: 4 | 6; set: 'vips' | LinkLocalSet; element: string } {
  if (v.family === 4 || !isLinkLocal6(v.address)) return { family: v.family, set: 'vips', element: v.address };
  const set: LinkLocalSet = !s.ifindex && dontTrackPrimary ? 'vips_link_local_name' : 'vips_link_local';
  return { family: 6, set, element: `${v.address} . ${quote(v.ifname)}` };
}

/** `add element` / `delete element` lines, one per set, elements in the given order. */
export function elementsText(op: 'add' | 'delete', vips: readonly NftVip[], s: NftSettings, dontTrackPrimary = false): string {
  const bySet = new Map<string, string[]>();
  for (const v of vips) {
    const { family, set, element } = setFor(v, s, dontTrackPrimary);
    const k = `${fam(family)} ${s.table} ${set}`;
    bySet.set(k, [...(bySet.get(k) ?? []), element]);
  }
  return [...bySet].map(([k, els]) => `${op} element ${k} { ${els.join(', ')} }\n`).join('');
}

/** keepalived's nft_cleanup: delete the tables this process created. */
export function cleanupText(s: NftSettings, families: Iterable<4 | 6>): string {
  return [...families].sort().map((f) => `delete table ${fam(f)} ${s.table}\n`).join('');
}

export type NftResult = { ok: true } | { ok: false; missing: boolean; message: string };
/** Runs one nft script atomically (`nft -f -`). */
export type NftRunner = (script: string) => Promise<NftResult>;

/** Where nft lives: $KTS_NFT, then PATH, then /usr/sbin and /sbin (a daemon's PATH may lack them). */
export function findNft(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.KTS_NFT) return existsSync(env.KTS_NFT) ? env.KTS_NFT : null;
  const dirs = [...(env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/sbin', '/sbin'];
  for (const d of dirs) if (existsSync(join(d, 'nft'))) return join(d, 'nft');
  return null;
}

export function nftRunner(bin: string | null = findNft()): NftRunner {
  return (script) =>
    new Promise((resolve) => {
      if (!bin) {
        resolve({ ok: false, missing: true, message: 'nft not found (KTS_NFT, PATH, /usr/sbin, /sbin)' });
        return;
      }
      const p = spawn(bin, ['-f', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
      let err = '';
      p.stderr.on('data', (d: Buffer) => (err += d.toString()));
      p.on('error', (e: NodeJS.ErrnoException) => resolve({ ok: false, missing: e.code === 'ENOENT', message: e.message }));
      p.on('close', (code) => resolve(code === 0 ? { ok: true } : { ok: false, missing: false, message: err.trim() || `nft exited with ${code}` }));
      p.stdin.on('error', () => undefined); // nft died before reading: its exit status says why
      p.stdin.end(script);
    });
}

/**
 * The keepalived table of one daemon. block/unblock are per instance (like keepalived's per-address
 * nftable_rule_set flag); an address shared by two blocking instances stays in the set until both
 * have released it. Calls are serialized; a failure is logged (E_NFT_FAILED) and never thrown, so
 * adding a VIP never waits on or fails because of the firewall.
 */
export class NftFirewall {
  private readonly families = new Set<4 | 6>();
  private readonly linkLocal = new Set<LinkLocalSet>();
  private readonly held = new Map<string, Set<string>>(); // instance → element keys
  private readonly refs = new Map<string, number>(); // element key → holders
  private purged = false;
  private missing = false;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    readonly settings: NftSettings,
    private readonly log: Logger,
    private readonly run: NftRunner = nftRunner(),
  ) {}

  /** true once nft was found missing: blocking is off for the rest of the run. */
  get disabled(): boolean {
    return this.missing;
  }

  /** The instance's VIPs go into the drop set (entering MASTER). */
  block(instance: string, vips: readonly NftVip[], dontTrackPrimary = false): Promise<void> {
    return this.serial(async () => {
      const mine = this.held.get(instance) ?? new Set<string>();
      const fresh = vips.filter((v) => !mine.has(this.key(v, dontTrackPrimary)));
      if (fresh.length === 0) return;
      let script = '';
      if (!this.purged) script += purgeText(this.settings);
      const needFam = new Set(fresh.map((v) => v.family).filter((f) => !this.families.has(f)));
      for (const f of [4, 6] as const) if (needFam.has(f)) script += familyTableText(f, this.settings);
      const needLl = new Set(fresh.map((v) => setFor(v, this.settings, dontTrackPrimary).set).filter((s): s is LinkLocalSet => s !== 'vips' && !this.linkLocal.has(s)));
      for (const s of needLl) script += linkLocalSetText(s, this.settings);
      const toAdd = fresh.filter((v) => (this.refs.get(this.key(v, dontTrackPrimary)) ?? 0) === 0);
      script += elementsText('add', toAdd, this.settings, dontTrackPrimary);
      if (!(await this.exec(script, `(${instance}) setting firewall drop rule`))) return;
      this.purged = true;
      for (const f of needFam) this.families.add(f);
      for (const s of needLl) this.linkLocal.add(s);
      for (const v of fresh) {
        const k = this.key(v, dontTrackPrimary);
        mine.add(k);
        this.refs.set(k, (this.refs.get(k) ?? 0) + 1);
      }
      this.held.set(instance, mine);
    });
  }

  /** The instance's VIPs leave the drop set (leaving MASTER); the table stays. */
  unblock(instance: string, vips: readonly NftVip[], dontTrackPrimary = false): Promise<void> {
    return this.serial(async () => {
      const mine = this.held.get(instance);
      if (!mine) return;
      const gone = vips.filter((v) => mine.has(this.key(v, dontTrackPrimary)));
      const toDel = gone.filter((v) => this.refs.get(this.key(v, dontTrackPrimary)) === 1);
      if (toDel.length > 0 && !(await this.exec(elementsText('delete', toDel, this.settings, dontTrackPrimary), `(${instance}) removing firewall drop rule`))) return;
      for (const v of gone) {
        const k = this.key(v, dontTrackPrimary);
        mine.delete(k);
        const n = (this.refs.get(k) ?? 1) - 1;
        if (n > 0) this.refs.set(k, n);
        else this.refs.delete(k);
      }
      if (mine.size === 0) this.held.delete(instance);
    });
  }

  /** Deletes the table(s) this daemon created (stop). */
  cleanup(): Promise<void> {
    return this.serial(async () => {
      if (this.families.size === 0) return;
      await this.exec(cleanupText(this.settings, this.families), 'deleting the nftables table');
      this.families.clear();
      this.linkLocal.clear();
      this.held.clear();
      this.refs.clear();
      this.purged = false;
    });
  }

  private key(v: NftVip, dontTrackPrimary: boolean): string {
    const s = setFor(v, this.settings, dontTrackPrimary);
    return `${s.family} ${s.set} ${s.element}`;
  }

  private serial(fn: () => Promise<void>): Promise<void> {
    const next = this.chain.then(() => (this.missing ? undefined : fn()));
    this.chain = next.catch(() => undefined);
    return next.catch((e: unknown) => {
      this.log.error({ code: 'E_NFT_FAILED', err: e }, `nftables: ${(e as Error).message}`);
    });
  }

  private async exec(script: string, what: string): Promise<boolean> {
    const r = await this.run(script);
    if (r.ok) return true;
    if (r.missing) {
      this.missing = true;
      this.log.error({ code: 'E_NFT_MISSING' }, `nftables: ${r.message} - no_accept/vrrp_strict VIPs are NOT blocked (install nftables)`);
    } else {
      this.log.error({ code: 'E_NFT_FAILED', script }, `${what}: nft failed: ${r.message}`);
    }
    return false;
  }
}
