/** Derivatives of the conv ops (see derivatives.ts for the entry format). */
import type { Derivative } from "../node.ts";

/** The conv family's entries of the derivative table. */
export const convRules = {
} satisfies Record<string, Derivative>;
