import { existsSync, readFileSync, writeFileSync } from "node:fs";
import * as prettier from "prettier";
import { markdownTable, terminalTable, type Table } from "./table.js";
import type { Machine } from "./machine.js";

export const BEGIN =
  "<!-- bench:results:begin (written by `npm run bench`; edits here are lost) -->";
export const END = "<!-- bench:results:end -->";

export function printTables(tables: Table[]): void {
  for (const table of tables) {
    console.log(terminalTable(table.title, table.headers, table.rows));
    for (const note of table.notes ?? []) console.log(`  ${note}`);
  }
}

/** The generated section of BENCHMARKS.md: machine, date, commands, every table. */
export function resultsSection(
  machine: Machine,
  date: string,
  durationS: number,
  endLoad: number,
  commands: string[],
  tables: Table[],
): string {
  const lines = [
    BEGIN,
    "",
    `Measured ${date} in ${Math.round(durationS)} s on: ${machine.nproc} CPUs (\`nproc\`), ${machine.cpuModel}, ${machine.ramGiB} GiB RAM, ${machine.platform}, Node.js ${machine.node}, Redis ${machine.redis}. Load average (1 min) at the start: ${machine.loadAverage}, at the end: ${endLoad}.`,
    "",
    "Commands:",
    "",
    "```sh",
    ...commands,
    "```",
  ];
  for (const table of tables) {
    lines.push("", `#### ${table.title}`, "", markdownTable(table.headers, table.rows));
    if (table.notes?.length) lines.push("", ...table.notes.map((n) => `- ${n}`));
  }
  lines.push("", END);
  return lines.join("\n");
}

/**
 * Replace the generated section of the file (or append it when the markers
 * are missing), formatted the way `prettier --check` wants it.
 */
export async function updateMarkdown(path: string, section: string): Promise<void> {
  const text = existsSync(path) ? readFileSync(path, "utf8") : "# Benchmarks\n";
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  const updated =
    start >= 0 && end > start
      ? `${text.slice(0, start)}${section}${text.slice(end + END.length)}`
      : `${text.trimEnd()}\n\n${section}\n`;
  const options = (await prettier.resolveConfig(path)) ?? {};
  writeFileSync(path, await prettier.format(updated, { ...options, filepath: path }));
}
