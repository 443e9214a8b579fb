/**
 * DNS_CHECK's message codec (keepalived 2.2.7 check_dns.c dns_make_query / dns_recv_thread): one
 * question, RD set, class IN; the reply must carry the query's id, have QR set and RCODE 0. Pure.
 */

/** The types keepalived's DNS_CHECK accepts (check_dns.c DNS_TYPE[]). */
export const DNS_TYPES: Readonly<Record<string, number>> = {
  A: 1, NS: 2, CNAME: 5, SOA: 6, MX: 15, TXT: 16, AAAA: 28, RRSIG: 46, DNSKEY: 48,
};

export function dnsQuery(id: number, name: string, qtype: string): Buffer {
  const type = DNS_TYPES[qtype.toUpperCase()];
  if (type === undefined) throw new RangeError(`DNS_CHECK: unknown type ${qtype}`);
  const labels: Buffer[] = [];
  if (name !== '.') {
    for (const l of name.replace(/\.$/, '').split('.')) {
      const b = Buffer.from(l, 'latin1');
      labels.push(Buffer.from([b.length]), b);
    }
  }
  const head = Buffer.alloc(12);
  head.writeUInt16BE(id & 0xffff, 0);
  head.writeUInt16BE(0x0100, 2); // RD
  head.writeUInt16BE(1, 4); // QDCOUNT
  const tail = Buffer.alloc(5);
  tail.writeUInt16BE(type, 1);
  tail.writeUInt16BE(1, 3); // IN
  return Buffer.concat([head, ...labels, tail]);
}

/**
 * What a received datagram means for the query `id`: `ignore` (too short, another id, not a reply:
 * keepalived keeps waiting), `ok`, or `rcode` with the server's error code.
 */
export function dnsReply(id: number, msg: Buffer): { kind: 'ignore' } | { kind: 'ok' } | { kind: 'rcode'; rcode: number } {
  if (msg.length < 12) return { kind: 'ignore' };
  if (msg.readUInt16BE(0) !== (id & 0xffff)) return { kind: 'ignore' };
  const flags = msg.readUInt16BE(2);
  if (!(flags & 0x8000)) return { kind: 'ignore' };
  const rcode = flags & 0x000f;
  return rcode === 0 ? { kind: 'ok' } : { kind: 'rcode', rcode };
}
