/**
 * The part of TensorFlow.js's API that the benchmark calls, so that the repository type-checks
 * before `npm run bench` has installed TF.js into bench/node_modules; once it is there, the
 * package's own types take precedence over these declarations.
 */
declare module "@tensorflow/tfjs" {
  /** A TF.js tensor. */
  export class Tensor {
    dataSync(): Float32Array | Int32Array | Uint8Array;
    dispose(): void;
  }
  /** A matrix. */
  export class Tensor2D extends Tensor { readonly rank: 2 }
  /** A 0-dim tensor. */
  export class Scalar extends Tensor { readonly rank: 0 }
  /** A trainable tensor. */
  export class Variable extends Tensor { readonly trainable: boolean }
  export function setBackend(name: string): Promise<boolean>;
  export function tensor1d(values: ArrayLike<number>, dtype?: "float32" | "int32"): Tensor;
  export function tensor2d(values: ArrayLike<number>, shape: [number, number]): Tensor2D;
  export function scalar(value: number): Scalar;
  export function variable(initial: Tensor): Variable;
  export function randomUniform(shape: number[], minval: number, maxval: number): Tensor;
  export function matMul(a: Tensor, b: Tensor, transposeA?: boolean, transposeB?: boolean): Tensor2D;
  export function add<T extends Tensor>(a: Tensor, b: Tensor): T;
  export function relu<T extends Tensor>(x: T): T;
  export function oneHot(indices: Tensor, depth: number): Tensor;
  export function tidy<T extends Tensor>(fn: () => T): T;
  export const train: {
    sgd(learningRate: number): { minimize(f: () => Scalar, returnCost?: boolean, varList?: Variable[]): Scalar | null };
  };
  export const losses: {
    meanSquaredError<T extends Tensor>(labels: Tensor, predictions: Tensor): T;
    softmaxCrossEntropy<T extends Tensor>(onehotLabels: Tensor, logits: Tensor): T;
  };
}

/** Registers TF.js's WebAssembly backend as a side effect. */
declare module "@tensorflow/tfjs-backend-wasm";
