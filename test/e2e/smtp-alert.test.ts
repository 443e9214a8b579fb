import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { SMTPServer } from 'smtp-server';
import { MailQueue, instanceAlert, groupAlert } from '../../src/actors/notifier/smtp';

interface Received { from: string; rcpt: string[]; data: string; helo: string }

function startServer(port: number, received: Received[]): Promise<SMTPServer> {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          rcpt: session.envelope.rcptTo.map((r) => r.address),
          data: Buffer.concat(chunks).toString(),
          helo: session.hostNameAppearsAs,
        });
        cb();
      });
    },
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const closeServer = (s: SMTPServer) => new Promise<void>((r) => s.close(() => r()));

test('smtp_alert: the mail arrives with keepalived\'s subject, headers and recipients', async () => {
  const port = await freePort();
  const received: Received[] = [];
  const server = await startServer(port, received);
  const q = new MailQueue({
    host: '127.0.0.1', port, heloName: 'lb1.example.org', from: 'keepalived@example.org',
    to: ['ops@example.org', 'noc@example.org'], connectTimeoutMs: 2000,
  }, { initialBackoffMs: 50 });
  try {
    q.enqueue(instanceAlert('lb1', 'VI_1', 'MASTER'));
    q.enqueue(groupAlert('lb1', 'VG_1', 'BACKUP'));
    await q.idle();
    assert.equal(received.length, 2);
    const m = received[0]!;
    assert.equal(m.from, 'keepalived@example.org');
    assert.deepEqual(m.rcpt, ['ops@example.org', 'noc@example.org']);
    assert.equal(m.helo, 'lb1.example.org');
    assert.match(m.data, /^Subject: \[lb1\] VRRP Instance VI_1 - Entering MASTER state\r$/m);
    assert.match(m.data, /^From: keepalived@example.org\r$/m);
    assert.match(m.data, /^To: ops@example.org, noc@example.org\r$/m);
    assert.match(m.data, /^X-Mailer: Keepalived\r$/m);
    assert.match(m.data, /^Date: /m);
    assert.match(m.data, /=> VRRP Instance is now owning VRRP VIPs <=/);
    assert.match(received[1]!.data, /^Subject: \[lb1\] VRRP Group VG_1 - Entering BACKUP state\r$/m);
    assert.equal(q.stats.sent, 2);
  } finally {
    q.close();
    await closeServer(server);
  }
});

test('smtp_alert with the server down: enqueue returns at once and the mail is delivered once the server starts', async () => {
  const port = await freePort();
  const received: Received[] = [];
  const q = new MailQueue({ host: '127.0.0.1', port, to: ['ops@example.org'], from: 'k@example.org', connectTimeoutMs: 1000 },
    { initialBackoffMs: 100, maxBackoffMs: 400 });
  let server: SMTPServer | undefined;
  try {
    const t0 = process.hrtime.bigint();
    q.enqueue(instanceAlert('lb1', 'VI_1', 'FAULT'));
    const enqueueMs = Number(process.hrtime.bigint() - t0) / 1e6;
    assert.ok(enqueueMs < 20, `enqueue took ${enqueueMs} ms`);
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(received.length, 0);
    assert.ok(q.stats.retries >= 2, `retried ${q.stats.retries} times while the server was down`);
    server = await startServer(port, received);
    const deadline = Date.now() + 5000;
    while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(received.length, 1);
    assert.match(received[0]!.data, /^Subject: \[lb1\] VRRP Instance VI_1 - Entering FAULT state\r$/m);
    assert.equal(q.length, 0);
  } finally {
    q.close();
    if (server) await closeServer(server);
  }
});

test('smtp_alert queue is bounded: the oldest alert is dropped with a warning', async () => {
  const warnings: string[] = [];
  const sent: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const q = new MailQueue({ host: '127.0.0.1', to: ['a@example.org'] }, {
    maxQueue: 2,
    log: { info: () => {}, error: () => {}, warn: ((_o: unknown, msg: string) => warnings.push(msg)) as never },
    send: async (m) => { await gate; sent.push(String(m.subject)); },
  });
  q.enqueue(instanceAlert('r', 'VI_1', 'BACKUP'));
  await new Promise((r) => setImmediate(r)); // first one is in flight
  q.enqueue(instanceAlert('r', 'VI_1', 'MASTER'));
  q.enqueue(instanceAlert('r', 'VI_1', 'FAULT'));
  q.enqueue(instanceAlert('r', 'VI_1', 'STOP'));
  release();
  await q.idle();
  q.close();
  assert.equal(q.stats.dropped, 1);
  assert.deepEqual(warnings, ['SMTP alert queue full - dropping oldest alert']);
  assert.deepEqual(sent, ['[r] VRRP Instance VI_1 - Entering BACKUP state', '[r] VRRP Instance VI_1 - Entering FAULT state', '[r] VRRP Instance VI_1 - Stopping']);
});
