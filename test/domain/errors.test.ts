import { describe, expect, it } from "vitest";
import { isNotFound } from "../../src/domain/errors.js";

describe("isNotFound", () => {
  it("is a 404 or a 410 only", () => {
    expect(isNotFound({ status: 404 })).toBe(true);
    expect(isNotFound({ status: 410 })).toBe(true);
    for (const status of [403, 429, 500, 502, "404", undefined]) {
      expect(isNotFound({ status }), String(status)).toBe(false);
    }
    expect(isNotFound(null)).toBe(false);
    expect(isNotFound(new Error("socket hang up"))).toBe(false);
  });
});
