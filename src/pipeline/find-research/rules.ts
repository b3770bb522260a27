/**
 * How a research chain was found, strongest first (ARCHITECTURE.md, "Finding
 * the research chain"): the spec named in the command, a spec the issue or pull
 * request mentions, research labelled `issue-N`, research a same-repository
 * pull request changes, research whose title names the issue, research whose
 * documents are named `issue-N-*.md`.
 */
export const RULES = [
  "explicit",
  "mentioned",
  "label",
  "pull_request",
  "title",
  "documents",
] as const;

export type Rule = (typeof RULES)[number];

/** Lower is stronger. */
export function ruleStrength(rule: Rule): number {
  return RULES.indexOf(rule);
}

export function strongestRule(rules: Iterable<Rule>): Rule {
  let best: Rule | undefined;
  for (const rule of rules)
    if (best === undefined || ruleStrength(rule) < ruleStrength(best)) best = rule;
  return best ?? "documents";
}

/** Why a maintainer should accept the match, in words. */
export const RULE_WORDS: Record<Rule, string> = {
  explicit: "named in the command",
  mentioned: "mentioned in the issue or pull request",
  label: "labelled with the issue",
  pull_request: "changed by the pull request",
  title: "its title names the issue",
  documents: "its research documents are named after the issue",
};
