// Native job events -> OpenAI Images streaming shapes (image_generation.partial_image /
// image_generation.completed, image_edit.* for edits), and the synchronous response body.
import type { ErrorBody, ImageRef, JobEvent } from "@guidegate/shared";

type Preview = Extract<JobEvent, { event: "preview" }>;
type Completed = Extract<JobEvent, { event: "completed" }>;

/** OpenAI names stream events by the call: images.generate or images.edit. */
export type StreamKind = "image_generation" | "image_edit";

export interface ImageMeta {
  kind: StreamKind;
  created_at: number; // seconds
  size: string;
  output_format: string;
  quality: string;
  background: string;
}

/**
 * Picks at most `count` previews per image, spread evenly over the run: the k-th is the first
 * preview at or after step (k+1)·steps/(count+1). Online, since previews arrive one by one.
 */
export class PartialPicker {
  private readonly targets: number[];
  private readonly taken = new Map<number, number>(); // image index -> partials sent

  constructor(count: number, steps: number) {
    this.targets = Array.from({ length: count }, (_, k) => Math.floor(((k + 1) * steps) / (count + 1)));
  }

  /** The partial_image_index to send this preview as, or null to skip it. */
  pick(p: Preview): number | null {
    const sent = this.taken.get(p.index) ?? 0;
    const target = this.targets[sent];
    if (target === undefined || p.step < target) return null;
    this.taken.set(p.index, sent + 1);
    return sent;
  }
}

/** preview_every the worker should use so that `partial_images` previews can be picked evenly. */
export function previewEveryFor(partialImages: number, steps: number): number | undefined {
  if (partialImages <= 0) return undefined;
  return Math.max(1, Math.floor(steps / (partialImages + 1)));
}

export function partialImageEvent(p: Preview, index: number, meta: ImageMeta) {
  return {
    type: `${meta.kind}.partial_image` as const,
    b64_json: p.b64_png,
    partial_image_index: index,
    created_at: meta.created_at,
    size: meta.size,
    quality: meta.quality,
    background: meta.background,
    output_format: "png", // previews are always PNG
    image_index: p.index,
    step: p.step,
  };
}

/** One completed event per image; each carries the request's usage (billing data arrives here). */
export function completedEvents(c: Completed, meta: ImageMeta, id: string) {
  return c.images.map((img, i) => ({
    type: `${meta.kind}.completed` as const,
    b64_json: img.b64_json ?? "",
    ...(img.url ? { url: img.url } : {}),
    created_at: meta.created_at,
    size: meta.size,
    quality: meta.quality,
    background: meta.background,
    output_format: meta.output_format,
    usage: { nfe: c.usage.nfe, cost_micro_usd: c.usage.cost_micro_usd ?? 0 },
    image_index: i,
    id,
    seed: c.seed,
  }));
}

/** Mid-stream failure as the OpenAI SDK expects it: a data object with an `error` key. */
export const streamError = (error: ErrorBody) => ({ type: "error" as const, error });

export function imageData(images: ImageRef[], format: "url" | "b64_json") {
  return images.map((img) =>
    format === "b64_json" && img.b64_json !== undefined
      ? { b64_json: img.b64_json }
      : img.url !== undefined
        ? { url: img.url }
        : { b64_json: img.b64_json ?? "" },
  );
}

export function generationResponse(id: string, created: number, c: Completed, format: "url" | "b64_json") {
  return {
    created,
    id,
    seed: c.seed,
    data: imageData(c.images, format),
    usage: { nfe: c.usage.nfe, cost_micro_usd: c.usage.cost_micro_usd ?? 0 },
  };
}
