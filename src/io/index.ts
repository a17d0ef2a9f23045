/** The browser-safe file-format API: bytes in, bytes out. Node's path functions are in files-node.ts. */
export { serialize, deserialize, serializeSafetensors, deserializeSafetensors, deserializeSafetensorsFile, parseShardIndex, deserializeSharded } from "./serialize.ts";
export type { DeserializeOptions, NamedTensors, SafetensorsSaveOptions, SafetensorsLoadOptions, SafetensorsFile, ShardIndex } from "./serialize.ts";
export type { SaveValue, LoadValue, LoadOptions } from "./tensor-adapter.ts";
export { readPt, writePt } from "./pt.ts";
export type { PtValue, PtKey } from "./pt.ts";
export { readSafetensors, writeSafetensors } from "./safetensors.ts";
export type { SafetensorsContents, ReadSafetensorsOptions } from "./safetensors.ts";
export type { RawTensor, RawStorage } from "./raw.ts";
