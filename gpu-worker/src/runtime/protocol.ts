// Messages between the main thread and the runtime thread that owns the ONNX sessions.

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

export type Request =
  | { id: number; op: "init"; options: RuntimeOptions }
  | { id: number; op: "load"; key: string; path: string }
  | { id: number; op: "run"; key: string; feeds: Record<string, TensorData> }
  | { id: number; op: "close" };

export type Response =
  | { id: number; ok: true; info?: SessionInfo; outputs?: Record<string, TensorData>; ms?: number }
  | { id: number; ok: false; error: string };
