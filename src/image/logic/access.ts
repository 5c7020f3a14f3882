/** Glance's visibility and ownership rules. */
import { ApiError, forbidden } from "../../core/errors.ts";
import type { Caller, ImageCtx } from "../ctx.ts";
import type { Image } from "../store.ts";

export const imageNotFound = (id: string) => new ApiError(404, `No image found with ID ${id}`);

/** May the caller see this image? Owner, admin, public and community images, and members of a shared image (any member status). */
export function canSee(ctx: ImageCtx, c: Caller, img: Image): boolean {
  if (c.isAdmin) return true;
  if (img.owner && img.owner === c.projectId) return true;
  if (img.visibility === "public" || img.visibility === "community") return true;
  if (img.visibility === "shared" && c.projectId) return !!ctx.store.getMember(img.id, c.projectId);
  return false;
}

/** The image if the caller may see it, else 404 (never 403: an invisible image does not exist). */
export function visibleImage(ctx: ImageCtx, c: Caller, id: string): Image {
  const img = ctx.store.get(id);
  if (!img || !canSee(ctx, c, img)) throw imageNotFound(id);
  return img;
}

/** May the caller change this image? Its owner (member role or above) or an admin. */
export function canModify(c: Caller, img: Image): boolean {
  if (c.isAdmin) return true;
  return !c.readOnly && !!img.owner && img.owner === c.projectId;
}

/** The image for a change: 404 when invisible, 403 when visible but not the caller's. */
export function modifiableImage(ctx: ImageCtx, c: Caller, id: string, what = "modify"): Image {
  const img = visibleImage(ctx, c, id);
  if (!canModify(c, img)) throw forbidden(`You are not permitted to ${what} this image.`);
  return img;
}
