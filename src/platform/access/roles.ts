/** The roles of SPEC C1. A role is held in one organisation, or deployment-wide where noted. */
export const ROLES = ['reporter', 'manager', 'security_specialist', 'smd', 'board_viewer', 'commissioner', 'national_assessor', 'administrator'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Record<Role, string> = {
  reporter: 'Reporter (any staff member)',
  manager: 'Line manager',
  security_specialist: 'Security specialist (LSMS)',
  smd: 'Security Management Director',
  board_viewer: 'Board member',
  commissioner: 'Commissioner',
  national_assessor: 'National quality assessor',
  administrator: 'Administrator',
};

/** Who is acting. `system` is the command line run by an operator on the server itself. */
export type Actor =
  | {
      kind: 'user';
      userId: string;
      name: string;
      email: string;
      /** The organisation the user is acting for, if any. */
      orgId: string | null;
      /** Roles held in `orgId`. */
      roles: Role[];
      /** Deployment-wide roles (system administrator, national assessor). */
      globalRoles: Role[];
      requestId?: string;
      /** Set when the request was authenticated by an API bearer token (src/features/tokens), not a session. */
      tokenId?: string;
    }
  | { kind: 'system'; requestId?: string };

export const systemActor: Actor = { kind: 'system' };

/** An organisation a user holds roles in, and those roles: what they could act as once they choose it. */
export type Membership = { orgId: string; roles: Role[] };

export function actorId(actor: Actor): string | null {
  return actor.kind === 'user' ? actor.userId : null;
}
