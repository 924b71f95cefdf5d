import { forbidden, unauthenticated } from '../errors.ts';
import type { Actor, Role } from './roles.ts';

/**
 * The access policy, as data: for each action, which roles may do it on their own organisation's data (`own`)
 * and which deployment-wide roles may do it on any organisation (`any`). `signedIn` allows every signed-in user
 * (their data is then filtered by the service). Services call `authorize` before anything else.
 */
export type Rule = { own?: Role[]; any?: Role[]; signedIn?: true };

export const POLICY = {
  'organisation.list': { signedIn: true },
  'organisation.read': {
    own: ['reporter', 'manager', 'security_specialist', 'smd', 'board_viewer', 'commissioner', 'administrator'],
    any: ['administrator', 'national_assessor'],
  },
  'organisation.create': { any: ['administrator'] },
  'organisation.update': { own: ['administrator'], any: ['administrator'] },
  'organisation.import': { any: ['administrator'] },
  'site.manage': { own: ['administrator', 'security_specialist'], any: ['administrator'] },
  'headcount.manage': { own: ['administrator', 'security_specialist'], any: ['administrator'] },
  'user.manage': { own: ['administrator'], any: ['administrator'] },
  // Service tokens outlive the person who made them, so only deployment-wide administrators issue them.
  'token.manage': { any: ['administrator'] },
  // Anyone may hold personal tokens, each limited to one role they hold (checked by the tokens service).
  'token.personal': { signedIn: true },
  // A commissioner link opens a provider's aggregate data to the commissioner: deployment-wide decision.
  'commissioning.manage': { any: ['administrator'] },
  // Any member of staff reports incidents (SPEC C2) and sees what happened to their own reports (000 §7.2.6).
  'incident.report': { own: ['reporter'] },
  'incident.read_own': { own: ['reporter'] },
  // Case lists (issue 4 §13): the security team sees every case of its organisation; a manager only the cases
  // assigned to them (the service filters). Exports leave Warden, so only the security team makes them.
  'case.list': { own: ['security_specialist', 'smd', 'manager'] },
  'case.export': { own: ['security_specialist', 'smd'] },
  // A case (features/cases): the security team and the SMD read every case of their organisation, a manager only
  // the cases assigned to them (the service checks the assignment and hides the rest). Only the security team
  // (LSMS) triages, logs, sanctions and closes; the assigned manager records the manager's investigation.
  'case.read': { own: ['security_specialist', 'smd', 'manager'] },
  'case.manage': { own: ['security_specialist'] },
  'case.investigate': { own: ['manager'] },
  // Warning markers (SPEC C3, 003 §2.2.3.9): the LSMS places and reviews them; managers and the SMD read them.
  'marker.manage': { own: ['security_specialist'] },
  'marker.read': { own: ['security_specialist', 'smd', 'manager'] },
  // The audit trail: administrators and security specialists (LSMS) search their organisation's events; a
  // deployment-wide administrator searches every organisation's.
  'audit.search': { own: ['administrator', 'security_specialist'], any: ['administrator'] },
  // Standards frameworks (SPEC C5) are deployment-wide data: administrators load new versions; anyone signed in
  // may read them. The self review (002 §3.9–3.10) is prepared by the LSMS and the SMD and read by the board.
  'standards.load': { any: ['administrator'] },
  'standards.read': { signedIn: true },
  'review.edit': { own: ['security_specialist', 'smd'] },
  'review.read': { own: ['security_specialist', 'smd', 'board_viewer'] },
  // Sign-off is the Security Management Director's, with their second factor (002 std 1.1: the executive board
  // member responsible for security); so is reopening a signed review, with a reason. The LSMS or the SMD submits
  // the signed review to the commissioner(s) and the national body (002 §3.10).
  'review.sign': { own: ['smd'] },
  'review.reopen': { own: ['smd'] },
  'review.submit': { own: ['security_specialist', 'smd'] },
  // Oversight of submitted reviews (002 std 1.6, 1.7): a commissioner of the providers it commissions (the service
  // narrows to them), the national assessor of every organisation. Never drafts.
  'review.oversee': { own: ['commissioner'], any: ['national_assessor'] },
  // The annual report to the Board (002 std 1.5): kept by the LSMS and the SMD, signed off by the SMD, read by the
  // board.
  'annual_report.read': { own: ['security_specialist', 'smd', 'board_viewer'] },
  'annual_report.edit': { own: ['security_specialist', 'smd'] },
  'annual_report.sign': { own: ['smd'] },
  // A commissioner reads the signed annual reports of the providers it commissions (the service and the database
  // narrow to them; 002 std 1.6, 1.7). Never drafts.
  'annual_report.oversee': { own: ['commissioner'] },
  // Analysis and benchmarking (SPEC C4): the security team, the SMD and the Board read their organisation's
  // dashboard, peer benchmark and perception figures; the national assessor reads any organisation's. All of it is
  // aggregate: no incident details, no personal data.
  'analytics.read': { own: ['security_specialist', 'smd', 'board_viewer'], any: ['national_assessor'] },
  // A commissioner reads aggregates of the providers it commissions (the service checks the commissioning link;
  // `002 std 1.6, 1.7`), never identifiable incident details.
  'analytics.providers': { own: ['commissioner'] },
  // The national picture: every organisation's rate, rank and percentile (`004`: SIRS compared against it).
  'analytics.national': { any: ['national_assessor'] },
  // Staff-survey figures (`000 §8.2`: perception) are entered by the LSMS or SMD of the organisation; a deployment
  // administrator imports them for many organisations at once ('statistics.import').
  'survey.manage': { own: ['security_specialist', 'smd'] },
  // Published statistics from before Warden are deployment-wide data, imported by a deployment administrator.
  'statistics.import': { any: ['administrator'] },
} as const satisfies Record<string, Rule>;

export type Action = keyof typeof POLICY;

/** True when the actor may do `action` on data of `orgId` (or, without `orgId`, at all). */
export function can(actor: Actor, action: Action, orgId?: string | null): boolean {
  if (actor.kind === 'system') return true;
  const rule: Rule = POLICY[action];
  if (rule.signedIn) return true;
  if (rule.any?.some((r) => actor.globalRoles.includes(r))) return true;
  if (!rule.own || !actor.orgId) return false;
  if (orgId !== undefined && orgId !== actor.orgId) return false;
  return rule.own.some((r) => actor.roles.includes(r));
}

/** Throws 401/403 unless the actor may do `action` on data of `orgId`. */
export function authorize(actor: Actor | null, action: Action, orgId?: string | null): Actor {
  if (!actor) throw unauthenticated();
  if (!can(actor, action, orgId)) throw forbidden();
  return actor;
}
