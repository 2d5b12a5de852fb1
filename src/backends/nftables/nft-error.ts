/**
 * The error a transaction records when an object fails validation. It sticks: the transaction
 * keeps the first one and refuses to produce a script, so a half-valid ruleset never reaches nft.
 */

/** Why an nft object was refused. */
export type NftErrorKind = "invalid-name" | "invalid-value" | "undefined-reference" | "invalid-operation";

/** A validation failure of an nft object; `kind` is for callers, the message for people. */
export class NftError extends Error {
  constructor(
    readonly kind: NftErrorKind,
    message: string,
  ) {
    super(message);
    this.name = "NftError";
  }
}

/** True when `e` is an NftError (of `kind`, when given). */
export function isNftError(e: unknown, kind?: NftErrorKind): e is NftError {
  return e instanceof NftError && (kind === undefined || e.kind === kind);
}
