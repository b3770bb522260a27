/**
 * Function sizes in src/: the longest, and how many run over a limit (60
 * lines by default). `node --import tsx scripts/function-sizes.ts [--over N]`.
 * Counts the lines from a function's first to its last (comments inside
 * included), for declarations, methods, arrow functions and function
 * expressions.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";

const root = join(import.meta.dirname, "..", "src");
const over = Number(process.argv[process.argv.indexOf("--over") + 1] ?? 60) || 60;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

interface Sized {
  where: string;
  name: string;
  lines: number;
}

const sized: Sized[] = [];
for (const file of files(root)) {
  const source = ts.createSourceFile(
    file,
    readFileSync(file, "utf8"),
    ts.ScriptTarget.ES2023,
    true,
  );
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && "body" in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart()).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const name =
        node.name && ts.isIdentifier(node.name)
          ? node.name.text
          : ts.isVariableDeclaration(node.parent) && ts.isIdentifier(node.parent.name)
            ? node.parent.name.text
            : "(anonymous)";
      sized.push({
        where: `${relative(join(root, ".."), file)}:${start + 1}`,
        name,
        lines: end - start + 1,
      });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}
sized.sort((a, b) => b.lines - a.lines);
const long = sized.filter((s) => s.lines > over);
console.log(`${sized.length} functions in src/; ${long.length} over ${over} lines; the longest:`);
for (const s of sized.slice(0, Math.max(10, long.length))) {
  console.log(`${String(s.lines).padStart(5)}  ${s.name}  ${s.where}`);
}
