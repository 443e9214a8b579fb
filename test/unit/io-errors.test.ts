/**
 * Idempotent netlink requests decide by errno: the errno name an IoError carries comes from the
 * failure's structure (Node's code, our addon's errno number, the netlink package's "Request
 * rejected: NAME"), and alreadyDone reads only that name, never the message text. Pure: the
 * errors are built here the way each source raises them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IoError, toIoError, alreadyDone } from '../../src/io/errors';

/** What the netlink package throws for an NLMSG_ERROR (netlink.js checkError). */
const netlinkReject = (name: string): Error => new Error(`Request rejected: ${name}`);

test('the errno of a netlink rejection, our addon (numeric errno) and a Node system error', () => {
  const nl = toIoError('E_NETLINK', 'add 192.0.2.100/24 dev eth0', netlinkReject('EEXIST'));
  assert.deepEqual([nl.code, nl.errno], ['E_NETLINK', 'EEXIST']);
  const addon = Object.assign(new Error('interface eth9: No such device'), { code: 'E_IO_NO_INTERFACE', errno: 19 });
  const a = toIoError('E_IO_SOCKET', 'AF_PACKET socket on eth9', addon);
  assert.deepEqual([a.code, a.errno], ['E_IO_NO_INTERFACE', 'ENODEV']);
  const node = Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT', errno: -2 });
  assert.deepEqual([toIoError('E_IO_ARG', 'sysctl', node).code, toIoError('E_IO_ARG', 'sysctl', node).errno], ['E_IO_ARG', 'ENOENT']);
  // raw-socket gives strerror text only
  assert.equal(toIoError('E_IO_SEND', 'send', new Error('Operation not permitted')).errno, undefined);
  // an E_ code that is not ours does not replace the caller's
  assert.equal(toIoError('E_NETLINK', 'x', Object.assign(new Error('bad'), { code: 'E_ADDR' })).code, 'E_NETLINK');
});

test('alreadyDone: add is done on EEXIST; del on EADDRNOTAVAIL (address), ESRCH (route), ENOENT (rule), ENODEV', () => {
  const rej = (name: string): IoError => toIoError('E_NETLINK', 'request', netlinkReject(name));
  assert.equal(alreadyDone('add', rej('EEXIST')), true);
  for (const name of ['EADDRNOTAVAIL', 'ESRCH', 'ENOENT', 'ENODEV']) {
    assert.equal(alreadyDone('del', rej(name)), true, name);
    assert.equal(alreadyDone('add', rej(name)), false, name);
  }
  assert.equal(alreadyDone('del', rej('EEXIST')), false);
  for (const name of ['EPERM', 'EINVAL', 'ENETUNREACH', 'ETIMEDOUT']) {
    assert.equal(alreadyDone('add', rej(name)), false, name);
    assert.equal(alreadyDone('del', rej(name)), false, name);
  }
});

test('alreadyDone never reads message text', () => {
  assert.equal(alreadyDone('add', new IoError('E_NETLINK', 'route already exists')), false);
  assert.equal(alreadyDone('add', new Error('Request rejected: EEXIST')), false); // not through src/io
  assert.equal(alreadyDone('del', new IoError('E_NETLINK', 'No such process: cannot assign')), false);
});
