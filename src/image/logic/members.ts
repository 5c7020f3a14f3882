/** Image members: the owner shares a `shared` image with projects; each member accepts or rejects it. */
import { ApiError, conflict, forbidden } from "../../core/errors.ts";
import type { Caller, ImageCtx } from "../ctx.ts";
import type { Member, MemberStatus } from "../store.ts";
import { canModify, visibleImage } from "./access.ts";

export const MEMBER_QUOTA = 128;

const memberNotFound = (id: string, member: string) => new ApiError(404, `${member} is not a member of image ${id}`);

/** The owner (or an admin) sees every member; a member sees only itself. */
export function listMembers(ctx: ImageCtx, c: Caller, id: string): Member[] {
  const img = visibleImage(ctx, c, id);
  if (img.visibility !== "shared") throw forbidden("Only shared images have members.");
  const all = ctx.store.members(id);
  if (c.isAdmin || img.owner === c.projectId) return all;
  return all.filter((m) => m.member === c.projectId);
}

export function showMember(ctx: ImageCtx, c: Caller, id: string, member: string): Member {
  const img = visibleImage(ctx, c, id);
  if (!c.isAdmin && img.owner !== c.projectId && member !== c.projectId) throw memberNotFound(id, member);
  const m = ctx.store.getMember(id, member);
  if (!m) throw memberNotFound(id, member);
  return m;
}

export function addMember(ctx: ImageCtx, c: Caller, id: string, member: string): Member {
  return ctx.store.tx(() => {
    const img = visibleImage(ctx, c, id);
    if (!canModify(c, img)) throw forbidden("You are not permitted to modify 'members' on this image.");
    if (img.visibility !== "shared") throw forbidden(`Image members can only be added to images with 'shared' visibility (this one is '${img.visibility}').`);
    if (ctx.store.getMember(id, member)) throw conflict(`Member ${member} already exists for image ${id}.`);
    if (ctx.store.countMembers(id) + 1 > MEMBER_QUOTA) throw new ApiError(413, `Attempted to add ${MEMBER_QUOTA + 1} image members, maximum ${MEMBER_QUOTA}`);
    const now = ctx.clock.now();
    const m: Member = { imageId: id, member, status: "pending", createdAt: now, updatedAt: now };
    ctx.store.addMember(m);
    return m;
  });
}

/** Only the member itself may accept or reject (the owner may not, Glance says 403). */
export function updateMember(ctx: ImageCtx, c: Caller, id: string, member: string, status: MemberStatus): Member {
  return ctx.store.tx(() => {
    const img = visibleImage(ctx, c, id);
    const m = ctx.store.getMember(id, member);
    if (!m) throw memberNotFound(id, member);
    if (member !== c.projectId || c.readOnly) {
      if (img.owner === c.projectId || c.isAdmin) throw forbidden("You are not permitted to modify 'status' on this image member.");
      throw memberNotFound(id, member);
    }
    ctx.store.setMemberStatus(id, member, status, ctx.clock.now());
    return ctx.store.getMember(id, member)!;
  });
}

export function removeMember(ctx: ImageCtx, c: Caller, id: string, member: string): void {
  ctx.store.tx(() => {
    const img = visibleImage(ctx, c, id);
    if (!canModify(c, img)) throw forbidden("You are not permitted to delete members of this image.");
    if (!ctx.store.removeMember(id, member)) throw memberNotFound(id, member);
  });
}
