/** torch.utils.data: datasets, samplers, the default collate and DataLoader. Re-exports only. */
export { Dataset, IterableDataset, TensorDataset, Subset, ConcatDataset, randomSplit } from "./dataset.ts";
export type { MapDataset } from "./dataset.ts";
export {
  Sampler, SequentialSampler, RandomSampler, SubsetRandomSampler, WeightedRandomSampler, BatchSampler,
} from "./sampler.ts";
export type { SamplerLike, RandomSamplerOptions, WeightedRandomSamplerOptions } from "./sampler.ts";
export { defaultCollate } from "./collate.ts";
export type { Collated } from "./collate.ts";
export { DataLoader } from "./dataloader.ts";
export type { DataLoaderOptions, LoaderDataset } from "./dataloader.ts";
