/**
 * The walls between chant-bot's layers, checked by `npm run lint`
 * (ARCHITECTURE.md explains each). A layer may import only what its rule
 * allows; no import closes a cycle. Type-only imports count: a wall holds for
 * types too.
 */
/** A layer's folder; a pattern with a `$` or a dot names modules within one. */
const layer = (name) => (/[$.]/.test(name) ? `^src/${name}` : `^src/${name}/`);

/** Forbid `from` importing anything in src/ but its own folder and `allowed`. */
const only = (name, from, allowed, comment) => ({
  name,
  comment,
  severity: "error",
  from: { path: from },
  to: {
    path: "^src/",
    pathNot: [from, ...allowed.map(layer)],
  },
});

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment:
        "A cycle makes every module in it depend on all the others: break it with a port or a move.",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true },
    },
    only("util-is-a-leaf", layer("util"), [], "util is plain helpers: it imports no other layer."),
    only(
      "domain-is-vocabulary",
      layer("domain"),
      ["util"],
      "domain is the shared vocabulary (check names, the status model, config): it imports only util.",
    ),
    only(
      "chant-format-is-a-file-format",
      layer("chant-format"),
      ["util", "domain"],
      "chant-format reads and writes chant's file format: no I/O layer, no pipeline.",
    ),
    only(
      "process-is-the-machine",
      layer("process"),
      ["util", "domain"],
      "process runs child processes and git, and reads files on disk: nothing above it.",
    ),
    only(
      "sandbox-above-process",
      layer("sandbox"),
      ["util", "domain", "process"],
      "the sandbox contains what runs; it knows nothing of agents, checks, forges or jobs.",
    ),
    only(
      "forge-port",
      "^src/forge/[^/]+$",
      ["util", "domain"],
      "the forge port (forge.ts, status-comment-store.ts) is interfaces over domain types.",
    ),
    only(
      "forge-adapters",
      "^src/forge/(github|local)/",
      ["util", "domain", "process", "forge/[^/]+$"],
      "an adapter imports only domain, process, util and the port it implements.",
    ),
    {
      name: "adapters-apart",
      comment: "the GitHub and local forges do not import each other.",
      severity: "error",
      from: { path: "^src/forge/(github|local)/" },
      to: { path: "^src/forge/(github|local)/", pathNot: "^src/forge/$1/" },
    },
    only(
      "agents-run-in-the-sandbox",
      layer("agents"),
      ["util", "domain", "process", "sandbox", "chant-format"],
      "an agent adapter runs a CLI in the sandbox and reads its stream: no forge, no pipeline.",
    ),
    only(
      "checks-run-in-the-sandbox",
      layer("checks"),
      ["util", "domain", "process", "sandbox"],
      "checks run commands in the sandbox and parse their output: no forge, no pipeline.",
    ),
    only(
      "pipeline-uses-the-port",
      layer("pipeline"),
      ["util", "domain", "chant-format", "process", "sandbox", "agents", "checks", "forge/[^/]+$"],
      "the pipeline is written once against the forge port: never an adapter, the queue, the web or the worker.",
    ),
    only(
      "queue-is-jobs-and-redis",
      layer("queue"),
      ["util", "domain", "forge/[^/]+$"],
      "the queue is job data and Redis (it implements the forge's status store and mutex ports).",
    ),
    only(
      "web-answers-webhooks",
      layer("web"),
      [
        "util",
        "domain",
        "process",
        "forge",
        "queue",
        "observability",
        "pipeline/pipeline-stop\\.ts$",
      ],
      "the web side answers webhooks and queues jobs: it never runs agents or checks (nor the sandbox, nor the worker); it says a stop the way the worker does (describeStop).",
    ),
    only(
      "observability-reads",
      layer("observability"),
      ["util", "domain", "queue", "agents/agent\\.ts$"],
      "metrics and health read the others' state (the agent port's names and outcomes); no runtime layer above the queue.",
    ),
    only(
      "worker-runs-jobs",
      layer("worker"),
      [
        "util",
        "domain",
        "process",
        "sandbox",
        "agents",
        "forge",
        "queue",
        "pipeline",
        "observability",
      ],
      "the worker wires jobs to the pipeline with a GitHub forge; it never imports the web side or the CLI.",
    ),
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(node_modules|dist)/" },
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: [".ts", ".js"] },
  },
};
