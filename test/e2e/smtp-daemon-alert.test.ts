/**
 * smtp_alert through the daemon (keepalived.conf(5) global_defs notification_email, smtp_server,
 * smtp_alert; plus our smtp_auth_user / smtp_auth_pass). The SMTP server runs INSIDE the daemon's
 * namespace (a small node script started with the host's spawn), on 127.0.0.1 there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withLab, type Host, type ProcessHandle } from '../helpers/lab';
import { repoRoot, startKeepalivedTs, vrrpConfig } from '../helpers/keepalived';
import { vrrpInfo } from '../helpers/pcap';
import { until } from '../helpers/bench-daemon';
import { logTimeMs, withDaemons } from '../helpers/e2e';

const PORT = 2525;

/** mode 'smtp': a real server printing one JSON line per mail; 'tarpit': accepts TCP and never greets. */
const SERVER_JS = `
const [, , smtpServerPath, mode, port] = process.argv;
if (mode === 'tarpit') {
  const net = require('node:net');
  net.createServer(() => {}).listen(Number(port), '127.0.0.1', () => console.log('LISTENING'));
} else {
  const { SMTPServer } = require(smtpServerPath);
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'], allowInsecureAuth: true, authOptional: false, logger: false,
    onAuth(auth, session, cb) {
      if (auth.username === 'kts' && auth.password === 's3cret') return cb(null, { user: auth.username });
      return cb(new Error('bad credentials'));
    },
    onData(stream, session, cb) {
      const chunks = [];
      stream.on('data', (c) => chunks.push(c));
      stream.on('end', () => {
        console.log('MAIL ' + JSON.stringify({ user: session.user, from: session.envelope.mailFrom.address,
          rcpt: session.envelope.rcptTo.map((r) => r.address), data: Buffer.concat(chunks).toString() }));
        cb();
      });
    },
  });
  server.listen(Number(port), '127.0.0.1', () => console.log('LISTENING'));
}
`;

function startServer(h: Host, dir: string, mode: 'smtp' | 'tarpit'): ProcessHandle {
  const js = path.join(dir, 'smtp-server.js');
  if (!fs.existsSync(js)) fs.writeFileSync(js, SERVER_JS);
  return h.spawn([process.execPath, js, path.join(repoRoot(), 'node_modules', 'smtp-server'), mode, String(PORT)], { label: `smtp-${mode}` });
}

interface Mail { user: string; from: string; rcpt: string[]; data: string }
const mails = (p: ProcessHandle): Mail[] => p.output().stdout.filter((l) => l.startsWith('MAIL ')).map((l) => JSON.parse(l.slice(5)) as Mail);
const subject = (m: Mail): string => /^Subject: (.*)$/m.exec(m.data)?.[1]?.trim() ?? '';

function daemonConfig(p: { state: 'MASTER' | 'BACKUP'; priority: number } = { state: 'MASTER', priority: 100 }): string {
  return vrrpConfig({
    state: p.state, priority: p.priority, vips: ['192.0.2.100/24'],
    extraGlobal: [
      'router_id lb-test', 'notification_email {', '  ops@example.org', '  noc@example.org', '}',
      'notification_email_from keepalived@example.org', `smtp_server 127.0.0.1 ${PORT}`, 'smtp_connect_timeout 3',
      'smtp_auth_user kts', 'smtp_auth_pass s3cret', 'smtp_starttls off',
    ],
    extraInstance: ['smtp_alert'],
  });
}

test('smtp_alert: becoming MASTER mails "[router_id] VRRP Instance VI_1 - Entering MASTER state" to every notification_email (with AUTH)', { timeout: 40_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-smtpd-'));
  try {
    await withLab({ hosts: 1, timeoutMs: 35_000 }, async (lab) => {
      const h1 = lab.hosts[0]!;
      const server = startServer(h1, dir, 'smtp');
      await server.waitForOutput(/LISTENING/, 5000);
      await withDaemons(async (keep) => {
        keep(startKeepalivedTs(h1, daemonConfig()));
        await h1.waitForAddress('192.0.2.100', { timeoutMs: 8000 });
        const m = await until('the MASTER mail', () => mails(server).find((x) => subject(x) === '[lb-test] VRRP Instance VI_1 - Entering MASTER state'), 5000);
        assert.equal(m.user, 'kts', 'authenticated with smtp_auth_user / smtp_auth_pass');
        assert.equal(m.from, 'keepalived@example.org');
        assert.deepEqual(m.rcpt, ['ops@example.org', 'noc@example.org']);
        assert.match(m.data, /^To: ops@example.org, noc@example.org/m);
        assert.match(m.data, /^X-Mailer: Keepalived/m);
        assert.match(m.data, /=> VRRP Instance is now owning VRRP VIPs <=/);
      }, { logLines: 30 });
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('smtp_alert: a hanging SMTP server does not delay the failover; the mail goes out once the server is back', { timeout: 60_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-smtpd-'));
  try {
    await withLab({ hosts: 1, timeoutMs: 55_000 }, async (lab) => {
      const h1 = lab.hosts[0]!;
      const tarpit = startServer(h1, dir, 'tarpit');
      await tarpit.waitForOutput(/LISTENING/, 5000);
      await withDaemons(async (keep) => {
        const d = keep(startKeepalivedTs(h1, daemonConfig()));
        const backupLine = await d.waitForLog(/\(VI_1\) Entering BACKUP STATE \(init\)/, 5000);
        const masterLine = await d.waitForLog(/\(VI_1\) Entering MASTER STATE/, 8000);
        // state MASTER below 255 becomes MASTER when its master-down timer expires: 3 × 1 s + skew (100) = 3.61 s
        const took = logTimeMs(masterLine) - logTimeMs(backupLine);
        assert.ok(took >= 3500 && took <= 3800, `MASTER after ${took} ms (expected ≈ 3610 ms, as without SMTP)`);
        await h1.waitForAddress('192.0.2.100', { timeoutMs: 1000 });
        await d.waitForLog(/Error connecting to SMTP server - will retry/, 8000);
        tarpit.kill('SIGKILL');
        await tarpit.wait();
        const server = startServer(h1, dir, 'smtp');
        await server.waitForOutput(/LISTENING/, 5000);
        const m = await until('the MASTER mail after the server came back', () => mails(server).find((x) => subject(x) === '[lb-test] VRRP Instance VI_1 - Entering MASTER state'), 20_000);
        assert.deepEqual(m.rcpt, ['ops@example.org', 'noc@example.org']);
        server.kill('SIGTERM');
      }, { logLines: 30 });
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('smtp_alert with the BACKUP\'s SMTP server refusing connections: kill -9 of the MASTER, the BACKUP\'s first advert comes Master_Down_Interval after the last one on the wire; the mail arrives once a server listens', { timeout: 90_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-smtpd-'));
  try {
    await withDaemons(async (keep) => {
      await withLab({ hosts: 2, timeoutMs: 85_000 }, async (lab) => {
        const [h1, h2] = lab.hosts as [Host, Host];
        // nothing listens on 127.0.0.1:PORT in h2: every connection is refused at once (RST)
        const m = keep(startKeepalivedTs(h1, vrrpConfig({ state: 'MASTER', priority: 100, vips: ['192.0.2.100/24'] })));
        await h1.waitForAddress('192.0.2.100', { timeoutMs: 8000 });
        const b = keep(startKeepalivedTs(h2, daemonConfig({ state: 'BACKUP', priority: 90 })));
        await b.waitForLog(/\(VI_1\) Entering BACKUP STATE/, 5000);
        const refused = await b.waitForLog(/Error connecting to SMTP server - will retry/, 5000);
        assert.equal((JSON.parse(refused) as { code: string }).code, 'E_SMTP_CONNECT');
        await new Promise((r) => setTimeout(r, 1500));

        const cap = await lab.capture('vrrp');
        await cap.waitFor((fs) => fs.some((f) => vrrpInfo(f.frame)?.src === h1.ip4), 3000);
        await m.kill9();
        await h2.waitForAddress('192.0.2.100', { timeoutMs: 6000 });
        await new Promise((r) => setTimeout(r, 300));
        const frames = await cap.stop();
        const v = frames.map((f) => ({ t: f.tsUs / 1000, i: vrrpInfo(f.frame) })).filter((x) => x.i && x.i.vrid === 51);
        const last = v.filter((x) => x.i!.src === h1.ip4).at(-1);
        const first = v.find((x) => x.i!.src === h2.ip4);
        assert.ok(last && first, 'adverts of both nodes captured');
        // RFC 3768 Master_Down_Interval for priority 90 at 1 s: 3 × 1000 + (256 − 90)/256 × 1000 = 3648.4 ms
        // (keepalived 2.2.7 measured 3648.9–3655.9 ms); the refused SMTP connections must not delay it
        const gap = first.t - last.t;
        assert.ok(gap >= 3600 && gap <= 3720, `BACKUP's first advert ${gap.toFixed(1)} ms after the MASTER's last (expected ≈ 3648 ms)`);
        assert.equal(first.i!.priority, 90);

        const server = startServer(h2, dir, 'smtp');
        await server.waitForOutput(/LISTENING/, 5000);
        const mail = await until('the MASTER mail once the server listens', () => mails(server).find((x) => subject(x) === '[lb-test] VRRP Instance VI_1 - Entering MASTER state'), 40_000);
        assert.deepEqual(mail.rcpt, ['ops@example.org', 'noc@example.org']);
        const subjects = mails(server).map(subject);
        assert.deepEqual(subjects, ['[lb-test] VRRP Instance VI_1 - Entering BACKUP state', '[lb-test] VRRP Instance VI_1 - Entering MASTER state'], 'the earlier BACKUP mail too, first');
        server.kill('SIGTERM');
      });
    }, { logLines: 30 });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
