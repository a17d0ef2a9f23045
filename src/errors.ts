/** Base class of every error torchlet throws on purpose. */
export class TorchletError extends Error {
  override name = "TorchletError";
}

/** Shapes that do not fit together (PyTorch raises RuntimeError for these). */
export class ShapeError extends TorchletError {
  override name = "ShapeError";
}

/** A dtype that an op does not accept, or an unsafe cast. */
export class DTypeError extends TorchletError {
  override name = "DTypeError";
}

/** An index or dim out of range (PyTorch's IndexError). */
export class IndexError extends TorchletError {
  override name = "IndexError";
}

/** A value that is out of an op's domain (PyTorch's ValueError). */
export class ValueError extends TorchletError {
  override name = "ValueError";
}

/** Autograd misuse: backward twice, in-place change of a saved tensor, non-scalar backward. */
export class AutogradError extends TorchletError {
  override name = "AutogradError";
}

/** loadStateDict found missing keys, unexpected keys or size mismatches. */
export class StateDictError extends TorchletError {
  override name = "StateDictError";
}

/** A lazy module's parameter was used before its first forward pass. */
export class UninitializedError extends TorchletError {
  override name = "UninitializedError";
}

/** A file or byte buffer that is not a valid .pt or safetensors file. */
export class FormatError extends TorchletError {
  override name = "FormatError";
}

/** A file that cannot be read or written (permissions, a full disk, not a regular file); names the file. */
export class FileError extends TorchletError {
  override name = "FileError";
  /** The system error code (`EACCES`, `ENOSPC`, ...), when there is one. */
  readonly code: string | undefined;
  constructor(message: string, options: { code?: string | undefined; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
  }
}
