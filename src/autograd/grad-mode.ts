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

/** Runs `fn` without recording autograd history, like `with torch.no_grad():`. */
export function noGrad<T>(fn: () => T): T {
  const prev = setGradEnabled(false);
  try {
    return fn();
  } finally {
    setGradEnabled(prev);
  }
}

/** Runs `fn` with graph recording on, like `with torch.enable_grad():`. */
export function enableGrad<T>(fn: () => T): T {
  const prev = setGradEnabled(true);
  try {
    return fn();
  } finally {
    setGradEnabled(prev);
  }
}
