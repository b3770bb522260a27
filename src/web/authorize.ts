import type { Octokit } from "../forge/github/octokit.js";
import { isNotFound } from "../domain/errors.js";

/** The roles that may start work: anyone who could push the fix themselves. */
export const ALLOWED_ROLES = ["admin", "maintain", "write"] as const;
export type Role = "admin" | "maintain" | "write" | "triage" | "read" | "none";

/**
 * The sender's role on the repository, from the collaborator permission API
 * (never from `author_association`, which says nothing about permission).
 */
export async function roleOf(
  octokit: Octokit,
  owner: string,
  repo: string,
  login: string,
): Promise<Role> {
  try {
    const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({
      owner,
      repo,
      username: login,
    });
    const role = (data as { role_name?: string }).role_name ?? data.permission;
    return (
      (["admin", "maintain", "write", "triage", "read"] as const).find((r) => r === role) ?? "none"
    );
  } catch (error) {
    // 404: not a collaborator (or not a user GitHub knows).
    if (isNotFound(error)) return "none";
    throw error;
  }
}

export function mayTrigger(role: Role): boolean {
  return (ALLOWED_ROLES as readonly string[]).includes(role);
}

export function refusalNotice(login: string, role: Role): string {
  return `@${login}: only people with write, maintain or admin permission on this repository can run chant-bot (your permission is \`${role}\`), so nothing was started. A maintainer can add the label or comment \`/chant implement\`.`;
}

/** Bots (including this app) never trigger work: no loops, no bot-to-bot ping-pong. */
export function isBot(sender: { type?: string; login?: string } | null | undefined): boolean {
  return sender?.type === "Bot" || /\[bot\]$/.test(sender?.login ?? "");
}
