/** Derivatives of the recurrent ops (see derivatives.ts for the entry format). */
import type { Derivative } from "../node.ts";

/** The recurrent family's entries of the derivative table. */
export const recurrentRules = {
} satisfies Record<string, Derivative>;
