/** torch.autograd: grad mode and numerical gradient checking. Re-exports only. */
export { gradcheck } from "./gradcheck.ts";
export { noGrad, enableGrad, isGradEnabled, setGradEnabled } from "./grad-mode.ts";
export { Node } from "./node.ts";
