export { FakeGitHub } from "./fake-github.js";
export type {
  AddRepoOptions,
  CheckRunJson,
  CommentJson,
  FakeGitHubOptions,
  PullJson,
  ReactionJson,
  RecordedRequest,
  RepoHandle,
  UserJson,
} from "./fake-github.js";
export { primaryRateLimit, primaryRateLimitOnHit, secondaryRateLimit } from "./faults.js";
export type {
  FaultHandle,
  FaultOptions,
  HoldHandle,
  HoldOptions,
  RequestMatcher,
} from "./faults.js";
export { runGit } from "./git.js";
export type { GitResult } from "./git.js";
export { signPayload } from "./webhooks.js";
export type { DeliverOptions, DeliveryResult } from "./webhooks.js";
export type { Annotation, Permission, PushRecord, RepoRef } from "./state.js";
