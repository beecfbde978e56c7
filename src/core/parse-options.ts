/**
 * Options of every middleware, store and adapter are validated once, when they are built, with a zod schema;
 * a bad option throws at start-up with a message naming it and what was expected (never per request).
 */
import { type core, type output, safeParse } from "zod/mini";
import { describeKind } from "./describe-value.js";

/**
 * Parse `options` with `schema`, or throw a `TypeError` such as
 * `memoryStore: option "maxAge": Too small: expected number to be >0 (got -1)`.
 *
 * The message says what kind of value was given, never a string's or an object's contents: options carry
 * secrets (a cookie store's `secret`, a Redis URL with its password), and start-up errors end up in logs.
 * Numbers, booleans, `null` and `undefined` are shown as they are. A custom issue may say better what it
 * got with `params: { got: "31 bytes" }`.
 *
 * @example
 * const { maxAge } = parseOptions("memoryStore", schema, options ?? {});
 */
export function parseOptions<T extends core.$ZodType>(owner: string, schema: T, options: unknown): output<T> {
  // zod/mini's functional safeParse takes a schema of either flavour (zod or zod/mini).
  const result = safeParse(schema, options);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const at = issue.path.join(".");
  if (issue.code === "unrecognized_keys") {
    const key = at === "" ? issue.keys[0]! : `${at}.${issue.keys[0]!}`;
    throw new TypeError(`${owner}: unknown option ${JSON.stringify(key)}`);
  }
  if (at === "") throw new TypeError(`${owner}: options must be an object, got ${describeKind(options)}`);
  const got =
    issue.code === "custom" && typeof issue.params?.got === "string"
      ? issue.params.got
      : describeKind(valueAt(options, issue.path));
  throw new TypeError(`${owner}: option ${JSON.stringify(at)}: ${messageOf(issue)} (got ${got})`);
}

/**
 * The issue's message, but zod's own text for a value of the wrong type becomes `must be a <type>`: zod/mini carries no
 * locale, so there a check without a message of its own says only "Invalid input" (or, once classic zod is
 * loaded anywhere in the process, its English text), and the message should not depend on that. A message
 * the schema gives itself is kept.
 */
function messageOf(issue: core.$ZodIssue): string {
  if (issue.code === "invalid_type" && issue.message.startsWith("Invalid input"))
    return `must be ${withArticle(issue.expected)}`;
  return issue.message;
}

function withArticle(type: string): string {
  return `${/^[aeiou]/.test(type) ? "an" : "a"} ${type}`;
}

function valueAt(options: unknown, path: readonly PropertyKey[]): unknown {
  let value = options;
  for (const key of path) value = (value as Record<PropertyKey, unknown> | undefined)?.[key];
  return value;
}
