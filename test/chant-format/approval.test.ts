import { describe, expect, it } from "vitest";
import {
  appendToApprovalDiscussion,
  approvalDiscussion,
  awaitsApproval,
  keepApprovalRecord,
  pendingApproval,
  recordApproval,
  recordRejection,
} from "../../src/chant-format/approval.js";
import { readRejectionAction } from "../../src/chant-format/chant-config.js";
import { parseSpec } from "../../src/chant-format/parse-spec.js";
import { reviewPlan } from "../../src/chant-format/plan-problems.js";
import { serializeSpec, strictWriteProblems } from "../../src/chant-format/serialize-spec.js";
import { parseYaml } from "../../src/util/yaml.js";
import { meaning } from "../support/spec-meaning.js";

const PATH = ".chant/specs/2026-01-29-004-xyz.md";
const PLAN = [
  "---",
  "type: code",
  "status: pending",
  "labels:",
  "- fix",
  "- issue-42",
  "prompt: implement",
  "approval:",
  "  required: true",
  "  status: pending",
  "---",
  "# Fix issue #42: lost writes",
  "",
  "## Acceptance Criteria",
  "",
  "- [ ] Writes are serialized",
  "",
].join("\n");
const AT = new Date("2026-01-28T14:30:45.123Z");
const LATER = new Date("2026-01-28T16:05:09.000Z");

describe("chant's approval record", () => {
  it("approve: the frontmatter and the discussion line exactly as `chant approve` writes them", () => {
    const { spec, changed } = recordApproval(parseSpec(PATH, PLAN), "marcos", AT);
    expect(changed).toBe(true);
    expect(serializeSpec(spec)).toBe(
      [
        "---",
        "type: code",
        "status: pending",
        "labels:",
        "- fix",
        "- issue-42",
        "prompt: implement",
        "approval:",
        "  required: true",
        "  status: approved",
        "  by: marcos",
        "  at: 2026-01-28T14:30:45Z",
        "---",
        "# Fix issue #42: lost writes",
        "",
        "## Acceptance Criteria",
        "",
        "- [ ] Writes are serialized",
        "",
        "## Approval Discussion",
        "",
        "**marcos** - 2026-01-28 14:30 - APPROVED",
        "",
      ].join("\n"),
    );
    expect(awaitsApproval(spec.frontmatter)).toBe(false);
  });

  it("reject, then approve: both lines in order, the reason under the rejection", () => {
    const rejected = recordRejection(
      parseSpec(PATH, PLAN),
      "marcos",
      "Scope too large — split token handling",
      AT,
    );
    expect(rejected.frontmatter.approval).toEqual({
      required: true,
      status: "rejected",
      by: "marcos",
      at: "2026-01-28T14:30:45Z",
    });
    expect(awaitsApproval(rejected.frontmatter)).toBe(true);
    const approved = recordApproval(rejected, "sarah", LATER).spec;
    expect(
      approved.body.endsWith(
        [
          "## Approval Discussion",
          "",
          "**marcos** - 2026-01-28 14:30 - REJECTED",
          "Scope too large — split token handling",
          "",
          "**sarah** - 2026-01-28 16:05 - APPROVED",
          "",
        ].join("\n"),
      ),
    ).toBe(true);
    expect(approvalDiscussion(approved.body)).toEqual([
      {
        by: "marcos",
        at: "2026-01-28 14:30",
        decision: "REJECTED",
        reason: "Scope too large — split token handling",
      },
      { by: "sarah", at: "2026-01-28 16:05", decision: "APPROVED", reason: undefined },
    ]);
  });

  it("an already approved spec is left as it is (chant: 'already approved')", () => {
    const once = recordApproval(parseSpec(PATH, PLAN), "marcos", AT).spec;
    const twice = recordApproval(once, "sarah", LATER);
    expect(twice.changed).toBe(false);
    expect(twice.spec).toBe(once);
  });

  it("appends inside an existing section before the next heading, as chant's string surgery does", () => {
    const body =
      "# T\n\n## Approval Discussion\n\n**a** - 2026-01-01 00:00 - REJECTED\nno\n\n\n## Notes\n\nx\n";
    expect(appendToApprovalDiscussion(body, "**b** - 2026-01-02 00:00 - APPROVED")).toBe(
      "# T\n\n## Approval Discussion\n\n**a** - 2026-01-01 00:00 - REJECTED\nno\n\n**b** - 2026-01-02 00:00 - APPROVED\n## Notes\n\nx\n",
    );
    // A body chant wrote (no final newline) stays without one.
    expect(appendToApprovalDiscussion("# T", "m")).toBe("# T\n\n## Approval Discussion\n\nm");
  });

  it("specs the flow writes parse with the corpus test's strictness and round-trip", () => {
    const rejected = recordRejection(parseSpec(PATH, PLAN), "alice", "needs: a test", AT);
    const approved = recordApproval(rejected, "bob", LATER).spec;
    for (const spec of [rejected, approved]) {
      const written = serializeSpec(spec);
      const again = parseSpec(PATH, written);
      expect(again.leniencies).toEqual([]);
      expect(strictWriteProblems(again)).toEqual([]);
      expect(meaning(again)).toEqual(meaning({ ...parseSpec(PATH, written) }));
      expect(serializeSpec(again)).toBe(written);
      const yaml = parseYaml(written.split(/\n---\n/)[0]!.replace(/^---\n/, "")).data as {
        approval: Record<string, unknown>;
      };
      // Plain strings, as chant's serde reads them (no YAML timestamp, no number).
      expect(typeof yaml.approval.at).toBe("string");
      expect(Object.keys(yaml.approval)).toEqual(["required", "status", "by", "at"]);
    }
  });

  it("the approval record survives finalisation whatever the agent did to it", () => {
    const approved = recordApproval(parseSpec(PATH, PLAN), "marcos", AT).spec;
    // The agent ticked the box, dropped the discussion and flipped the approval.
    const byAgent = parseSpec(
      PATH,
      PLAN.replace("- [ ]", "- [x]").replace("status: pending\n---", "status: rejected\n---") +
        "\n## Release Notes\n\nFixed.\n",
    );
    const kept = keepApprovalRecord(approved, {
      ...byAgent,
      frontmatter: { ...byAgent.frontmatter, status: "completed" },
    });
    expect(kept.frontmatter.approval).toEqual(approved.frontmatter.approval);
    expect(kept.frontmatter.status).toBe("completed");
    expect(approvalDiscussion(kept.body)).toEqual(approvalDiscussion(approved.body));
    expect(kept.body).toContain("- [x] Writes are serialized");
    // An edited section is put back as approved.
    const edited = { ...approved, body: approved.body.replace("APPROVED", "APPROVED\nand more") };
    expect(keepApprovalRecord(approved, edited).body).toBe(approved.body);
  });

  it("pending approval is what chant's --needs-approval writes", () => {
    expect(pendingApproval()).toEqual({ required: true, status: "pending" });
    expect(awaitsApproval({ approval: pendingApproval() })).toBe(true);
    expect(awaitsApproval({})).toBe(false);
  });
});

describe("a plan under review", () => {
  it("a good plan has no problems", () => {
    expect(reviewPlan(PATH, PLAN).problems).toEqual([]);
  });

  it("says what is wrong, never throws: malformed YAML, no criteria, chant-incompatible fields", () => {
    expect(
      reviewPlan(PATH, PLAN.replace("status: pending\n", "status: [pending\n")).problems,
    ).toEqual([expect.stringMatching(/^\.chant\/specs\/2026-01-29-004-xyz\.md:\d+: invalid YAML/)]);
    const problems = reviewPlan(
      PATH,
      PLAN.replace("- [ ] Writes are serialized\n", "").replace(
        "prompt: implement\n",
        "prompt: implement\nreviewers: [x]\n",
      ),
    ).problems;
    expect(problems).toEqual([
      `${PATH}: \`reviewers\` is not a chant field`,
      `${PATH}: the spec has no acceptance criteria (\`- [ ] ...\` lines under \`## Acceptance Criteria\`)`,
    ]);
    expect(
      reviewPlan(PATH, PLAN.replace("status: pending\n---", "status: maybe\n---")).problems,
    ).toEqual([`${PATH}:10: \`approval.status\` must be one of pending, approved, rejected`]);
    // An approval typed into the plan is no approval: the record names who approved, through the bot.
    expect(
      reviewPlan(PATH, PLAN.replace("status: pending\n---", "status: approved\n  by: me\n---"))
        .problems,
    ).toEqual([
      `${PATH}: \`approval.status: approved\` was written into the plan by an edit: set it back to \`pending\` and approve with \`/chant approve\``,
    ]);
    // A rejected plan may be approved after an edit, as in chant.
    expect(
      reviewPlan(PATH, PLAN.replace("status: pending\n---", "status: rejected\n---")).problems,
    ).toEqual([]);
  });
});

describe("approval.rejection_action in .chant/config.md", () => {
  it("reads chant's three modes, manual by default, and says why it fell back", () => {
    const config = (action: string) =>
      `---\nproject:\n  name: kv\napproval:\n  rejection_action: ${action}\n---\n# Config\n`;
    expect(readRejectionAction(undefined)).toEqual({ action: "manual", problem: undefined });
    expect(readRejectionAction(config("dependency")).action).toBe("dependency");
    expect(readRejectionAction(config("group")).action).toBe("group");
    expect(readRejectionAction(config("manual")).action).toBe("manual");
    expect(readRejectionAction("---\nproject: {}\n---\n")).toEqual({
      action: "manual",
      problem: undefined,
    });
    expect(readRejectionAction(config("explode")).problem).toMatch(
      /must be one of manual, dependency, group/,
    );
    expect(readRejectionAction("---\napproval: [\n---\n").problem).toMatch(/invalid YAML/);
  });
});
