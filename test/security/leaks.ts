/**
 * The containment suite's oracle: which canary secrets a text holds, in every
 * encoding an exfiltration would use (plain, base64 at any byte offset and
 * base64url, hex, URL encoding, reversed, split over lines or string
 * concatenations), and everything the app published on the GitHub stand-in
 * (every file of every branch, commit messages, pull requests, comments,
 * check runs with their annotations) plus its log. Written apart from the
 * app's own finder (src/util/redact.ts) on purpose: a test that used the code
 * under test as its oracle would share its blind spots.
 */
import { runGit } from "../support/fake-github/index.js";
import type { AppStack } from "./app-stack.js";

export type Canaries = Record<string, string>;

function encodings(secret: string): string[] {
  const bytes = Buffer.from(secret, "utf8");
  const forms = new Set<string>([secret]);
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString("base64");
    const middle = encoded.slice(
      Math.ceil((offset * 8) / 6),
      Math.floor(((offset + bytes.length) * 8) / 6),
    );
    forms.add(middle);
    forms.add(middle.replace(/\+/g, "-").replace(/\//g, "_"));
  }
  const hex = bytes.toString("hex");
  forms.add(hex);
  forms.add(hex.toUpperCase());
  const url = [...bytes].map((b) => `%${b.toString(16).padStart(2, "0")}`).join("");
  forms.add(url);
  forms.add(url.toUpperCase());
  forms.add(encodeURIComponent(secret));
  for (const form of [...forms]) forms.add([...form].reverse().join(""));
  return [...forms].filter((f) => f.length >= 8);
}

/** The canaries `text` holds, by name. */
export function leaksIn(text: string, canaries: Canaries): string[] {
  const views = [
    text,
    text.replace(/\s+/g, ""),
    text.replace(/["'`]\s*[+.,]?\s*["'`]/g, "").replace(/\s+/g, ""),
  ];
  const lower = views.map((v) => v.toLowerCase());
  return Object.entries(canaries)
    .filter(([, secret]) =>
      encodings(secret).some(
        (form) =>
          views.some((v) => v.includes(form)) ||
          (/^[0-9a-f]+$/i.test(form) && lower.some((v) => v.includes(form.toLowerCase()))),
      ),
    )
    .map(([name]) => name);
}

/**
 * The app's secrets as canaries: the webhook secret, each random line of the
 * private key, every installation token the stand-in issued, and `extra`.
 */
export function appCanaries(stack: AppStack, extra: Canaries = {}): Canaries {
  const canaries: Canaries = { WEBHOOK_SECRET: stack.fake.webhookSecret, ...extra };
  stack.fake.privateKey
    .split("\n")
    .filter((line) => line.length >= 40 && !line.startsWith("-----"))
    .forEach((line, i) => (canaries[`PRIVATE_KEY line ${i + 1}`] = line));
  stack.fake.issuedTokens().forEach((t, i) => (canaries[`installation token ${i + 1}`] = t.token));
  return canaries;
}

/** Everything published on the stand-in, and the app's log, as named texts. */
export async function everythingPublished(stack: AppStack): Promise<[string, string][]> {
  const texts: [string, string][] = [["app log", stack.output()]];
  const gitDir = stack.repo.gitDir;
  const git = async (...args: string[]) =>
    (await runGit(["--git-dir", gitDir, ...args])).stdout.toString("latin1");
  for (const branch of await stack.fake.branches("acme/kv-store")) {
    texts.push([`commit messages of ${branch.name}`, await git("log", "--format=%B", branch.sha)]);
    const files = (await git("ls-tree", "-r", "--name-only", "-z", branch.sha))
      .split("\0")
      .filter(Boolean);
    texts.push([`file names of ${branch.name}`, files.join("\n")]);
    for (const file of files) {
      texts.push([`${branch.name}:${file}`, await git("cat-file", "-p", `${branch.sha}:${file}`)]);
    }
  }
  const pulls = await stack.fake.pulls("acme/kv-store");
  for (const pull of pulls) texts.push([`PR #${pull.number}`, `${pull.title}\n${pull.body ?? ""}`]);
  for (const issue of [42, ...pulls.map((p) => p.number)]) {
    for (const comment of stack.fake.comments("acme/kv-store", issue)) {
      texts.push([`comment on #${issue}`, comment.body]);
    }
  }
  for (const run of stack.fake.checkRuns("acme/kv-store")) {
    texts.push([
      `check run ${run.name}`,
      [
        run.output.title,
        run.output.summary,
        run.output.text,
        ...run.annotations.map((a) => JSON.stringify(a)),
      ].join("\n"),
    ]);
  }
  return texts;
}

/** `canary in where` for every leak in everything published; [] when none. */
export async function publishedLeaks(stack: AppStack, canaries: Canaries): Promise<string[]> {
  const published = await everythingPublished(stack);
  return published.flatMap(([where, text]) =>
    leaksIn(text, canaries).map((name) => `${name} in ${where}`),
  );
}
