/** Tags on any mapped resource, kept per project in the EC2 API's own table. */
import type { Action } from "../common.ts";
import { applyFilters, paginate, UNKNOWN_FILTER } from "../common.ts";
import { ec2err } from "../errors.ts";
import { kindOf, type Kind } from "../store.ts";

const TYPE: Record<Kind, string> = {
  instance: "instance", image: "image", volume: "volume", snapshot: "snapshot", sg: "security-group", eip: "elastic-ip",
  eipassoc: "elastic-ip", vpc: "vpc", subnet: "subnet", keypair: "key-pair", reservation: "reservation",
};

function resources(c: Parameters<Action>[0]): string[] {
  const ids = c.p.list("ResourceId");
  if (!ids.length) throw ec2err("MissingParameter", "The request must contain the parameter resourceIdSet");
  for (const id of ids) {
    const k = kindOf(id);
    if (!k) throw ec2err("InvalidID", `The ID '${id}' is not valid`);
    if (k !== "keypair") c.store.uuidOf(k, id);
  }
  return ids;
}

export const CreateTags: Action = async (c) => {
  const ids = resources(c);
  const tags = c.p.tags("Tag");
  if (!tags.length) throw ec2err("MissingParameter", "The request must contain the parameter tagSet");
  for (const t of tags) {
    if (!t.key || t.key.length > 127 || t.value.length > 255) throw ec2err("InvalidParameterValue", `Tag key must be 1-127 and value at most 255 characters: ${t.key}`);
    if (t.key.startsWith("aws:")) throw ec2err("InvalidParameterValue", "Tag keys starting with 'aws:' are reserved for internal use");
  }
  for (const id of ids) {
    const have = c.store.tagsOf(c.os.projectId, id);
    const keys = new Set([...have.map((t) => t.key), ...tags.map((t) => t.key)]);
    if (keys.size > 50) throw ec2err("TagLimitExceeded", `The maximum number of tags for resource ${id} has been reached.`);
  }
  c.store.setTags(c.os.projectId, ids, tags);
  return { return: true };
};

export const DeleteTags: Action = async (c) => {
  const ids = resources(c);
  const tags = c.p.structs("Tag").map((t) => ({ key: t.required("Key"), value: t.get("Value") }));
  c.store.deleteTags(c.os.projectId, ids, tags);
  return { return: true };
};

export const DescribeTags: Action = async (c) => {
  let rows = c.store.allTags(c.os.projectId).map((t) => ({
    resourceId: t.resource_id,
    resourceType: TYPE[kindOf(t.resource_id) ?? "instance"],
    key: t.key,
    value: t.value,
  }));
  rows = applyFilters(rows, c.p.filters(), (r, n) =>
    n === "resource-id" ? r.resourceId : n === "resource-type" ? r.resourceType : n === "key" ? r.key : n === "value" ? r.value
      : n.startsWith("tag:") ? (r.key === n.slice(4) ? r.value : undefined) : UNKNOWN_FILTER,
  );
  const { page, nextToken } = paginate(rows, c.p);
  return { tagSet: page, nextToken };
};
