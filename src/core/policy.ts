import type { AuthContext } from "./auth.ts";
import { forbidden } from "./errors.ts";

/** Roles as Keystone's default policy sees them: admin ⊃ member ⊃ reader (via implied roles). */
export const isAdmin = (a: AuthContext) => a.roles.includes("admin");
export const isMember = (a: AuthContext) => isAdmin(a) || a.roles.includes("member");
export const isReader = (a: AuthContext) => isMember(a) || a.roles.includes("reader");

export function requireAdmin(a: AuthContext): void {
  if (!isAdmin(a)) throw forbidden();
}
export function requireMember(a: AuthContext): void {
  if (!isMember(a)) throw forbidden();
}

/** The project a project-scoped call acts on; 403 for tokens not scoped to a project. */
export function scopedProject(a: AuthContext): string {
  if (!a.projectId) throw forbidden("A project-scoped token is required.");
  return a.projectId;
}

/** May the caller act on resources of `projectId`? Admins may act on any project. */
export function ownsOrAdmin(a: AuthContext, projectId: string): boolean {
  return isAdmin(a) || a.projectId === projectId;
}
