/**
 * Nested parameters, Ring's `nested-params`: names such as `user[name]` and `tags[]` read as a tree
 * (`{ user: { name } }`, `{ tags: [...] }`). Used by `wrapParams({ nested: true })` and `wrapMultipartParams`;
 * every object built has no prototype, so no name can reach `Object.prototype`. No `node:` imports.
 */
import { HttpError } from "../core/http-error.js";

/** A nested parameter: a value, a list (from `name[]` or a repeated name), or an object of them. */
export type NestedParam<Leaf = string> = Leaf | readonly NestedParam<Leaf>[] | NestedParams<Leaf>;

/**
 * Nested parameters: name → value, list or object. Objects have no prototype, so `__proto__`,
 * `constructor` and `prototype` are ordinary keys.
 */
export interface NestedParams<Leaf = string> {
  readonly [name: string]: NestedParam<Leaf>;
}

/** The default `maxDepth`: more brackets than this in one name is a 400. */
export const DEFAULT_NESTED_DEPTH = 10;

/**
 * The path a parameter name stands for, Ring's `parse-nested-keys`: `a[b][c]` is `["a", "b", "c"]`, `a[]`
 * is `["a", ""]` (`""`: append to a list). A name that is not `root` followed only by `[...]` groups (`a[b`,
 * `a[b]c`, `[a]`, `a[b[c]]`) is one plain key.
 *
 * @example
 * parseNestedKeys("user[address][city]"); // ["user", "address", "city"]
 * parseNestedKeys("a[b");                 // ["a[b"]
 */
export function parseNestedKeys(name: string): string[] {
  const open = name.indexOf("[");
  if (open <= 0) return [name];
  const keys = [name.slice(0, open)];
  let i = open;
  while (i < name.length) {
    if (name.charCodeAt(i) !== 0x5b /* [ */) return [name];
    const close = name.indexOf("]", i + 1);
    if (close === -1) return [name];
    const key = name.slice(i + 1, close);
    if (key.includes("[")) return [name];
    keys.push(key);
    i = close + 1;
  }
  return keys;
}

/**
 * `params` (flat: name → value or values, as `wrapParams` and `wrapMultipartParams` make them) as a tree.
 * Each value is placed at its name's path, in order:
 *
 * - `a=1` sets `a`; a repeated name, or `a[]`, makes a list (`a[]=1` alone is `["1"]`);
 * - `a[b][c]=1` makes objects on the way; `a[][b]=1` appends a new object `{ b: "1" }` to the list `a`
 *   each time, as Ring does (`a[0][b]` names key `"0"` of an object, not a list index);
 * - where a name needs an object or a list and an earlier one put something else there (`a=1&a[b]=2`),
 *   the later one replaces it; a value appended where a single value stood makes a list of both.
 *
 * A name with more than `maxDepth` bracket groups is a 400 `HttpError`. Objects built have no prototype,
 * and lists are only appended to, so no name can write to a prototype.
 *
 * @example
 * nestParams({ "user[name]": "Ann", "tags[]": ["a", "b"] }); // { user: { name: "Ann" }, tags: ["a", "b"] }
 */
export function nestParams<Leaf = string>(
  params: Readonly<Record<string, Leaf | readonly Leaf[]>>,
  options?: { maxDepth?: number | undefined },
): NestedParams<Leaf> {
  const maxDepth = options?.maxDepth ?? DEFAULT_NESTED_DEPTH;
  const root: Container = Object.create(null);
  // The objects built here: a leaf that is an object (an uploaded file) is never descended into.
  const built = new WeakSet<object>([root]);
  for (const name of Object.keys(params)) {
    const value = params[name]!;
    const path = parseNestedKeys(name);
    if (path.length - 1 > maxDepth) {
      throw new HttpError(400, `Parameter name nested deeper than ${maxDepth} levels`);
    }
    if (Array.isArray(value)) for (const one of value as readonly Leaf[]) place(root, path, one, built);
    else place(root, path, value as Leaf, built);
  }
  return root as NestedParams<Leaf>;
}

type Container = Record<string, unknown> | unknown[];

function place(root: Container, path: readonly string[], value: unknown, built: WeakSet<object>): void {
  let node = root;
  let key = path[0]!;
  for (let i = 1; i < path.length; i++) {
    const wantList = path[i] === "";
    // A list slot ("" in a list) is always a new element; an object slot holds what was put there before.
    let child = Array.isArray(node) ? undefined : node[key];
    if (wantList) {
      if (!(Array.isArray(child) && built.has(child))) {
        const list: unknown[] = [];
        built.add(list);
        // A single value already there stays, as the list's first element.
        if (child !== undefined && !built.has(child as object)) list.push(child);
        child = list;
        put(node, key, list);
      }
    } else if (!(isObject(child) && built.has(child) && !Array.isArray(child))) {
      child = Object.create(null);
      built.add(child as object);
      put(node, key, child);
    }
    node = child as Container;
    key = path[i]!;
  }
  if (Array.isArray(node)) {
    node.push(value);
    return;
  }
  const existing = node[key];
  if (existing === undefined) node[key] = value;
  else if (Array.isArray(existing) && built.has(existing)) existing.push(value);
  else if (isObject(existing) && built.has(existing)) node[key] = value;
  else {
    const list = [existing, value];
    built.add(list);
    node[key] = list;
  }
}

/** `node[key] = value`, or an append when `node` is a list (its key is then `""`). */
function put(node: Container, key: string, value: unknown): void {
  if (Array.isArray(node)) node.push(value);
  // A plain assignment: `node` has no prototype, so "__proto__" is an own key like any other.
  else node[key] = value;
}

function isObject(value: unknown): value is object {
  return typeof value === "object" && value !== null;
}
