import { describe, expect, it } from "vitest";
import { repositoryPath } from "../../../src/checks/annotations/relative-path.js";

describe("repositoryPath", () => {
  it.each([
    ["src/a.js", "src/a.js"],
    ["./src/a.js", "src/a.js"],
    ["src//a.js", "src/a.js"],
    ["src\\win\\a.js", "src/win/a.js"],
    ["/repo/src/a.js", "src/a.js"],
    ["file:///repo/src/a.js", "src/a.js"],
    ["  src/a.js  ", "src/a.js"],
  ])("%s -> %s", (printed, expected) => {
    expect(repositoryPath(printed, "/repo")).toBe(expected);
    expect(repositoryPath(printed, "/repo/")).toBe(expected);
  });

  it.each([
    "",
    ".",
    "..",
    "../a.js",
    "a/../../b.js",
    "/repo",
    "/repo/",
    "/repo/src/",
    "/repository/a.js",
    "/etc/passwd",
    "C:/repo/a.js",
    "src/a\u0000.js",
    "src/a\n.js",
    "x".repeat(5000),
  ])("drops %j", (printed) => {
    expect(repositoryPath(printed, "/repo")).toBeUndefined();
  });

  it("compares Windows roots without case", () => {
    expect(repositoryPath("c:\\Repo\\src\\a.js", "C:\\repo")).toBe("src/a.js");
    expect(repositoryPath("D:\\repo\\a.js", "C:\\repo")).toBeUndefined();
  });
});
