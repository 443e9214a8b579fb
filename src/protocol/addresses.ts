/**
 * Address text <-> bytes. IPv4 dotted quad, IPv6 in the canonical text form of RFC 5952 §4,
 * MAC as six colon-separated lowercase hex bytes. Encoders throw KtsError('E_ADDR') on bad text
 * (that is program input, not wire input); bufferToIp/bufferToMac never look past the bytes given.
 */
import { KtsError } from '../util/errors';

function bad(text: string, what: string): never {
  throw new KtsError('E_ADDR', `invalid ${what} address: ${JSON.stringify(text)}`);
}

function parseIpv4(text: string): Buffer | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const out = Buffer.alloc(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i];
    if (!/^\d{1,3}$/.test(p) || (p.length > 1 && p[0] === '0')) return null;
    const n = Number(p);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
}

function parseIpv6(text: string): Buffer | null {
  const pct = text.indexOf('%'); // drop a zone index (fe80::1%eth0)
  const s = pct >= 0 ? text.slice(0, pct) : text;
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const groups = (h: string): number[] | null => {
    if (h === '') return [];
    const out: number[] = [];
    const parts = h.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIpv4(p); // RFC 4291 §2.2 form 3: trailing dotted quad
        if (!v4) return null;
        out.push(v4.readUInt16BE(0), v4.readUInt16BE(2));
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return null;
  const fill = 8 - head.length - tail.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return null;
  const all = [...head, ...new Array<number>(fill).fill(0), ...tail];
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

/** 4 bytes for an IPv4 address, 16 for an IPv6 one (a %zone is dropped); null if the text is not an address. */
export function parseIp(text: string): Buffer | null {
  return text.includes(':') ? parseIpv6(text) : parseIpv4(text);
}

/** 4 bytes for an IPv4 address, 16 for an IPv6 one. */
export function ipToBuffer(text: string): Buffer {
  return parseIp(text) ?? bad(text, 'IP');
}

/** 4 or 6, or null if the text is not an address. */
export function ipFamily(text: string): 4 | 6 | null {
  const b = parseIp(text);
  return b ? (b.length === 4 ? 4 : 6) : null;
}

/** Text of a 4- or 16-byte address; IPv6 in RFC 5952 canonical form. */
export function bufferToIp(buf: Buffer): string {
  if (buf.length === 4) return `${buf[0]}.${buf[1]}.${buf[2]}.${buf[3]}`;
  if (buf.length !== 16) throw new KtsError('E_ADDR', `address must be 4 or 16 bytes, got ${buf.length}`);
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push(buf.readUInt16BE(i * 2));
  // RFC 5952 §5: IPv4-mapped addresses keep the dotted quad.
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    return `::ffff:${buf[12]}.${buf[13]}.${buf[14]}.${buf[15]}`;
  }
  // §4.2.1–4.2.3: shorten the longest run (first on a tie) of two or more zero groups.
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = g.map((x) => x.toString(16)); // §4.1 no leading zeros, §4.3 lowercase
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** Canonical text of any IPv4/IPv6 address text (compare addresses by this). */
export function canonicalIp(text: string): string {
  return bufferToIp(ipToBuffer(text));
}

/** Six bytes of a MAC written as six colon- (or dash-) separated hex bytes; null otherwise. */
export function parseMac(text: string): Buffer | null {
  const parts = text.split(/[:-]/);
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) return null;
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}

export function macToBuffer(text: string): Buffer {
  return parseMac(text) ?? bad(text, 'MAC');
}

/** Colon-separated lowercase hex of a link-layer address of any length (a MAC, a tunnel's IPv4 or IPv6 bytes). */
export function linkAddrText(buf: Buffer): string {
  return [...buf].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

export function bufferToMac(buf: Buffer): string {
  if (buf.length !== 6) throw new KtsError('E_ADDR', `MAC must be 6 bytes, got ${buf.length}`);
  return linkAddrText(buf);
}
