/** Derivatives of the conv ops (see derivatives.ts for the entry format). */
import { needs, type Derivative, type DerivativeFn } from "../node.ts";
import { col2imBackward, convolutionBackward, convWeightOperands, im2colBackward } from "../../ops/conv.ts";
import { accumulateProductOf } from "../engine.ts";
import { adaptiveAvgPoolBackward, avgPoolBackward, maxPoolBackward } from "../../ops/pool.ts";
import { padBackward } from "../../ops/pad.ts";


const d = (name: string, saves: string | readonly string[], fn: DerivativeFn): Derivative => ({ name, saves, fn });
const padRule: DerivativeFn = (g, _, __, { shape, padMaps }) => [padBackward(g, shape!, padMaps!)];

/** The conv family's entries of the derivative table. */
export const convRules = {
  // input gradient reads the weight, weight gradient the input, bias gradient neither; the weight
  // gradient goes straight into its kept .grad where the engine can (accumulateProductOf)
  convolution: d("ConvolutionBackward0", ["b", "a", ""], (g, [x, w], _, { conv }, e) => {
    const added = needs(e, 1) && accumulateProductOf(e[1]!, () => convWeightOperands(x!, g, conv!));
    return convolutionBackward(g, x, w, conv!, [needs(e, 0), needs(e, 1) && !added, needs(e, 2)]);
  }),
  maxPool2d: d("MaxPool2DWithIndicesBackward0", "", (g, _, __, { pool, shape }) => [maxPoolBackward(g, pool!, shape!)]),
  adaptiveMaxPool2d: d("AdaptiveMaxPool2DBackward0", "", (g, _, __, { pool, shape }) => [maxPoolBackward(g, pool!, shape!)]),
  avgPool2d: d("AvgPool2DBackward0", "", (g, _, __, { pool, shape }) => [avgPoolBackward(g, pool!, shape!)]),
  adaptiveAvgPool2d: d("AdaptiveAvgPool2DBackward0", "", (g, _, __, { pool, shape }) => [adaptiveAvgPoolBackward(g, pool!, shape!)]),
  constantPad: d("ConstantPadNdBackward0", "", padRule),
  reflectionPad1d: d("ReflectionPad1DBackward0", "", padRule),
  reflectionPad2d: d("ReflectionPad2DBackward0", "", padRule),
  reflectionPad3d: d("ReflectionPad3DBackward0", "", padRule),
  replicationPad1d: d("ReplicationPad1DBackward0", "", padRule),
  replicationPad2d: d("ReplicationPad2DBackward0", "", padRule),
  replicationPad3d: d("ReplicationPad3DBackward0", "", padRule),
  // PyTorch pads circularly by copying slices into a new tensor
  padCircular: d("CopySlices", "", padRule),
  im2col: d("Im2ColBackward0", "", (g, _, __, { pool, shape }) => [im2colBackward(g, pool!, shape!)]),
  col2im: d("Col2ImBackward0", "", (g, _, __, { pool, shape }) => [col2imBackward(g, pool!, shape!)]),
} satisfies Record<string, Derivative>;
