/**
 * The ready-made deployments in deploy/: the DaemonSet manifests have kubeadm's shape and their
 * ConfigMap's config file is accepted by the compiled binary itself; the systemd unit passes
 * `systemd-analyze verify` (where the machine has it) and its config file loads too.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as v from "valibot";
import { runBinary, ensureBinary } from "../support/binary.ts";

const DEPLOY = resolve(import.meta.dir, "../../deploy");
const dir = mkdtempSync(join(tmpdir(), "kpb-deploy-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const docs = Bun.YAML.parse(readFileSync(join(DEPLOY, "daemonset/kube-proxy.yaml"), "utf8")) as { kind: string; metadata: { name: string; namespace?: string } }[];
const byKind = (kind: string) => docs.find((d) => d.kind === kind) as unknown;

const Meta = v.object({ name: v.string(), namespace: v.optional(v.string()) });
const HostPath = (path: string) => v.object({ name: v.string(), hostPath: v.object({ path: v.literal(path) }) });
const DaemonSetSchema = v.object({
  apiVersion: v.literal("apps/v1"),
  kind: v.literal("DaemonSet"),
  metadata: v.object({ name: v.literal("kube-proxy"), namespace: v.literal("kube-system") }),
  spec: v.object({
    selector: v.object({ matchLabels: v.record(v.string(), v.string()) }),
    template: v.object({
      metadata: v.object({ labels: v.record(v.string(), v.string()) }),
      spec: v.object({
        hostNetwork: v.literal(true),
        serviceAccountName: v.literal("kube-proxy"),
        priorityClassName: v.literal("system-node-critical"),
        containers: v.tuple([
          v.object({
            name: v.string(),
            image: v.string(),
            command: v.array(v.string()),
            securityContext: v.object({ privileged: v.literal(true) }),
            volumeMounts: v.array(v.object({ name: v.string(), mountPath: v.string() })),
            livenessProbe: v.object({ httpGet: v.object({ path: v.literal("/livez"), port: v.literal(10256) }) }),
            readinessProbe: v.object({ httpGet: v.object({ path: v.literal("/readyz"), port: v.literal(10256) }) }),
          }),
        ]),
        volumes: v.tuple([
          v.object({ name: v.string(), configMap: v.object({ name: v.literal("kube-proxy") }) }),
          HostPath("/run/xtables.lock"),
          HostPath("/lib/modules"),
        ]),
      }),
    }),
  }),
});

describe("DaemonSet (deploy/daemonset/kube-proxy.yaml)", () => {
  test("has a ServiceAccount, its binding to system:node-proxier, a ConfigMap and the DaemonSet", () => {
    expect(docs.map((d) => d.kind)).toEqual(["ServiceAccount", "ClusterRoleBinding", "ConfigMap", "DaemonSet"]);
    for (const d of docs) expect(v.safeParse(Meta, d.metadata).success).toBe(true);
    expect(byKind("ClusterRoleBinding")).toMatchObject({
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "system:node-proxier" },
      subjects: [{ kind: "ServiceAccount", name: "kube-proxy", namespace: "kube-system" }],
    });
  });

  test("the DaemonSet has kubeadm's shape: hostNetwork, privileged, /lib/modules, /run/xtables.lock, config from the ConfigMap", () => {
    const r = v.safeParse(DaemonSetSchema, byKind("DaemonSet"));
    expect(r.issues?.map((i) => `${v.getDotPath(i)}: ${i.message}`) ?? []).toEqual([]);
    const ds = r.output as v.InferOutput<typeof DaemonSetSchema>;
    const c = ds.spec.template.spec.containers[0];
    expect(ds.spec.selector.matchLabels).toEqual(ds.spec.template.metadata.labels);
    expect(c.command).toContain("--config=/var/lib/kube-proxy/config.conf");
    const mounts = Object.fromEntries(c.volumeMounts.map((m) => [m.name, m.mountPath]));
    expect(mounts).toEqual({ "kube-proxy": "/var/lib/kube-proxy", "xtables-lock": "/run/xtables.lock", "lib-modules": "/lib/modules" });
  });

  test("the binary accepts the ConfigMap's config file and the command line", async () => {
    const cm = byKind("ConfigMap") as { data: Record<string, string> };
    const ds = byKind("DaemonSet") as v.InferOutput<typeof DaemonSetSchema>;
    writeFileSync(join(dir, "config.conf"), cm.data["config.conf"]!);
    const args = ds.spec.template.spec.containers[0].command.slice(1).map((a) => a.replace("/var/lib/kube-proxy", dir).replace("$(NODE_NAME)", "node-a"));
    const r = await runBinary([...args, `--write-config-to=${join(dir, "out.yaml")}`]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, "out.yaml"), "utf8")).toContain("hostnameOverride: node-a");
  });
});

describe("systemd (deploy/systemd)", () => {
  const analyze = Bun.which("systemd-analyze");

  test.skipIf(!analyze)("the unit passes systemd-analyze verify", async () => {
    const unit = readFileSync(join(DEPLOY, "systemd/kube-proxy.service"), "utf8");
    expect(unit).toContain("ExecStart=/usr/local/bin/kube-proxy --config=/etc/kubernetes/kube-proxy.yaml");
    expect(unit).toMatch(/^Restart=always$/m);
    for (const cap of ["CAP_NET_ADMIN", "CAP_NET_RAW"]) expect(unit).toMatch(new RegExp(`^AmbientCapabilities=.*${cap}`, "m"));
    // verify checks that ExecStart's binary exists: point it at the built one.
    const path = join(dir, "kube-proxy.service");
    writeFileSync(path, unit.replace("/usr/local/bin/kube-proxy", await ensureBinary()));
    const p = Bun.spawn([analyze!, "verify", path], { stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    expect({ code, out, err }).toEqual({ code: 0, out: "", err: "" });
  });

  test("its config file is accepted by the binary", async () => {
    const r = await runBinary([`--config=${join(DEPLOY, "systemd/kube-proxy.yaml")}`, `--write-config-to=${join(dir, "systemd-out.yaml")}`]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, "systemd-out.yaml"), "utf8")).toContain("kubeconfig: /etc/kubernetes/kube-proxy.conf");
  });
});
