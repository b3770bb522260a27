/** The agent as /readyz reports it (agents/preflight.ts's AgentHealth keeps it). */
export type AgentStatus =
  { ready: true; agent: string } | { ready: false; agent: string; reason: string };
