/** The browser-safe file-format API: bytes, Blobs and Responses in. Node's path functions are in files-node.ts. */
export { serialize, deserialize, serializeSafetensors, deserializeSafetensors, deserializeSafetensorsFile, deserializeSharded } from "./serialize.ts";
export { deserializeAsync, deserializeSafetensorsAsync, openCheckpoint } from "./serialize.ts";
export type { AsyncInput, DeserializeOptions, NamedTensors, SafetensorsSaveOptions, SafetensorsLoadOptions, SafetensorsFile } from "./serialize.ts";
export { parseShardIndex, namedTensors, readCheckpoint, readCheckpointAsync, readSharded } from "./checkpoint.ts";
export type { Checkpoint, CheckpointFormat, ShardIndex } from "./checkpoint.ts";
export type { SaveValue, LoadValue, LoadOptions } from "./tensor-adapter.ts";
export { readPt, writePt, ptChunks } from "./pt.ts";
export type { PtValue, PtKey, ReadPtOptions } from "./pt.ts";
export { readSafetensors, writeSafetensors, safetensorsChunks } from "./safetensors.ts";
export type { SafetensorsContents, ReadSafetensorsOptions } from "./safetensors.ts";
export { LazyStorage } from "./lazy.ts";
export type { ByteRange } from "./lazy.ts";
export { bytesSource, blobSource, parseAsync } from "./source.ts";
export type { ByteSource, AsyncByteSource, AnyByteSource } from "./source.ts";
export type { RawTensor, RawStorage } from "./raw.ts";
