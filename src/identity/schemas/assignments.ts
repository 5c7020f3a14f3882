import { z } from "zod";

/**
 * Keystone reads `effective`, `include_names` and `include_subtree` as
 * key-only flags: present means true unless the value is exactly "0".
 */
export const flag = (v: string | undefined): boolean => v !== undefined && v !== "0";

const id = z.string().min(1).max(64);

/** GET /v3/role_assignments query, with Keystone's rules on which filters combine. */
export const RoleAssignmentsQuery = z
  .looseObject({
    "user.id": id.optional(),
    "group.id": id.optional(),
    "role.id": id.optional(),
    "scope.project.id": id.optional(),
    "scope.domain.id": id.optional(),
    "scope.system": z.string().optional(),
    "scope.OS-INHERIT:inherited_to": z.string().optional(),
    effective: z.string().optional(),
    include_names: z.string().optional(),
    include_subtree: z.string().optional(),
  })
  .superRefine((q, ctx) => {
    const fail = (message: string) => ctx.addIssue({ code: "custom", message });
    if (q["scope.domain.id"] && q["scope.project.id"]) fail("Specify a domain or project, not both");
    if (q["scope.domain.id"] && q["scope.system"]) fail("Specify system or domain, not both");
    if (q["scope.project.id"] && q["scope.system"]) fail("Specify system or project, not both");
    if (q["user.id"] && q["group.id"]) fail("Specify a user or group, not both");
    if (flag(q.effective)) {
      if (q["group.id"]) fail("Combining effective and group filter will always result in an empty list.");
      if (q["scope.OS-INHERIT:inherited_to"] === "projects" && q["scope.domain.id"])
        fail("Combining effective, domain and inherited filters will always result in an empty list.");
    }
    if (flag(q.include_subtree) && !q["scope.project.id"])
      fail("scope.project.id must be specified if include_subtree is also specified");
  });

export type RoleAssignmentsQueryT = z.infer<typeof RoleAssignmentsQuery>;
