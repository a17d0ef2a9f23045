/** torchlet for Node: the whole library plus the path-based file functions (Node's fs). */
export * from "./index.ts";
export { save, load, saveSafetensors, loadSafetensors, loadSafetensorsFile } from "./io/files-node.ts";
