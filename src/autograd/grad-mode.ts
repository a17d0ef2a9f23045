/** Whether ops record the graph (torch.is_grad_enabled). */
let enabled = true;

/** True when new ops record autograd history. */
export function isGradEnabled(): boolean {
  return enabled;
}

/** Turns graph recording on or off; returns the previous setting. */
export function setGradEnabled(on: boolean): boolean {
  const prev = enabled;
  enabled = on;
  return prev;
}

/**
 * Runs `fn` without recording autograd history, like `with torch.no_grad():`. An async `fn` keeps
 * recording off until its promise settles, as `with torch.no_grad():` around an `await` does in
 * Python's asyncio: other code that runs while it waits records nothing either.
 */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/** Runs `fn` with graph recording on, like `with torch.enable_grad():`; an async `fn` as in noGrad. */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}

function withGradMode<T>(on: boolean, fn: () => T): T {
  const prev = setGradEnabled(on);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    setGradEnabled(prev);
    throw e;
  }
  if (result instanceof Promise) return result.finally(() => { setGradEnabled(prev); }) as T;
  setGradEnabled(prev);
  return result;
}
