/**
 * The path of a page that belongs to organisation `orgId`, as Warden's e-mails give it. Someone with roles in
 * several organisations may open it while acting for another one, or for none yet: Warden then asks them to
 * choose that organisation and goes on to the page (`organisationLink`, features/identity/routes.ts), where the
 * bare path would answer "not found" or "choose an organisation" with no way back.
 */
export function pathFor(path: string, orgId: string): string {
  return `${path}${path.includes('?') ? '&' : '?'}for=${encodeURIComponent(orgId)}`;
}
