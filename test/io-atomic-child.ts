/** Child process of io-atomic.test.ts: saves a large state dict to argv[2], to be killed mid-write. */
import { save } from "../src/io/files-node.ts";
import { Tensor } from "../src/tensor.ts";
import { float32 } from "../src/core/dtype.ts";

const [path, megabytes] = [process.argv[2]!, Number(process.argv[3] ?? 256)];
const n = (megabytes * 2 ** 20) / 4;
const data = new Float32Array(n).fill(1.5);
process.stdout.write("serializing\n");
const t0 = performance.now();
save(new Map([["big", Tensor.fromArray(data, [n], float32)]]), path);
process.stdout.write(`saved in ${(performance.now() - t0).toFixed(0)} ms\n`);
