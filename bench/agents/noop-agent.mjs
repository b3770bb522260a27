// A no-op agent for the pipeline benchmark (CHANT_AGENT=command): it does no
// real work, only what the pipeline needs to accept the result: the spec's
// acceptance criteria ticked, its release notes filled, and one file written
// (the trivial reproduction check looks for it).
import { readFileSync, writeFileSync } from "node:fs";

readFileSync(0, "utf8"); // the prompt, on stdin
const specPath = process.env.CHANT_SPEC_PATH;
const spec = readFileSync(specPath, "utf8")
  .replaceAll("- [ ]", "- [x]")
  .replace("<!-- Fill in after implementation -->", "### Benchmark run\n\nNothing changed.");
writeFileSync(specPath, spec);
writeFileSync("BENCH_NOOP.md", `no-op agent run for ${process.env.CHANT_SPEC_ID}\n`);
console.log("done");
