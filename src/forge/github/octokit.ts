import type { ProbotOctokit } from "probot";

/** Probot's Octokit: REST, GraphQL, pagination, retry and throttling, with the config plugin. */
export type Octokit = InstanceType<typeof ProbotOctokit>;
