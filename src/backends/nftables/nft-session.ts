/**
 * One long-lived `nft -i` process that applies small transactions, one input line each.
 *
 * Why: a process per transaction pays for its start (3-5 ms with `ip netns exec`) and, above
 * all, for its exit. Closing nft's netlink socket waits until the kernel has released the
 * previous transaction, one RCU grace period: 10-15 ms here, more than the rest of a partial
 * sync's nft work (bun run bench B2). A process that stays up never closes its socket.
 *
 * Protocol: nft reads stdin a line at a time and runs each line as one buffer, i.e. one atomic
 * batch, so a transaction's commands are joined with ";" onto one line. nft -i says nothing on
 * success, so each transaction is followed by a sentinel line that is deliberately not nft
 * syntax: nft's error for it echoes it on stderr, and whatever stderr held before that error is
 * the transaction's own answer (empty when it succeeded).
 *
 * nft -i reads its input a byte at a time (libedit), about 1 ms per KiB here, so a script is
 * better sent as a one-line `include "FILE"` (runFile): nft reads the file with its ordinary
 * scanner, and the line, file and all, is still one atomic batch. On a 10k Services x 10 table
 * a one-Service change (delete and add of its endpoint elements) took 0.5-3.7 ms that way
 * against 12-26 ms for its own `nft -f` (process start and exit, and nft 1.0.6 re-reading the
 * table before a `delete element`). nft -i also keeps each line in its history, so the process
 * is replaced every `maxCommands` transactions, and HOME points where no history file can be
 * written.
 *
 * A new process first answers a sentinel alone: whatever it says at start-up is not taken for a
 * transaction's answer, and an nft built without its CLI ("interactive CLI not supported in
 * this build", then exit) is found before any transaction is sent: NftSessionUnavailable, and
 * the client uses `nft -f` from then on.
 */
import { BackendError } from "../backend.ts";
import type { LiveProcess, Starter } from "../../lib/exec.ts";

/** Largest script worth sending through a session (larger ones are faster as `nft -f`). */
export const SESSION_MAX_BYTES = 8 * 1024;

export interface NftSessionOptions {
  /** Transactions served by one process before it is replaced (its history grows with each). */
  maxCommands?: number;
  /** How long one transaction may take before the process is killed and the apply fails. */
  timeoutMs?: number;
}

/** nft -i could not be started or did not answer its first sentinel: no transaction was sent. */
export class NftSessionUnavailable extends BackendError {
  constructor(message: string) {
    super("apply", message);
    this.name = "NftSessionUnavailable";
  }
}

interface Pending {
  sentinel: string;
  resolve: (answer: string) => void;
  reject: (e: Error) => void;
}

/** The parts of `nft -i`'s answer: the transaction's own stderr, and the sentinel's error that ends it. */
export function splitAnswer(stderr: string, sentinel: string): { own: string; rest: string } | null {
  const at = stderr.indexOf(`${sentinel}\n`);
  if (at < 0) return null;
  // The sentinel's error is "Error: ...\n<sentinel>\n<carets>\n"; wait for the caret line too.
  const caretEnd = stderr.indexOf("\n", at + sentinel.length + 1);
  if (caretEnd < 0) return null;
  const header = stderr.lastIndexOf("Error:", at);
  return { own: stderr.slice(0, header < 0 ? at : header).trim(), rest: stderr.slice(caretEnd + 1) };
}

/**
 * The line that has nft read `file` as one batch, or null when the path is not one nft's quotes
 * can hold as it is (only letters, digits and `_ . / -`, absolute, no `..`).
 */
export function includeLine(file: string): string | null {
  return /^\/[A-Za-z0-9_./-]+$/.test(file) && !file.split("/").includes("..") ? `include "${file}"` : null;
}

/** The script as one input line: nft's commands are separated by ";" as well as by newlines. */
export function asOneLine(script: string): string {
  return script
    .split("\n")
    .filter((l) => l.trim() !== "")
    .join(" ; ");
}

export class NftSession {
  readonly #start: Starter;
  readonly #maxCommands: number;
  readonly #timeoutMs: number;
  #process: LiveProcess | null = null;
  #served = 0;
  #stderr = "";
  #pending: Pending | null = null;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #nonce = Math.random().toString(36).slice(2, 10);
  #seq = 0;
  /** Transactions queued or running. */
  #outstanding = 0;

  constructor(start: Starter, options: NftSessionOptions = {}) {
    this.#start = start;
    this.#maxCommands = options.maxCommands ?? 500;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
  }

  /** Applies `script` as one transaction; BackendError("apply") with nft's message when it fails. */
  run(script: string): Promise<void> {
    return this.#enqueue(`${asOneLine(script)}\n`);
  }

  /** Applies the script in `file` as one transaction (see includeLine); as run otherwise. */
  runFile(file: string): Promise<void> {
    const line = includeLine(file);
    if (line === null) return Promise.reject(new BackendError("apply", `nft -i cannot include ${JSON.stringify(file)}`));
    return this.#enqueue(`${line}\n`);
  }

  /** Ends the process if no transaction is queued or running (its memory goes with it). */
  closeIfIdle(): void {
    if (this.#outstanding === 0) this.close();
  }

  #enqueue(input: string): Promise<void> {
    this.#outstanding++;
    const turn = this.#queue.then(() => this.#runNow(input)).finally(() => this.#outstanding--);
    this.#queue = turn.catch(() => undefined);
    return turn;
  }

  /** Ends the process (it exits when its stdin closes). */
  close(): void {
    this.#process?.end();
    this.#process = null;
  }

  /** The running process, or a new one once it has answered its first sentinel. */
  async #ready(): Promise<LiveProcess> {
    if (this.#process && this.#served < this.#maxCommands) return this.#process;
    this.close();
    let p: LiveProcess;
    try {
      p = this.#start(["nft", "-i"], { HOME: "/dev/null" });
    } catch (e) {
      throw new NftSessionUnavailable(`nft -i cannot be started: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.#served = 0;
    this.#stderr = "";
    p.onStderr((text) => {
      if (this.#process !== p) return;
      this.#stderr += text;
      this.#settle();
    });
    void p.exited.then((code) => {
      if (this.#process !== p) return;
      this.#process = null;
      const pending = this.#pending;
      this.#pending = null;
      pending?.reject(new BackendError("apply", `nft -i exited ${code}${this.#stderr.trim() ? `: ${this.#stderr.trim()}` : ""}`));
    });
    this.#process = p;
    try {
      await this.#exchange(p, "", Math.min(this.#timeoutMs, 10_000));
    } catch (e) {
      throw new NftSessionUnavailable(`nft -i did not start: ${e instanceof Error ? e.message : String(e)}`);
    }
    return p;
  }

  #settle(): void {
    const pending = this.#pending;
    if (!pending) return;
    const answer = splitAnswer(this.#stderr, pending.sentinel);
    if (!answer) return;
    this.#stderr = answer.rest;
    this.#pending = null;
    pending.resolve(answer.own);
  }

  async #runNow(input: string): Promise<void> {
    const p = await this.#ready();
    this.#served++;
    const own = await this.#exchange(p, input, this.#timeoutMs);
    if (own !== "") {
      this.#drop(p);
      throw new BackendError("apply", `nft -i: ${own}`);
    }
  }

  /** Sends `input` and a sentinel; resolves to what nft said before the sentinel's error. */
  async #exchange(p: LiveProcess, input: string, timeoutMs: number): Promise<string> {
    const sentinel = `kube-proxy-end-of-transaction-${this.#nonce}-${++this.#seq}`;
    const answer = new Promise<string>((resolve, reject) => (this.#pending = { sentinel, resolve, reject }));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new BackendError("apply", `nft -i gave no answer in ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      if (!p.write(`${input}${sentinel}\n`)) throw new BackendError("apply", "nft -i no longer reads its input");
      return await Promise.race([answer, timeout]);
    } catch (e) {
      this.#drop(p);
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  /** After a failure nothing about the process is trusted: the next transaction gets a new one. */
  #drop(p: LiveProcess): void {
    this.#pending = null;
    if (this.#process === p) {
      this.#process = null;
      p.kill();
    }
  }
}
