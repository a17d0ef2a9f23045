/** The `torch.utils` namespace: `torch.utils.data` (this folder). Re-exports only. */
export * as data from "./index.ts";
