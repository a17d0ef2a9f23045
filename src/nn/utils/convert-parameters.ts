/** torch.nn.utils.convert_parameters: parameters to one flat vector and back. */
import { ShapeError } from "../../errors.ts";
import { Tensor } from "../../tensor.ts";
import { cat } from "../../ops/movement.ts";

/**
 * Concatenates the parameters, each flattened, into one vector (differentiable, as PyTorch's).
 * @example const v = nn.utils.parametersToVector(net.parameters());
 */
export function parametersToVector(parameters: Iterable<Tensor>): Tensor {
  return cat([...parameters].map((p) => p.view(-1)));
}

/**
 * Points each parameter's data at its slice of `vec`, in order (they share `vec`'s storage
 * afterwards, as in PyTorch, where `param.data` is set to a view of `vec`). Checks every slice
 * first and changes nothing when one does not fit.
 */
export function vectorToParameters(vec: Tensor, parameters: Iterable<Tensor>): void {
  if (!(vec instanceof Tensor)) {
    const kind = vec === null ? "None" : typeof vec === "object" ? (vec as object).constructor?.name ?? "object" : typeof vec;
    throw new TypeError(`expected torch.Tensor, but got: ${kind}`);
  }
  const params = [...parameters];
  const total = params.reduce((n, p) => n + p.numel(), 0);
  if (vec.shape.length !== 1 || vec.numel() < total) {
    throw new ShapeError(`vectorToParameters: the parameters need a vector of ${total} elements, but got shape [${vec.shape.join(", ")}]`);
  }
  let pointer = 0;
  const views = params.map((p) => {
    const v = vec.data.slice(0, pointer, pointer + p.numel()).view(p.shape);
    pointer += p.numel();
    return v;
  });
  params.forEach((p, i) => { p.data = views[i]!; });
}
