/**
 * The Query API's flattened parameters: `InstanceId.1=…`, `Filter.1.Name=…`,
 * `Filter.1.Value.1=…`, `IpPermissions.1.IpRanges.1.CidrIp=…`.
 */
import { ec2err } from "./errors.ts";

export class Params {
  constructor(readonly map: Map<string, string>) {}

  get(name: string): string | undefined {
    return this.map.get(name);
  }
  required(name: string): string {
    const v = this.map.get(name);
    if (v === undefined || v === "") throw ec2err("MissingParameter", `The request must contain the parameter ${name}`);
    return v;
  }
  int(name: string, def?: number): number | undefined {
    const v = this.map.get(name);
    if (v === undefined || v === "") return def;
    if (!/^-?\d+$/.test(v)) throw ec2err("InvalidParameterValue", `Value (${v}) for parameter ${name} is invalid. Expected an integer.`);
    return Number(v);
  }
  bool(name: string, def = false): boolean {
    const v = this.map.get(name);
    if (v === undefined) return def;
    if (/^true$/i.test(v)) return true;
    if (/^false$/i.test(v)) return false;
    throw ec2err("InvalidParameterValue", `Value (${v}) for parameter ${name} is invalid. Expected a boolean.`);
  }
  /** `Prefix.1`, `Prefix.2` … in index order (also `Prefix.N.suffix` when `suffix`). */
  list(prefix: string, suffix?: string): string[] {
    const out: [number, string][] = [];
    const re = new RegExp(`^${prefix.replace(/\./g, "\\.")}\\.(\\d+)${suffix ? `\\.${suffix.replace(/\./g, "\\.")}` : ""}$`);
    for (const [k, v] of this.map) {
      const m = re.exec(k);
      if (m) out.push([Number(m[1]), v]);
    }
    return out.sort((a, b) => a[0] - b[0]).map(([, v]) => v);
  }
  /** Sub-structures `Prefix.N.*` as Params each, in index order. */
  structs(prefix: string): Params[] {
    const groups = new Map<number, Map<string, string>>();
    const p = `${prefix}.`;
    for (const [k, v] of this.map) {
      if (!k.startsWith(p)) continue;
      const rest = k.slice(p.length);
      const dot = rest.indexOf(".");
      if (dot < 0) continue;
      const n = Number(rest.slice(0, dot));
      if (!Number.isInteger(n)) continue;
      let g = groups.get(n);
      if (!g) groups.set(n, (g = new Map()));
      g.set(rest.slice(dot + 1), v);
    }
    return [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([, g]) => new Params(g));
  }
  /** `Filter.N.Name` / `Filter.N.Value.M`. */
  filters(): Filter[] {
    return this.structs("Filter").map((f) => ({ name: f.required("Name"), values: f.list("Value") }));
  }
  /** `Tag.N.Key` / `Tag.N.Value`. */
  tags(prefix = "Tag"): { key: string; value: string }[] {
    return this.structs(prefix).map((t) => ({ key: t.required("Key"), value: t.get("Value") ?? "" }));
  }
}

export interface Filter {
  name: string;
  values: string[];
}
