/**
 * The Internet checksum, RFC 1071: the 16-bit one's complement of the one's complement sum of
 * the data taken as big-endian 16-bit words. The buffers are summed as one byte stream, so an
 * odd-length buffer followed by another still pairs bytes correctly; a final odd byte is padded
 * with a zero byte (§1 step 1). Verifying: the checksum over data that includes a correct
 * checksum field is 0.
 */
export function inetChecksum(...bufs: Buffer[]): number {
  let sum = 0;
  let odd = false; // true when the next byte is the low half of a word
  for (const b of bufs) {
    for (let i = 0; i < b.length; i++) {
      sum += odd ? b[i] : b[i] << 8;
      odd = !odd;
    }
    sum = (sum % 0x10000) + Math.floor(sum / 0x10000); // fold (exact for any length below 2^53)
  }
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/** IPv4 pseudo-header (RFC 768 / RFC 5798 §5.2.8): src, dst, zero, protocol, length. */
export function ipv4PseudoHeader(src: Buffer, dst: Buffer, protocol: number, length: number): Buffer {
  const p = Buffer.alloc(12);
  src.copy(p, 0);
  dst.copy(p, 4);
  p[9] = protocol;
  p.writeUInt16BE(length, 10);
  return p;
}

/** IPv6 pseudo-header (RFC 8200 §8.1): src, dst, 32-bit length, 3 zero bytes, next header. */
export function ipv6PseudoHeader(src: Buffer, dst: Buffer, nextHeader: number, length: number): Buffer {
  const p = Buffer.alloc(40);
  src.copy(p, 0);
  dst.copy(p, 16);
  p.writeUInt32BE(length, 32);
  p[39] = nextHeader;
  return p;
}
