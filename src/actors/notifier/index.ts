export {
  genericNotifyArgv, notifyInvocations, fifoLine, FifoWriter, STOP_NOTIFY_TIMEOUT_MS,
} from './notify';
export type { NotifyState, FifoEvent, NotifyScript, NotifyConfig, NotifyInvocation } from './notify';
export {
  checkScriptSecure, lookupUser, defaultScriptUser, unsafeComponent, securityViolationMessage, auditConfigScripts,
} from './security';
export type { ScriptCheck, UserIds, ScriptAudit, AuditLine, ConfiguredScript } from './security';
export {
  MailQueue, instanceAlert, groupAlert, realServerAlert, virtualServerAlert, shouldEmail, composeMail, createSmtpTransport,
  defaultRouterId,
} from './smtp';
export type { SmtpConfig, MailAlert, AlertState, MailQueueOptions, MailQueueStats } from './smtp';
