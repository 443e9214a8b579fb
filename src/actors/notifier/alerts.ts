/**
 * The texts of keepalived's e-mail alerts (subjects and bodies as core/smtp.c and vrrp_notify.c
 * write them) and its "same state twice ⇒ no mail" filter. Pure: kept apart from smtp.ts so the
 * main thread (LVS alerts) composes alerts without loading nodemailer (RSS, issue 13).
 */
import os from 'node:os';

export interface MailAlert {
  subject: string;
  body: string;
}

export type AlertState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP';

const INSTANCE_TEXT: Record<AlertState, [string, string]> = {
  MASTER: ['Entering MASTER state', '=> VRRP Instance is now owning VRRP VIPs <='],
  BACKUP: ['Entering BACKUP state', '=> VRRP Instance is no longer owning VRRP VIPs <='],
  FAULT: ['Entering FAULT state', '=> VRRP Instance is no longer owning VRRP VIPs <='],
  STOP: ['Stopping', '=> VRRP Instance stopping <='],
};
const GROUP_TEXT: Record<AlertState, [string, string]> = {
  MASTER: ['Entering MASTER state', '=> All VRRP group instances are now in MASTER state <='],
  BACKUP: ['Entering BACKUP state', '=> All VRRP group instances are now in BACKUP state <='],
  FAULT: ['Entering FAULT state', '=> All VRRP group instances are now in FAULT state <='],
  STOP: ['Stopping', '=> All VRRP group instances are now stopping <='],
};

export function defaultRouterId(): string {
  return os.hostname();
}

export function instanceAlert(routerId: string, instance: string, state: AlertState): MailAlert {
  const [s, body] = INSTANCE_TEXT[state];
  return { subject: `[${routerId}] VRRP Instance ${instance} - ${s}`, body };
}

export function groupAlert(routerId: string, group: string, state: AlertState): MailAlert {
  const [s, body] = GROUP_TEXT[state];
  return { subject: `[${routerId}] VRRP Group ${group} - ${s}`, body };
}

/** Checker alert for a real server; `rs` / `vs` as keepalived formats them (e.g. "[192.0.2.21]:tcp:80"). */
export function realServerAlert(routerId: string, rs: string, vs: string, up: boolean, body: string): MailAlert {
  return { subject: `[${routerId}] Realserver ${rs} of virtual server ${vs} - ${up ? 'UP' : 'DOWN'}`, body };
}

export function virtualServerAlert(routerId: string, vs: string, text: string, body: string): MailAlert {
  return { subject: `[${routerId}] Virtualserver ${vs} - ${text}`, body };
}

/** keepalived's vrrp_smtp_notifier() filter: same state twice ⇒ no mail; FAULT skipped with no_email_faults. */
export function shouldEmail(lastEmailed: AlertState | undefined, state: AlertState, noEmailFaults = false): boolean {
  if (noEmailFaults && state === 'FAULT') return false;
  return lastEmailed !== state;
}
