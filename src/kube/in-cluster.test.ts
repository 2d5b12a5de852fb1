import { expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inClusterConnection } from "./in-cluster.ts";

test("in-cluster connection reads env, CA and the token; the token is re-read after a minute or a 401", async () => {
  const dir = await mkdtemp(join(tmpdir(), "sa-"));
  try {
    await writeFile(join(dir, "ca.crt"), "CA");
    await writeFile(join(dir, "token"), "t1");
    let now = 1_000_000;
    const c = await inClusterConnection({ KUBERNETES_SERVICE_HOST: "fd00::1", KUBERNETES_SERVICE_PORT: "443" }, dir, () => now);
    expect(c.server).toBe("https://[fd00::1]:443");
    expect(c.tls).toEqual({ ca: "CA", rejectUnauthorized: true });
    expect(await c.headers()).toEqual({ Authorization: "Bearer t1" });
    await writeFile(join(dir, "token"), "t2");
    now += 59_999;
    expect(await c.headers()).toEqual({ Authorization: "Bearer t1" });
    now += 1;
    expect(await c.headers()).toEqual({ Authorization: "Bearer t2" });
    await writeFile(join(dir, "token"), "t3\n");
    c.invalidate!();
    expect(await c.headers()).toEqual({ Authorization: "Bearer t3" });
    await expect(inClusterConnection({}, dir)).rejects.toThrow(/KUBERNETES_SERVICE_HOST/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
