/** Derivatives of the norm ops (see derivatives.ts for the entry format). */
import type { Derivative } from "../node.ts";

/** The norm family's entries of the derivative table. */
export const normRules = {
} satisfies Record<string, Derivative>;
