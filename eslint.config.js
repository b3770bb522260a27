// @ts-check
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import tseslint from "typescript-eslint";

// Processes are started with argument arrays only, by ONE module
// (src/process/run-process.ts). A shell, or `exec` with a command string, would
// let an issue title or a branch name become a command.
const childProcessOnlyInRunner = {
  "no-restricted-imports": [
    "error",
    {
      paths: ["child_process", "node:child_process", "execa", "shelljs", "zx"].map((name) => ({
        name,
        message: "Start processes through src/process/run-process.ts (argument arrays, no shell).",
      })),
    },
  ],
};
// An error dropped without a look hides the next outage. Log it, or use a
// helper that names the errors it expects (src/process/file-status.ts), or
// disable this line with the reason.
const silentCatch =
  "CallExpression[callee.property.name='catch'] > ArrowFunctionExpression[params.length=0]";
const noSilentCatch = [
  `${silentCatch}[body.type=/^(Identifier|Literal|ArrayExpression|ObjectExpression|TSAsExpression)$/]`,
  `${silentCatch}[body.type='BlockStatement'][body.body.length=0]`,
].map((selector) => ({
  selector,
  message:
    "This drops the error unseen: log it, use a helper that says which errors are expected (lstatIfPresent), or disable the line with the reason.",
}));

const noShell = {
  "no-restricted-syntax": [
    "error",
    {
      selector: "Property[key.name='shell'][value.value!=false]",
      message:
        "Never start a process with a shell: pass an argument array (ARCHITECTURE.md, trust rules).",
    },
    {
      selector: "CallExpression[callee.name=/^exec(Sync)?$/]",
      message: "exec/execSync run a shell string: use runProcess with an argument array.",
    },
    {
      selector:
        "MemberExpression[object.name=/^(child_process|childProcess|cp)$/][property.name=/^exec(Sync)?$/]",
      message: "exec/execSync run a shell string: use runProcess with an argument array.",
    },
  ],
};

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "coverage/", "test/fixtures/", ".tmp/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly" } },
    rules: {
      ...childProcessOnlyInRunner,
      ...noShell,
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
      "@typescript-eslint/consistent-type-imports": "error",
      eqeqeq: ["error", "always", { null: "ignore" }],
    },
  },
  {
    // The app itself also logs (or names) every error it drops; tests and benches may ignore one.
    files: ["src/**/*.ts"],
    rules: { "no-restricted-syntax": [...noShell["no-restricted-syntax"], ...noSilentCatch] },
  },
  {
    // The one place in the app that may import child_process (still without a shell);
    // test support code runs servers (git http-backend, the app) the same way.
    files: ["src/process/run-process.ts", "test/support/**/*.ts", "bench/**/*.ts"],
    rules: { "no-restricted-imports": "off" },
  },
  {
    // Tool configuration written as CommonJS (dependency-cruiser reads .cjs).
    files: ["**/*.cjs"],
    languageOptions: {
      sourceType: "commonjs",
      globals: { module: "writable", require: "readonly" },
    },
  },
  prettier,
);
