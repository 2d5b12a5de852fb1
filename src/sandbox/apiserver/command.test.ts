import { expect, spyOn, test } from "bun:test";
import { runSandboxApiserverCommand } from "./command.ts";

const rows: [string[], string][] = [
  [["--listen", "nope"], 'bad value "nope" for --listen: expected HOST:PORT'],
  [["--listen=127.0.0.1:70000"], 'bad value "127.0.0.1:70000" for --listen: port out of range'],
  [["--bogus", "1"], "unknown flag --bogus"],
  [["--token"], "flag --token needs a value"],
  [["stray"], 'unexpected argument "stray"'],
  [["--fault", "explode@1s"], 'bad value "explode@1s" for --fault: unknown fault'],
  [["--fault=error-500=x@1s"], "error-500=N needs a positive whole number"],
  [["--history-window", "0"], 'bad value "0" for --history-window: expected a positive whole number'],
  [["--bookmark-interval", "often"], 'bad value "often" for --bookmark-interval: expected a duration'],
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
