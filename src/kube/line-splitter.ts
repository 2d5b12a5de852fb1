/**
 * Splits a stream of text chunks into complete lines. A watch response is newline-delimited JSON
 * whose chunks can end anywhere, even inside a multi-byte character (the caller's TextDecoder in
 * stream mode handles that) or inside a line (held here until its newline arrives).
 */
export class LineSplitter {
  private rest = "";

  /** Adds a chunk; returns the lines it completed, without newlines, skipping blank ones. */
  push(chunk: string): string[] {
    const parts = (this.rest + chunk).split("\n");
    this.rest = parts.pop() ?? "";
    return parts.map((l) => l.trim()).filter((l) => l !== "");
  }

  /** The unterminated tail at end of stream ("" when the stream ended on a newline). */
  flush(): string {
    const tail = this.rest.trim();
    this.rest = "";
    return tail;
  }
}
