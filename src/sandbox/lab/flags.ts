/**
 * Flag parsing shared by the lab's helper commands (`sandbox echo`, `sandbox probe`): argv is
 * split into `--flag value` / `--flag=value` / `--switch` pairs here, then validated with a
 * valibot schema, so every error message names the flag and the value that was wrong.
 */
import * as v from "valibot";

/** Which flags a command knows: a value flag takes the next word, a switch takes none. */
export type FlagSpec = Record<string, "value" | "switch">;

/** Parsed and validated flags, or the one message to print on stderr. */
export type FlagsResult<T> = { ok: true; value: T } | { ok: false; message: string };

/**
 * Splits argv into raw flag values. Fails on a word that is not a flag, an unknown flag, a
 * repeated flag, a value flag without a value, or a switch given a value.
 */
export function splitFlags(argv: readonly string[], spec: FlagSpec): FlagsResult<Record<string, string | true>> {
  const out: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] ?? "";
    if (!word.startsWith("--")) return { ok: false, message: `unexpected argument ${JSON.stringify(word)}` };
    const eq = word.indexOf("=");
    const name = eq < 0 ? word.slice(2) : word.slice(2, eq);
    const kind = spec[name];
    if (kind === undefined) return { ok: false, message: `unknown flag --${name}` };
    if (name in out) return { ok: false, message: `flag --${name} given twice` };
    if (kind === "switch") {
      if (eq >= 0) return { ok: false, message: `flag --${name} takes no value, got ${JSON.stringify(word.slice(eq + 1))}` };
      out[name] = true;
      continue;
    }
    const value = eq >= 0 ? word.slice(eq + 1) : argv[++i];
    if (value === undefined) return { ok: false, message: `flag --${name} needs a value` };
    out[name] = value;
  }
  return { ok: true, value: out };
}

/**
 * Validates raw flags against `schema` (an object schema whose keys are flag names). The first
 * issue becomes the message: `missing flag --x`, or `invalid value for --x: "v" (reason)`.
 */
export function validateFlags<S extends v.GenericSchema>(
  schema: S,
  raw: Record<string, string | true>,
): FlagsResult<v.InferOutput<S>> {
  const result = v.safeParse(schema, raw);
  if (result.success) return { ok: true, value: result.output };
  const issue = result.issues[0];
  const key = issue?.path?.[0]?.key;
  const flag = typeof key === "string" ? key : "?";
  if (!(flag in raw)) return { ok: false, message: `missing flag --${flag}` };
  return { ok: false, message: `invalid value for --${flag}: ${JSON.stringify(raw[flag])} (${issue?.message ?? "invalid"})` };
}

/** Splits then validates: the one call a command makes. */
export function parseFlags<S extends v.GenericSchema>(argv: readonly string[], spec: FlagSpec, schema: S): FlagsResult<v.InferOutput<S>> {
  const split = splitFlags(argv, spec);
  return split.ok ? validateFlags(schema, split.value) : split;
}

/** A decimal integer flag in [min, max]; the message says the range. */
export function intFlag(min: number, max: number) {
  const message = `must be an integer ${min}..${max}`;
  return v.pipe(
    v.string(message),
    v.regex(/^\d{1,9}$/, message),
    v.transform(Number),
    v.minValue(min, message),
    v.maxValue(max, message),
  );
}
