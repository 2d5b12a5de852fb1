/**
 * What the demo and every end-to-end test start with: the sandbox API server with a kubeconfig
 * for it, a namespace lab (node, client, sink, pods; echo servers on TCP 8080 / UDP 5353 unless
 * told otherwise), and this node's Node object. `destroy()` removes all of it, never throws.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { realRunner } from "../lib/exec.ts";
import { startSandboxApiServer, type SandboxApiServer } from "./apiserver/server.ts";
import { writeKubeconfigFile } from "./kubeconfig-file.ts";
import { NODE_IP, NODE_NAME } from "./lab/address-plan.ts";
import { createLab } from "./lab/create-lab.ts";
import type { Lab } from "./lab/lab-types.ts";
import { nodeObject } from "./objects.ts";

export interface NodeLab {
  server: SandboxApiServer;
  lab: Lab;
  /** A kubeconfig file for the sandbox server (token auth). */
  kubeconfig: string;
  /** A private folder for the caller's files, removed with the rest. */
  dir: string;
  destroy(): Promise<void>;
}

export interface NodeLabOptions {
  pods: number;
  /** argv prefix the lab runs `sandbox echo`/`probe` with (default: this program). */
  command?: string[];
  /** Start the pods' echo servers (default true). */
  echo?: boolean;
}

/** Starts it all; on a failure half-way, removes what it made and rethrows. */
export async function startNodeLab(o: NodeLabOptions): Promise<NodeLab> {
  const dir = mkdtempSync(join(tmpdir(), "kpb-node-lab-"));
  let server: SandboxApiServer | undefined;
  let lab: Lab | undefined;
  const destroy = async () => {
    await lab?.destroy();
    await server?.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    server = await startSandboxApiServer({});
    const kubeconfig = join(dir, "kubeconfig");
    writeKubeconfigFile(kubeconfig, server.url, server.token);
    lab = await createLab({ runner: realRunner, pods: o.pods, ...(o.command ? { command: o.command } : {}) });
    if (o.echo !== false) await lab.startEchoServers({ tcpPort: 8080, udpPort: 5353 });
    server.apply("nodes", nodeObject(NODE_NAME, NODE_IP));
    return { server, lab, kubeconfig, dir, destroy };
  } catch (e) {
    await destroy();
    throw e;
  }
}
