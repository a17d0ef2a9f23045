/** Derivatives of the indexing ops (see derivatives.ts for the entry format). */
import type { Derivative } from "../node.ts";

/** The indexing family's entries of the derivative table. */
export const indexingRules = {
} satisfies Record<string, Derivative>;
