/** Short, stable names from identities: the first `n` base32 characters (RFC 4648 alphabet) of SHA-256(text). */
const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

export function base32Sha256(text: string, n: number): string {
  const digest = new Bun.CryptoHasher("sha256").update(text).digest();
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of digest) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5 && out.length < n) {
      out += BASE32[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
    if (out.length >= n) break;
  }
  return out;
}
