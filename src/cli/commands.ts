/**
 * Subcommands besides the proxy itself. Each is loaded only when asked for, so the proxy's own
 * start does not pay for the sandbox. A command takes the remaining argv and returns an exit code.
 */
export type Command = (argv: string[]) => Promise<number>;

export const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  demo: {
    summary: "run the whole proxy in a throwaway lab and show where ClusterIP traffic goes (root)",
    load: async () => (await import("../sandbox/demo/demo-command.ts")).runDemoCommand,
  },
  "sandbox apiserver": {
    summary: "run the sandbox Kubernetes API server (for tests and demos)",
    load: async () => (await import("../sandbox/apiserver/command.ts")).runSandboxApiserverCommand,
  },
  "sandbox echo": {
    summary: "answer TCP and UDP with a fixed name (a lab pod's server)",
    load: async () => (await import("../sandbox/lab/echo-command.ts")).runEchoCommand,
  },
  "sandbox probe": {
    summary: "send N TCP or UDP requests and count who answered (the lab's client)",
    load: async () => (await import("../sandbox/lab/probe-command.ts")).runProbeCommand,
  },
};
