import { describe, expect, it } from "vitest";
import {
  compareSpecIds,
  formatBase36,
  isSafeSpecId,
  isSpecId,
  nextSpecId,
  parseSpecId,
} from "../../src/chant-format/spec-id.js";

const NOW = new Date(2026, 0, 29, 10, 0, 0); // local time, as chant's Local::now()
const fixed = () => 0; // random suffix "000"

describe("nextSpecId", () => {
  it("starts a new day at sequence 001", () => {
    expect(nextSpecId([".chant/specs/2026-01-28-00f-abc.md"], NOW, fixed)).toBe(
      "2026-01-29-001-000",
    );
  });

  it("takes the highest sequence of the day + 1, counting archive and group members", () => {
    const existing = [
      ".chant/specs/2026-01-29-001-aaa.md",
      ".chant/specs/2026-01-29-003-bbb.2.md",
      ".chant/archive/2026-01-29/2026-01-29-009-ccc.md",
      ".chant/specs/2026-01-30-00z-ddd.md",
      ".chant/specs/notes.txt",
    ];
    expect(nextSpecId(existing, NOW, fixed)).toBe("2026-01-29-00a-000");
  });

  it("counts in base36 past 00z", () => {
    expect(nextSpecId([".chant/specs/2026-01-29-00z-aaa.md"], NOW, fixed)).toBe(
      "2026-01-29-010-000",
    );
    expect(formatBase36(36 * 36 * 36, 3)).toBe("1000");
  });

  it("makes a random base36 suffix", () => {
    const ids = new Set(Array.from({ length: 50 }, () => nextSpecId([], NOW)));
    expect(ids.size).toBeGreaterThan(40);
    for (const id of ids) expect(id).toMatch(/^2026-01-29-001-[0-9a-z]{3}$/);
  });
});

describe("spec ids", () => {
  it("parses plain, project-prefixed and group-member ids", () => {
    expect(parseSpecId("2026-01-29-00f-4kp")).toEqual({
      project: undefined,
      date: "2026-01-29",
      sequence: 15,
      suffix: "4kp",
      member: undefined,
    });
    expect(parseSpecId("auth-2026-01-22-001-x7m.2")).toEqual({
      project: "auth",
      date: "2026-01-22",
      sequence: 1,
      suffix: "x7m",
      member: 2,
    });
    expect(parseSpecId("001-comprehension")).toBeUndefined();
    expect(isSpecId("2026-01-29-003-ghi")).toBe(true);
    expect(isSpecId("2026-01-29-003-ghi; rm -rf /")).toBe(false);
  });

  it("orders ids by date and sequence", () => {
    const ids = [
      "2026-01-29-010-aaa",
      "2026-01-29-00z-zzz",
      "2026-01-28-0zz-aaa",
      "2026-01-29-00z-zzz.2",
    ];
    expect([...ids].sort(compareSpecIds)).toEqual([
      "2026-01-28-0zz-aaa",
      "2026-01-29-00z-zzz",
      "2026-01-29-00z-zzz.2",
      "2026-01-29-010-aaa",
    ]);
  });

  it.each([
    ["2026-01-29-003-ghi", true],
    ["auth-2026-01-22-001-x7m.2", true],
    ["001-comprehension", true],
    ["-rf", false],
    ["../../etc/passwd", false],
    ["a..b", false],
    ['zzz";echo${IFS}"hello";#', false],
    ["$(touch x)", false],
    ["id with space", false],
    ["id\u202Eevil", false],
    ["x".repeat(101), false],
  ])("isSafeSpecId(%j) is %s", (id, safe) => {
    expect(isSafeSpecId(id)).toBe(safe);
  });
});
