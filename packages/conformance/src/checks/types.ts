/** The shape of a vector-file handler. */

/** A vector case as read from JSON. */
export type VectorCase = Record<string, unknown>;

/**
 * Checks one case: resolves when Hush agrees with it, throws (a `Mismatch` or any error)
 * when not. Returning a string instead says the case is skipped and why.
 */
export type CaseHandler = (c: VectorCase) => Promise<void> | string;
