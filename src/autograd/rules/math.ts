/** Derivatives of the math ops (see derivatives.ts for the entry format). */
import type { Derivative } from "../node.ts";

/** The math family's entries of the derivative table. */
export const mathRules = {
} satisfies Record<string, Derivative>;
