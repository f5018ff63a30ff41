// What crosses between the worker and ONNX Runtime: tensors as plain typed arrays, graph input and
// output metadata, session options, and the SessionRunner interface models are written against.
import { f16ToF32, f32ToF16 } from "./fp16.ts";

export type TensorType = "float32" | "float16" | "int32" | "int64";
export type TensorArray = Float32Array | Uint16Array | Int32Array | BigInt64Array;

/** A tensor as it crosses the thread boundary (float16 travels as raw half bits). */
export interface TensorData {
  type: TensorType;
  data: TensorArray;
  dims: number[];
}

export interface ValueInfo {
  name: string;
  type: string;
  shape: Array<number | string>;
}

export interface SessionInfo {
  inputs: ValueInfo[];
  outputs: ValueInfo[];
}

export interface RuntimeOptions {
  provider: "cpu" | "cuda";
  deviceId: number;
  intraOpThreads: number;
}

export interface RunResult {
  outputs: Record<string, TensorData>;
  ms: number; // time inside ORT's run(), for overhead accounting
}

/** What a model needs from a runtime: load a graph, run it (the runtime thread's SessionHost). */
export interface SessionRunner {
  load(key: string, path: string): Promise<SessionInfo>;
  run(key: string, feeds: Record<string, TensorData>): Promise<RunResult>;
}

/** A float32 tensor, or its float16 bits when the graph input is half. */
export const floatTensor = (isHalf: boolean, data: Float32Array, dims: number[]): TensorData =>
  isHalf ? { type: "float16", data: f32ToF16(data), dims } : { type: "float32", data, dims };

/** A float output as float32, whatever its dtype. */
export function toFloat32(t: TensorData): Float32Array {
  if (t.type === "float16") return f16ToF32(t.data as Uint16Array);
  return t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>);
}
