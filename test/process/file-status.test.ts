import { mkdtemp, mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isDirectory, lstatIfPresent } from "../../src/process/file-status.js";

describe("lstatIfPresent and isDirectory: absence is an answer, other failures are not", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "file-status-"));
    await writeFile(join(dir, "file"), "x");
    await mkdir(join(dir, "sub"));
    await symlink("sub", join(dir, "link"));
    await symlink("loop", join(dir, "loop"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reports what is there, a link as a link", async () => {
    expect((await lstatIfPresent(join(dir, "file")))?.isFile()).toBe(true);
    expect((await lstatIfPresent(join(dir, "link")))?.isSymbolicLink()).toBe(true);
    expect(await isDirectory(join(dir, "link"))).toBe(true);
    expect(await isDirectory(join(dir, "file"))).toBe(false);
  });

  it("says nothing is there for a missing entry or a path through a file", async () => {
    expect(await lstatIfPresent(join(dir, "missing"))).toBeUndefined();
    expect(await lstatIfPresent(join(dir, "file", "below"))).toBeUndefined();
    expect(await isDirectory(join(dir, "missing"))).toBe(false);
  });

  it("throws what is not absence (a symbolic link loop)", async () => {
    await expect(lstatIfPresent(join(dir, "loop", "x"))).rejects.toMatchObject({ code: "ELOOP" });
    await expect(isDirectory(join(dir, "loop"))).rejects.toMatchObject({ code: "ELOOP" });
  });
});
