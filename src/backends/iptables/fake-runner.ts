/**
 * A Runner that answers iptables-restore / iptables-save (and --version) from an IptablesFake,
 * so the real backend and client code run unchanged over the in-memory model in tests.
 * Any other command is refused, as a scripted fake must.
 */
import type { Runner } from "../../lib/exec.ts";
import { IptablesFake, IptablesFakeError } from "./fake.ts";

export function iptablesFakeRunner(fake: IptablesFake = new IptablesFake()): Runner & { fake: IptablesFake; restores: string[] } {
  const restores: string[] = [];
  const runner: Runner = async (argv, stdin = "") => {
    const [cmd, ...args] = argv;
    if (cmd === "iptables-restore" || cmd === "ip6tables-restore") {
      if (!args.includes("--noflush")) throw new Error("iptablesFakeRunner: only --noflush restores are modelled");
      restores.push(stdin);
      try {
        fake.restore(stdin);
        return { exitCode: 0, stdout: "", stderr: "" };
      } catch (e) {
        if (e instanceof IptablesFakeError) return { exitCode: 1, stdout: "", stderr: e.message };
        throw e;
      }
    }
    if (cmd === "iptables-save" || cmd === "ip6tables-save") return { exitCode: 0, stdout: fake.save(), stderr: "" };
    if ((cmd === "iptables" || cmd === "ip6tables") && args[0] === "--version") return { exitCode: 0, stdout: "iptables v1.8.9 (nf_tables)\n", stderr: "" };
    throw new Error(`iptablesFakeRunner: unexpected command ${JSON.stringify(argv)}`);
  };
  return Object.assign(runner, { fake, restores });
}
