/** Derivatives of the shape ops (see derivatives.ts for the entry format). */
import type { Derivative } from "../node.ts";

/** The shape family's entries of the derivative table. */
export const shapeRules = {
} satisfies Record<string, Derivative>;
