import * as tf from '@tensorflow/tfjs-core';
import { TesseraError } from '@tessera/core';

/**
 * The part of tfjs-backend-webgpu's `WebGPUProgram` that tessera's kernels use (tfjs-backend-webgpu
 * `src/webgpu_program.ts`): tfjs generates the bindings (`result`, one storage array per name in `variableNames`,
 * `uniforms`) and the `_start` entry point, which calls the user code's `fn main(index : i32)`.
 * @internal
 */
export interface Program {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  variableNames: string[];
  workgroupSize: [number, number, number];
  uniforms?: string;
  size?: boolean;
  /** Components per element of each input binding (4: `array<vec4<f32>>`); default `outputComponent`. */
  variableComponents?: number[];
  /** Components per element of the output binding (default 1). */
  outputComponent?: number;
  getUserCode: () => string;
}

/** The part of `WebGPUBackend` the kernels call. @internal */
export interface WebGPUBackendLike {
  runWebGPUProgram(
    program: Program,
    inputs: tf.TensorInfo[],
    outputDtype: tf.DataType,
    programDefinedUniform?: { type: string; data: number[] }[],
  ): tf.TensorInfo;
}

/** The active backend when it is tfjs-backend-webgpu, else a `BACKEND_UNAVAILABLE` error naming the backend. @internal */
export function webgpuBackend(fn: string): WebGPUBackendLike {
  const name = tf.getBackend();
  const be = tf.backend() as unknown as Partial<WebGPUBackendLike>;
  if (name !== 'webgpu' || typeof be.runWebGPUProgram !== 'function')
    throw new TesseraError(
      'BACKEND_UNAVAILABLE',
      fn,
      "needs the webgpu backend (initBackend('webgpu'), or TESSERA_BACKEND=webgpu)",
      `active backend '${name}'`,
    );
  return be as WebGPUBackendLike;
}

/** Largest number of workgroups tfjs lays out along x before folding into y and z (WebGPU's default limit). */
const MAX_GROUPS = 65535;

/** A flat dispatch of `threads` invocations in workgroups of `wg` (tfjs folds large counts into y and z). @internal */
export function flatDispatch(threads: number, wg: number): [number, number, number] {
  const groups = Math.max(1, Math.ceil(threads / wg));
  if (groups <= MAX_GROUPS) return [groups, 1, 1];
  const y = Math.ceil(groups / MAX_GROUPS);
  return [MAX_GROUPS, y, 1];
}

/** Runs a program through the tfjs engine's backend and wraps the output as a tensor the caller owns. @internal */
export function runProgram(
  be: WebGPUBackendLike,
  program: Program,
  inputs: tf.Tensor[],
  dtype: tf.DataType,
  uniforms: { type: string; data: number[] }[],
): tf.Tensor {
  const info = be.runWebGPUProgram(program, inputs, dtype, uniforms);
  return tf.engine().makeTensorFromTensorInfo(info);
}
