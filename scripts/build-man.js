#!/usr/bin/env node
'use strict';
// Writes the man page keepalived-ts(8) to dist/man/keepalived-ts.8 (after `npm run build`): the
// OPTIONS section comes from the command line's own usage text (dist/src/cli.js usageText()), so the
// page cannot drift from `keepalived-ts -h`; the rest is below.
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const cli = require(path.join(root, process.env.KTS_DIST || 'dist', 'src', 'cli.js'));
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

/** roff-escape a line of text: backslashes, hyphens (minus signs in options), leading dots/quotes. */
const esc = (s) => s.replace(/\\/g, '\\e').replace(/-/g, '\\-').replace(/^([.'])/, '\\&$1');

/** `  -f, --use-file=FILE   text` items, continuation lines indented past the option column. */
function options(usage) {
  const items = [];
  const lines = usage.split('\n').slice(1);
  const col = /^(\s+-\S.*?\s{2,})\S/.exec(lines[0])[1].length; // where the descriptions start
  for (const line of lines) {
    if (!line.trim()) continue;
    const m = /^\s{2,6}(-\S.*?)(?:\s{2,}(.*))?$/.exec(line);
    if (m && m[2] === undefined && line.length > col && line[col - 1] === ' ') items.push({ opt: line.slice(0, col).trim(), text: [line.slice(col)] });
    else if (m && !/^\s{10,}/.test(line)) items.push({ opt: m[1].trim(), text: [m[2] ?? ''] });
    else if (items.length) items[items.length - 1].text.push(line.trim());
  }
  return items.map((i) => `.TP\n.B ${esc(i.opt)}\n${esc(i.text.join(' ').trim())}`).join('\n');
}

const date = new Date(Number(process.env.SOURCE_DATE_EPOCH || 0) * 1000 || Date.now()).toISOString().slice(0, 10);
const page = `.TH KEEPALIVED\\-TS 8 "${date}" "keepalived\\-ts ${pkg.version}" "System Administration"
.SH NAME
keepalived\\-ts \\- high\\-availability daemon (VRRP, LVS) compatible with keepalived
.SH SYNOPSIS
.B keepalived\\-ts
.RI [ OPTION ...]
.SH DESCRIPTION
.B keepalived\\-ts
reads keepalived's
.BR keepalived.conf (5)
unchanged, takes keepalived's command line and speaks VRRP (RFC 3768, RFC 5798) like keepalived 2.2.7.
Without
.B \\-n
it runs in the background: the command returns once every VRRP instance has started and the
control socket listens, or exits with the daemon's status when it cannot start.
Logs go to syslog (idents Keepalived, Keepalived_vrrp, Keepalived_healthcheckers) unless
.BR \\-G ,
to the console with
.BR \\-l ,
and to a file with
.BR \\-g .
.SH OPTIONS
${options(cli.usageText())}
.SH SIGNALS
The signal for each function is printed by
.BR "keepalived\\-ts \\-\\-signum=" \\fIFUNCTION\\fR,
as with keepalived.
.TP
.B SIGHUP (RELOAD)
Reload the configuration: unchanged instances are untouched, changed ones keep their state.
.TP
.B SIGTERM, SIGINT (STOP)
Stop: send priority 0 adverts, release the virtual addresses (unless \\-\\-dont\\-release\\-vrrp), remove the pid files.
.TP
.B SIGUSR1 (DATA)
Write the state dump to /tmp/keepalived.data.
.TP
.B SIGUSR2 (STATS)
Write the statistics to /tmp/keepalived.stats.
.TP
.B JSON, STATS_CLEAR
Real\\-time signals as keepalived numbers them (see \\-\\-signum): the JSON dump to /tmp/keepalived.json,
and the statistics with their counters cleared.
.SH FILES
.TP
.I /etc/keepalived/keepalived.conf
The configuration (\\-f).
.TP
.I /etc/default/keepalived\\-ts
Options for the systemd unit (DAEMON_ARGS).
.TP
.I /run/keepalived.pid
The pid file (\\-p, \\-r).
.TP
.I /run/keepalived\\-ts/control.sock
The control socket (\\-\\-control\\-socket), read by \\-\\-dump\\-state.
.TP
.I /tmp/keepalived.data, /tmp/keepalived.stats, /tmp/keepalived.json
The dumps written on SIGUSR1, SIGUSR2 and the JSON signal.
.TP
.I /dev/log
The syslog socket.
.SH EXIT STATUS
.TP
.B 0
The daemon ran and stopped, or (without \\-n) it started; \\-t: the configuration is valid.
.TP
.B 1
A usage error.
.TP
.B 3
The configuration cannot be used (missing or unreadable file, fatal errors), or the daemon is already running.
.TP
.B 4
\\-t: the configuration has errors but would run.
.TP
.B 5
\\-t: script security errors.
.SH SEE ALSO
.BR keepalived (8),
.BR keepalived.conf (5),
.BR systemd.unit (5)
`;
const out = path.join(root, process.env.KTS_DIST || 'dist', 'man', 'keepalived-ts.8');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, page);
