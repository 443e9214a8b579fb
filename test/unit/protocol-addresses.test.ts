/** Address text helpers: RFC 5952 canonical IPv6 text, RFC 4291 §2.2 input forms, MAC text. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ipToBuffer, bufferToIp, canonicalIp, macToBuffer, bufferToMac, ipFamily, parseIp, parseMac, linkAddrText } from '../../src/protocol';

test('RFC 5952 §4: IPv6 addresses print in canonical form', () => {
  const cases: [string, string][] = [
    ['2001:0db8:0000:0000:0000:0000:0000:0100', '2001:db8::100'], // §4.1 leading zeros, §4.2.1 longest run
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],                // §4.2.3 first of equal runs
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],             // §4.2.2 a single 0 group stays
    ['2001:DB8::AB', '2001:db8::ab'],                             // §4.3 lowercase
    ['FE80::C0FF:FE00:20B', 'fe80::c0ff:fe00:20b'],
    ['::', '::'], ['::1', '::1'], ['ff02::12', 'ff02::12'], ['1::', '1::'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],                       // §5 IPv4-mapped keeps dotted quad
    ['fe80::1%veth0', 'fe80::1'],
  ];
  for (const [input, want] of cases) assert.equal(canonicalIp(input), want, input);
});

test('IPv4 text round-trips and bad text is refused with E_ADDR', () => {
  assert.deepEqual(ipToBuffer('192.0.2.100'), Buffer.from([192, 0, 2, 100]));
  assert.equal(bufferToIp(Buffer.from([198, 51, 100, 7])), '198.51.100.7');
  for (const badText of ['192.0.2', '192.0.2.256', '192.0.2.01', '1:2:3:4:5:6:7:8:9', '1::2::3', 'zz::', '', '2001:db8::1::']) {
    assert.throws(() => ipToBuffer(badText), { code: 'E_ADDR' }, badText);
    assert.equal(ipFamily(badText), null);
  }
  assert.equal(ipFamily('2001:db8::1'), 6);
  assert.equal(ipFamily('192.0.2.1'), 4);
});

test('MAC text round-trips in lowercase', () => {
  assert.equal(bufferToMac(macToBuffer('02:00:C0:00:02:0B')), '02:00:c0:00:02:0b');
  assert.throws(() => macToBuffer('02:00:c0:00:02'), { code: 'E_ADDR' });
});

test('parseIp: 4 or 16 bytes, a zone dropped, embedded dotted quad (RFC 4291 §2.2 form 3); null, never a throw, on bad text', () => {
  assert.deepEqual(parseIp('198.51.100.7'), Buffer.from([198, 51, 100, 7]));
  assert.equal(parseIp('fe80::c0ff:fe00:20b')?.toString('hex'), 'fe800000000000000000c0fffe00020b');
  assert.deepEqual(parseIp('fe80::c0ff:fe00:20b%eth0'), parseIp('fe80::c0ff:fe00:20b'));
  assert.equal(parseIp('::ffff:192.0.2.1')?.toString('hex'), '00000000000000000000ffffc0000201');
  assert.equal(parseIp('1:2:3:4:5:6:7:8')?.toString('hex'), '00010002000300040005000600070008');
  for (const bad of ['', '192.0.2.1/24', '192.0.2.1.5', '::ffff:192.0.2', '1:2:3:4:5:6:7:8::', ':::', 'g::1', '12345::']) assert.equal(parseIp(bad), null, bad);
});

test('parseMac takes colons or dashes; link addresses of any length print as colon-separated hex', () => {
  assert.equal(parseMac('00-00-5E-00-01-33')?.toString('hex'), '00005e000133');
  assert.equal(parseMac('00:00:5e:00:01'), null);
  assert.equal(parseMac('00:00:5e:00:01:333'), null);
  assert.equal(linkAddrText(Buffer.from([192, 0, 2, 11])), 'c0:00:02:0b'); // an ipip tunnel's "MAC"
  assert.throws(() => bufferToMac(Buffer.from([192, 0, 2, 11])), { code: 'E_ADDR' });
});
