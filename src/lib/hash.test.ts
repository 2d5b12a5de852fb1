import { expect, test } from "bun:test";
import { base32Sha256 } from "./hash.ts";

test("matches base32 of SHA-256 computed independently", () => {
  for (const text of ["", "ns1/svc1:p80tcp", "a much longer identity/with:parts"]) {
    const digest = new Bun.CryptoHasher("sha256").update(text).digest();
    const bits = [...digest].map((b) => b.toString(2).padStart(8, "0")).join("");
    const want = Array.from({ length: 16 }, (_, i) => "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[parseInt(bits.slice(i * 5, i * 5 + 5), 2)]).join("");
    expect(base32Sha256(text, 16)).toBe(want);
    expect(base32Sha256(text, 8)).toBe(want.slice(0, 8));
  }
});
