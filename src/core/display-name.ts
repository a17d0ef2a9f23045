/**
 * The name a class prints under. Minifiers rename classes, so `constructor.name` of a bundled
 * `Linear` may be `st`; every torchlet class that prints its name sets a static `displayName`
 * (read only when the class defines it itself, so a user's `class Net extends nn.Linear` still
 * prints `Net`, as PyTorch does).
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export function displayName(ctor: Function): string {
  return Object.hasOwn(ctor, "displayName") ? String((ctor as { displayName?: unknown }).displayName) : ctor.name;
}
