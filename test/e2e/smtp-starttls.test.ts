/**
 * SMTP alerts over STARTTLS (our global_defs keywords, config/README.md): `smtp_starttls off |
 * opportunistic | require` and `smtp_tls_ca_file PATH`. A real smtp-server on 127.0.0.1 offers (or does
 * not offer) STARTTLS with a self-signed certificate made by openssl for this test; the server records
 * whether each mail arrived over a TLS session.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { MailQueue, instanceAlert, smtpErrorCode, type SmtpConfig } from '../../src/actors/notifier/smtp';
import { smtpConfigOf } from '../../src/daemon/notify-dispatch';
import { parseConfig } from '../../src/config';

interface Received { secure: boolean; subject: string }
interface LogLine { level: string; obj: Record<string, unknown>; msg: string }

let dir = '';
let key: Buffer;
let cert: Buffer;
let caFile = '';

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-starttls-'));
  // a self-signed certificate for 127.0.0.1 / localhost, valid one day (fails loudly without openssl)
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
  ], { stdio: 'pipe' });
  key = fs.readFileSync(path.join(dir, 'key.pem'));
  cert = fs.readFileSync(path.join(dir, 'cert.pem'));
  caFile = path.join(dir, 'cert.pem');
});

after(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function startServer(starttls: boolean, received: Received[]): Promise<{ server: SMTPServer; port: number }> {
  const server = new SMTPServer({
    secure: false,
    ...(starttls ? { key, cert } : { disabledCommands: ['STARTTLS'] }),
    authOptional: true,
    logger: false,
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({ secure: session.secure, subject: /^Subject: (.*)\r$/m.exec(Buffer.concat(chunks).toString())?.[1] ?? '' });
        cb();
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.server.address() as net.AddressInfo).port));
  });
  return { server, port };
}

const closeServer = (s: SMTPServer) => new Promise<void>((r) => s.close(() => r()));

function queue(cfg: Partial<SmtpConfig> & { port: number }, logs: LogLine[]): MailQueue {
  const at = (level: string) => (obj: object, msg?: string) => logs.push({ level, obj: obj as Record<string, unknown>, msg: msg ?? '' });
  return new MailQueue(
    { host: '127.0.0.1', to: ['ops@example.org'], from: 'keepalived@example.org', connectTimeoutMs: 2000, ...cfg },
    { initialBackoffMs: 100, maxBackoffMs: 200, log: { info: at('info'), warn: at('warn'), error: at('error') } as never },
  );
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('smtp_starttls require + smtp_tls_ca_file: the alert is delivered inside a STARTTLS session', async () => {
  const received: Received[] = [];
  const { server, port } = await startServer(true, received);
  const logs: LogLine[] = [];
  const q = queue({ port, starttls: 'require', tlsCaFile: caFile }, logs);
  try {
    q.enqueue(instanceAlert('lb1', 'VI_1', 'MASTER'));
    await q.idle();
    assert.deepEqual(received, [{ secure: true, subject: '[lb1] VRRP Instance VI_1 - Entering MASTER state' }]);
    assert.equal(q.stats.retries, 0);
  } finally {
    q.close();
    await closeServer(server);
  }
});

test('smtp_starttls require against a server without STARTTLS: nothing is sent in clear, the failure is logged as E_SMTP_TLS and retried', async () => {
  const received: Received[] = [];
  const { server, port } = await startServer(false, received);
  const logs: LogLine[] = [];
  const q = queue({ port, starttls: 'require', tlsCaFile: caFile }, logs);
  try {
    q.enqueue(instanceAlert('lb1', 'VI_1', 'MASTER'));
    await until(() => q.stats.retries >= 2, 5000, 'two failed attempts');
    assert.equal(received.length, 0, 'no mail reached the server');
    assert.equal(q.stats.sent, 0);
    const w = logs.filter((l) => l.level === 'warn');
    assert.ok(w.length >= 2, 'each failed attempt is logged');
    assert.equal(w[0]!.obj['code'], 'E_SMTP_TLS');
    assert.match(w[0]!.msg, /TLS failure - alert not sent, will retry/);
  } finally {
    q.close();
    await closeServer(server);
  }
});

test('smtp_starttls opportunistic: TLS when the server offers STARTTLS, plain SMTP when it does not', async () => {
  for (const offered of [true, false]) {
    const received: Received[] = [];
    const { server, port } = await startServer(offered, received);
    const q = queue({ port, starttls: 'opportunistic', tlsCaFile: caFile }, []);
    try {
      q.enqueue(instanceAlert('lb1', 'VI_1', 'BACKUP'));
      await q.idle();
      assert.deepEqual(received.map((r) => r.secure), [offered], `STARTTLS ${offered ? '' : 'not '}offered`);
    } finally {
      q.close();
      await closeServer(server);
    }
  }
});

test('smtp_starttls off (keepalived\'s plain SMTP) does not use STARTTLS even when offered', async () => {
  const received: Received[] = [];
  const { server, port } = await startServer(true, received);
  const q = queue({ port, starttls: 'off' }, []);
  try {
    q.enqueue(instanceAlert('lb1', 'VI_1', 'FAULT'));
    await q.idle();
    assert.deepEqual(received.map((r) => r.secure), [false]);
  } finally {
    q.close();
    await closeServer(server);
  }
});

test('the server certificate is verified: a self-signed certificate not in smtp_tls_ca_file (system CAs) is refused with E_SMTP_TLS', async () => {
  const received: Received[] = [];
  const { server, port } = await startServer(true, received);
  const logs: LogLine[] = [];
  // opportunistic too: a certificate that fails verification is not a reason to fall back to clear text
  for (const starttls of ['require', 'opportunistic'] as const) {
    const q = queue({ port, starttls }, logs);
    try {
      q.enqueue(instanceAlert('lb1', 'VI_1', 'MASTER'));
      await until(() => q.stats.retries >= 1, 5000, `a failed attempt (${starttls})`);
    } finally {
      q.close();
    }
  }
  await closeServer(server);
  assert.equal(received.length, 0);
  const w = logs.filter((l) => l.level === 'warn');
  assert.ok(w.length >= 2 && w.every((l) => l.obj['code'] === 'E_SMTP_TLS'), JSON.stringify(w.map((l) => l.obj)));
});

test('smtp_tls_ca_file that cannot be read: logged as E_SMTP_TLS_CA and no certificate is trusted (no fallback to the system CAs)', async () => {
  const received: Received[] = [];
  const { server, port } = await startServer(true, received);
  const logs: LogLine[] = [];
  const q = queue({ port, starttls: 'require', tlsCaFile: path.join(dir, 'missing.pem') }, logs);
  try {
    assert.ok(logs.some((l) => l.level === 'error' && l.obj['code'] === 'E_SMTP_TLS_CA'), 'CA file error logged at start');
    q.enqueue(instanceAlert('lb1', 'VI_1', 'MASTER'));
    await until(() => q.stats.retries >= 1, 5000, 'a failed attempt');
    assert.equal(received.length, 0);
  } finally {
    q.close();
    await closeServer(server);
  }
});

test('smtpErrorCode classifies delivery failures', () => {
  assert.equal(smtpErrorCode({ code: 'ETLS', message: 'No STARTTLS' }), 'E_SMTP_TLS');
  assert.equal(smtpErrorCode({ code: 'ESOCKET', message: 'self-signed certificate' }), 'E_SMTP_TLS');
  assert.equal(smtpErrorCode({ code: 'EAUTH', responseCode: 535, message: 'Invalid login' }), 'E_SMTP_AUTH');
  assert.equal(smtpErrorCode({ code: 'EENVELOPE', responseCode: 550, message: 'no such user' }), 'E_SMTP_REJECTED');
  assert.equal(smtpErrorCode({ code: 'ETIMEDOUT', message: 'Connection timeout' }), 'E_SMTP_TIMEOUT');
  assert.equal(smtpErrorCode({ code: 'ESOCKET', message: 'connect ECONNREFUSED 127.0.0.1:25' }), 'E_SMTP_CONNECT');
});

test('global_defs smtp_tls_ca_file reaches the SMTP configuration', () => {
  const conf = path.join(dir, 'k.conf');
  fs.writeFileSync(conf, [
    'global_defs {', '  notification_email {', '    ops@example.org', '  }', '  smtp_server 192.0.2.25 587',
    '  smtp_starttls require', `  smtp_tls_ca_file ${caFile}`, '}', '',
  ].join('\n'));
  const r = parseConfig(conf, {});
  assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'error'), []);
  const smtp = smtpConfigOf(r.config.globalDefs);
  assert.equal(smtp?.starttls, 'require');
  assert.equal(smtp?.tlsCaFile, caFile);
});
