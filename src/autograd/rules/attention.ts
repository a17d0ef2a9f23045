/** Derivatives of the attention ops (see derivatives.ts for the entry format). */
import type { Derivative } from "../node.ts";

/** The attention family's entries of the derivative table. */
export const attentionRules = {
} satisfies Record<string, Derivative>;
