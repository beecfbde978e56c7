/**
 * Options of session middleware and stores are validated once, when they are built, with a zod schema; a bad
 * option throws at start-up with a message naming it and what was expected (never per request).
 */
import type { z } from "zod";

/**
 * Parse `options` with `schema`, or throw a `TypeError` such as
 * `memoryStore: option "maxAge": Too small: expected number to be >0 (got -1)`.
 *
 * @example
 * const { maxAge } = parseOptions("memoryStore", schema, options ?? {});
 */
export function parseOptions<T extends z.ZodType>(owner: string, schema: T, options: unknown): z.output<T> {
  const result = schema.safeParse(options);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const at = issue.path.join(".");
  if (issue.code === "unrecognized_keys") {
    const key = at === "" ? issue.keys[0]! : `${at}.${issue.keys[0]!}`;
    throw new TypeError(`${owner}: unknown option ${JSON.stringify(key)}`);
  }
  if (at === "") throw new TypeError(`${owner}: options must be an object, got ${describe(options)}`);
  throw new TypeError(
    `${owner}: option ${JSON.stringify(at)}: ${issue.message} (got ${describe(valueAt(options, issue.path))})`,
  );
}

function valueAt(options: unknown, path: readonly PropertyKey[]): unknown {
  let value = options;
  for (const key of path) value = (value as Record<PropertyKey, unknown> | undefined)?.[key];
  return value;
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") return "a function";
  if (Array.isArray(value)) return "an array";
  if (value === null) return "null";
  return typeof value === "object" ? "an object" : String(value);
}
