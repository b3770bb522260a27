import { describe, expect, it } from "vitest";
import { MAX_YAML_ALIASES, parseYaml, YamlSyntaxError } from "../../src/util/yaml.js";

function yamlError(text: string): YamlSyntaxError {
  try {
    parseYaml(text);
  } catch (error) {
    if (error instanceof YamlSyntaxError) return error;
    throw error;
  }
  throw new Error("expected a YamlSyntaxError");
}

/** `levels` anchors, each a list of nine aliases of the one before: 9^levels strings expanded. */
function aliasBomb(levels: number): string {
  const lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"];
  for (let i = 1; i < levels; i++) {
    const name = `l${i}`;
    const previous = i === 1 ? "a" : `l${i - 1}`;
    lines.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(", ")}]`);
  }
  return lines.join("\n");
}

describe("parseYaml reads plain data only", () => {
  it.each([
    ['!!js/function "function () { globalThis.__chantPwned = true }"', "!!js/function"],
    ["!!js/regexp /pwned/g", "!!js/regexp"],
    ['!<tag:yaml.org,2002:js/undefined> ""', "!!js/undefined"],
    ["!foo bar", "!foo"],
    ["!foo\n  b: c", "!foo"],
    ["!!python/object:os.system [id]", "!!python/object:os.system"],
    // Tags the yaml package knows but YAML 1.2's core schema does not: not constructed either.
    ["!!binary aGVsbG8=", "!!binary"],
    ["!!set {a, b}", "!!set"],
    ["!!omap [a: 1]", "!!omap"],
    ["!!timestamp 2001-12-14", "!!timestamp"],
  ])("refuses the tag in `key: %s`", (value, tag) => {
    const error = yamlError(`first: 1\nkey: ${value}\n`);
    expect(error.message).toBe(
      `unsupported YAML tag \`${tag}\`: only plain YAML is read (no \`!tag\`s)`,
    );
    expect(error.line).toBe(2);
  });

  it("refuses tags named through a %TAG directive, and keeps the core schema under %YAML 1.1", () => {
    expect(yamlError('%TAG !e! tag:yaml.org,2002:js/\n---\na: !e!function "x"\n').message).toMatch(
      /`!!js\/function`/,
    );
    const doc = parseYaml("%YAML 1.1\n---\na: yes\nb: 0o17\nx: &x {k: 1}\ny:\n  <<: *x\n", {
      numbersAsText: false,
    });
    // YAML 1.1 would read `yes` as true and merge `<<`; YAML 1.2's core schema does not.
    expect(doc.data).toEqual({ a: "yes", b: 15, x: { k: 1 }, y: { "<<": { k: 1 } } });
    expect(yamlError("%YAML 1.1\n---\na: !!binary aGVsbG8=\n").line).toBe(3);
  });

  it("still reads the core schema's own tags", () => {
    expect(
      parseYaml("a: !!str 123\nb: !!int 7\nc: !!bool true\nd: !!null ''\ne: ! 5\n", {
        numbersAsText: false,
      }).data,
    ).toEqual({ a: "123", b: 7, c: true, d: null, e: "5" });
  });

  it("reads a few aliases, and refuses an alias bomb fast with a clear error", () => {
    expect(parseYaml("x: &x [1, 2]\ny: *x\nz: *x\n").data).toEqual({
      x: ["1", "2"],
      y: ["1", "2"],
      z: ["1", "2"],
    });
    expect(MAX_YAML_ALIASES).toBe(100);
    const started = Date.now();
    // 9^12 (about 2.8e11) strings if expanded.
    const error = yamlError(aliasBomb(12));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error.message).toBe(
      "too many aliases (`*name`): more than 100 alias expansions are not read",
    );
    expect(error.line).toBe(2);
  });

  it("keeps `__proto__` an ordinary key", () => {
    const data = parseYaml("__proto__:\n  polluted: yes\n").data as Record<string, unknown>;
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
    expect(Object.keys(data)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
