import { expect, spyOn, test } from "bun:test";
import { runSandboxApiserverCommand } from "./command.ts";

const rows: [string[], string][] = [
  [["--listen", "nope"], 'bad value "nope" for --listen: expected HOST:PORT'],
  [["--listen=127.0.0.1:70000"], 'bad value "127.0.0.1:70000" for --listen: port out of range'],
  [["--bogus", "1"], "unknown flag --bogus"],
  [["--token"], "flag --token needs a value"],
  [["stray"], 'unexpected argument "stray"'],
];

for (const [argv, message] of rows) {
  test(`${argv.join(" ")} exits 2 naming the flag`, async () => {
    const err = spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      expect(await runSandboxApiserverCommand(argv)).toBe(2);
      expect(String(err.mock.calls[0]?.[0])).toContain(message);
    } finally {
      err.mockRestore();
    }
  });
}
