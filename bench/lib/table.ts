/** A plain-text table for the terminal and a Markdown one for BENCHMARKS.md, from the same rows. */
export type Cell = string | number | undefined;

function text(cell: Cell): string {
  if (cell === undefined) return "";
  if (typeof cell === "number") return Number.isFinite(cell) ? String(cell) : "n/a";
  return cell;
}

export function terminalTable(title: string, headers: string[], rows: Cell[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(text))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [
    `\n${title}`,
    line(headers),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...cells.slice(1).map(line),
  ].join("\n");
}

export function markdownTable(headers: string[], rows: Cell[][]): string {
  const escape = (s: string) => s.replace(/\|/g, "\\|");
  const cells = [headers, ...rows.map((r) => r.map((c) => escape(text(c))))];
  const widths = headers.map((_, i) => Math.max(3, ...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [
    line(cells[0]!),
    `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`,
    ...cells.slice(1).map(line),
  ].join("\n");
}

export interface Table {
  title: string;
  headers: string[];
  rows: Cell[][];
  /** Printed under the table: what was measured and how. */
  notes?: string[];
}
