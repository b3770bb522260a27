import { EXIT, UsageError, type Command, type Output } from "./command.js";
import { checkCommand } from "./check-command.js";
import { draftCommand } from "./draft-command.js";
import { implementCommand } from "./implement-command.js";
import { startCommand, webCommand, workerCommand } from "./serve-command.js";

const COMMANDS: Command[] = [
  startCommand,
  webCommand,
  workerCommand,
  draftCommand,
  implementCommand,
  checkCommand,
];

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "chant-bot: turns chant research specs into verified fix pull requests",
    "",
    "Usage: chant-bot <command> [options]   (chant-bot <command> --help for more)",
    "",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
  ].join("\n");
}

export async function main(argv: string[], io: Output): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    io.out(help());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(`chant-bot: unknown command "${name}"\n\n${help()}`);
    return EXIT.usage;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`chant-bot ${command.name}: ${error.message}\n\n${command.usage}`);
      return EXIT.usage;
    }
    throw error;
  }
}
